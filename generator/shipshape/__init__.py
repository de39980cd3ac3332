"""shipshape: generate production-ready AI services from a copier template."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("shipshape")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
