"""Presets: copier answers files in ``presets/``, each introduced by a ``# For: ...`` comment."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import yaml
from copier.errors import UserMessageError

from shipshape import answers as answers_
from shipshape.errors import AnswerError, PresetError
from shipshape.template import Template

#: Preset used when the user picks none.
DEFAULT = "minimal"

#: Project name given when rendering a preset to check it (presets leave the name open).
PLACEHOLDER_NAME = "Preset Check"

_FOR = re.compile(r"^#\s*For:\s*(?P<text>.*)$")


@dataclass(frozen=True)
class Preset:
    """One preset file."""

    name: str
    path: Path

    @property
    def summary(self) -> str:
        """The first sentence of the header's ``For:`` paragraph ("" when there is none)."""
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            match = _FOR.match(line.strip())
            if match is None:
                continue
            parts = [match["text"].strip()]
            for following in lines[index + 1 :]:
                text = following.strip()
                if not text.startswith("#") or not text.lstrip("#").strip():
                    break
                parts.append(text.lstrip("#").strip())
            paragraph = " ".join(part for part in parts if part)
            sentence = re.match(r"(.+?\.)(\s|$)", paragraph)
            return sentence[1] if sentence else paragraph
        return ""

    def answers(self) -> dict[str, Any]:
        """The answers the preset sets."""
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except OSError as error:
            raise PresetError(f"{self.path}: cannot read: {error.strerror}") from error
        except yaml.YAMLError as error:
            raise PresetError(f"{self.path}: not valid YAML: {error}") from error
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise PresetError(
                f"{self.path}: must be a mapping of question: answer, not a {type(data).__name__}"
            )
        return data


def available(directory: Path) -> list[Preset]:
    """Presets in ``directory``, the default first, then by name."""
    found = [Preset(path.stem, path) for path in sorted(directory.glob("*.yml"))]
    return sorted(found, key=lambda preset: (preset.name != DEFAULT, preset.name))


def find(name_or_path: str, directory: Path) -> Preset:
    """Return the preset called ``name_or_path`` in ``directory``, or the file at that path."""
    path = Path(name_or_path).expanduser()
    if path.suffix in {".yml", ".yaml"} or len(path.parts) > 1:
        if path.is_file():
            return Preset(path.stem, path.resolve())
        raise PresetError(f"--preset: preset file {path} does not exist")
    for preset in available(directory):
        if preset.name == name_or_path:
            return preset
    names = ", ".join(preset.name for preset in available(directory)) or "(none)"
    raise PresetError(
        f"--preset: unknown preset {name_or_path!r}; available presets: {names} "
        "(or pass the path of a YAML answers file)"
    )


def validate(preset: Preset, template: Template) -> str | None:
    """Check one preset; return what is wrong with it, or ``None`` when it is fine.

    A preset must introduce itself with a ``# For:`` line, answer only questions the
    template asks, pass the template's validators and render.
    """
    try:
        data = preset.answers()
        answers_.check_known(data, template.questions, "preset")
    except (PresetError, AnswerError) as error:
        return str(error).removeprefix(f"{preset.path}: ")
    if not preset.summary:
        return "no '# For: ...' line in the comment header (presets list shows it)"
    with tempfile.TemporaryDirectory(prefix="shipshape-preset-") as tmp:
        try:
            copier.run_copy(
                template.src,
                Path(tmp, "project"),
                data={"project_name": PLACEHOLDER_NAME, **data},
                defaults=True,
                # A local checkout's presets are checked against its working tree, not against
                # the newest release copier would pick.
                vcs_ref="HEAD" if template.root is not None else None,
                quiet=True,
                unsafe=True,
            )
        except (ValueError, TypeError, UserMessageError) as error:
            return str(error)
    return None
