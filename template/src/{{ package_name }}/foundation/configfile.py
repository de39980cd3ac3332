"""Reading YAML config files, with errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ConfigError


def read_yaml(path: Path, what: str) -> Any:
    """Parse ``path`` as YAML (an empty file reads as ``{}``); ``what`` names it in errors."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def invalid(path: Path, exc: ValidationError) -> ConfigError:
    """A ConfigError listing each invalid field of ``path`` as ``dotted.field: message``."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
        for error in exc.errors()
    )
    return ConfigError(f"{path}: {problems}")
