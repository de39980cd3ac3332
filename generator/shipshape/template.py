"""Locating the copier template and reading the questions it asks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from shipshape.errors import UsageError

#: Environment variable naming the template source (path or URL) when ``--template`` is not given.
ENV_VAR = "SHIPSHAPE_TEMPLATE"

_CONFIG_NAMES = ("copier.yml", "copier.yaml")
_URL_PREFIXES = ("gh:", "gl:", "git@", "git+")


def default_root() -> Path:
    """Return the shipshape checkout this package was installed from (it holds ``copier.yml``)."""
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Template:
    """A template source as copier receives it, plus its local checkout when there is one."""

    src: str
    root: Path | None = None

    @property
    def presets_dir(self) -> Path:
        """Folder of preset files: a local template's own, else the one beside this package."""
        return (self.root or default_root()) / "presets"

    @cached_property
    def questions(self) -> dict[str, dict[str, Any]] | None:
        """Questions a user may answer, by name (``None`` when the template is remote)."""
        if self.root is None:
            return None
        config = next(
            (self.root / name for name in _CONFIG_NAMES if (self.root / name).is_file()), None
        )
        if config is None:
            return None
        try:
            raw = yaml.safe_load(config.read_text(encoding="utf-8"))
        except yaml.YAMLError:  # copier-only tags such as !include: let copier judge answers
            return None
        if not isinstance(raw, dict):
            return None
        questions: dict[str, dict[str, Any]] = {}
        for name, value in raw.items():
            if not isinstance(name, str) or name.startswith("_"):
                continue
            spec = value if isinstance(value, dict) else {"default": value}
            if spec.get("when") is False:  # derived value, never asked
                continue
            questions[name] = spec
        return questions


def locate(src: str | None = None, environ: Mapping[str, str] | None = None) -> Template:
    """Resolve the template source: ``src``, else ``$SHIPSHAPE_TEMPLATE``, else this checkout.

    Local paths are made absolute, because copier records the source in the generated
    project's answers file and a relative path breaks later updates.
    """
    environ = os.environ if environ is None else environ
    origin = "--template" if src else ENV_VAR
    src = src or environ.get(ENV_VAR) or None
    if src is None:
        root = default_root()
        if not _has_config(root):
            raise UsageError(
                f"cannot find the shipshape template next to the installed package ({root}); "
                f"pass --template PATH_OR_URL or set {ENV_VAR}"
            )
        return Template(str(root), root)
    if "://" in src or src.startswith(_URL_PREFIXES):
        return Template(src)
    root = Path(src).expanduser().resolve()
    if not root.is_dir():
        raise UsageError(f"{origin}: template folder {root} does not exist")
    if not _has_config(root):
        raise UsageError(
            f"{origin}: {root} is not a copier template (no copier.yml or copier.yaml in it)"
        )
    return Template(str(root), root)


def _has_config(root: Path) -> bool:
    return any((root / name).is_file() for name in _CONFIG_NAMES)
