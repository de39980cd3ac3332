"""Reading YAML config files: the one loader for every file under ``config/`` and ``prompts/``.

Errors name the file, the line and the field (``config/models.yaml, line 12: tiers.best[1]:
unknown target``), so a typo is found without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ConfigError

Loc = tuple[int | str, ...]


def read_yaml(path: Path, what: str) -> Any:
    """Parse ``path`` as YAML (an empty file reads as ``{}``); ``what`` names it in errors."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def field_name(loc: Sequence[int | str]) -> str:
    """``tiers.best[1]``: names dotted, list positions in brackets."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".") or "(top level)"


def line_of(path: Path, loc: Sequence[int | str]) -> int:
    """The 1-based line of the deepest node of ``loc`` that the file has (1 if unreadable)."""
    try:
        node: Any = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return 1
    if node is None:
        return 1
    line: int = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(key, value) for key, value in node.value if key.value == str(part)]
            if not match:
                break
            line = match[0][0].start_mark.line + 1
            node = match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def where(path: Path, loc: Sequence[int | str]) -> str:
    """``path, line N: field`` for an error message."""
    return f"{path}, line {line_of(path, loc)}: {field_name(loc)}"


def invalid(
    path: Path, exc: ValidationError, locate: Callable[[Loc], Loc] = lambda loc: loc
) -> ConfigError:
    """A ConfigError naming the line and field of each invalid value of ``path``.

    ``locate`` maps pydantic's location to the field's path in the file (for example without a
    discriminated union's tag).
    """
    problems = "; ".join(
        f"{where(path, locate(tuple(error['loc'])))}: {error['msg']}" for error in exc.errors()
    )
    return ConfigError(problems)
