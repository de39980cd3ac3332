"""Versioned prompts: ``prompts/<name>.v<version>.yaml`` loaded and validated at start-up.

Each file holds one version of one prompt: name, version, description, model tier, sampling
parameters, a template rendered in Jinja's sandbox, a JSON schema for its input variables and,
optionally, one for the model's output. Templates use ``[[ var ]]`` and ``[% ... %]`` so they
never collide with other templating. Errors name the file and the field.

``prompts/prompts.lock`` records a content hash per ``name@version``: changing a prompt's text
without bumping its version fails ``<slug> prompts check`` (and the test suite, and CI).

Each version is compiled once, when it is loaded: its template into a Jinja ``Template`` and its
input schema into a validator. A request only validates and renders; nothing is parsed per call.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..foundation.errors import ConfigError, InvalidRequestError

LOCK_FILE = "prompts.lock"
FILE_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9-]*)\.v(?P<version>[1-9][0-9]*)\.yaml$")

_ENVIRONMENT = SandboxedEnvironment(
    variable_start_string="[[",
    variable_end_string="]]",
    block_start_string="[%",
    block_end_string="%]",
    comment_start_string="[#",
    comment_end_string="#]",
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)


class PromptSpec(BaseModel):
    """One version of one prompt, as written in its file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: int = Field(ge=1)
    description: str = Field(min_length=1)
    model: Literal["fast", "balanced", "best"] = "fast"
    parameters: Parameters = Parameters()
    template: str = Field(min_length=1)
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    output_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class Prompt:
    """One prompt version, its template compiled and its input validator built (once)."""

    spec: PromptSpec
    path: Path
    template: Template = field(repr=False, compare=False)
    validator: Validator = field(repr=False, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.spec.name}@{self.spec.version}"

    def render(self, variables: dict[str, Any]) -> str:
        """Validate the variables against the input schema, then render the template."""
        error = best_match(self.validator.iter_errors(variables))
        if error is not None:
            where = ".".join(str(part) for part in error.absolute_path)
            param = f"prompt.variables.{where}" if where else "prompt.variables"
            raise InvalidRequestError(f"{self.ref}: {error.message}", param=param)
        try:
            return self.template.render(variables).strip()
        except TemplateError as exc:
            raise InvalidRequestError(f"{self.ref}: {exc}", param="prompt.variables") from exc

    def content_hash(self) -> str:
        canonical = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``chat@2`` -> ("chat", 2); ``chat`` -> ("chat", None)."""
    name, _, version = ref.partition("@")
    if version and not version.isdigit():
        raise ValueError(f"{ref!r}: expected NAME@VERSION with a whole-number version")
    return name, int(version) if version else None


class PromptRegistry:
    """Every prompt version found in a folder; look-ups by name and version."""

    def __init__(self, prompts: list[Prompt], folder: Path) -> None:
        self.folder = folder
        self._prompts = {(p.spec.name, p.spec.version): p for p in prompts}
        # Answered per request: computed once here.
        self._versions: dict[str, list[int]] = {}
        for name, version in sorted(self._prompts):
            self._versions.setdefault(name, []).append(version)
        self._names = sorted(self._versions)

    def names(self) -> list[str]:
        return list(self._names)

    def versions(self, name: str) -> list[int]:
        return list(self._versions.get(name, ()))

    def all(self) -> list[Prompt]:
        return [self._prompts[key] for key in sorted(self._prompts)]

    def get(self, name: str, version: int | None = None) -> Prompt:
        """The named version, or the latest one; InvalidRequestError when it does not exist."""
        versions = self._versions.get(name)
        if not versions:
            known = ", ".join(self._names) or "none"
            raise InvalidRequestError(
                f"Unknown prompt {name!r} (prompts: {known}).", param="prompt.name"
            )
        if version is None:
            version = versions[-1]
        prompt = self._prompts.get((name, version))
        if prompt is None:
            raise InvalidRequestError(
                f"Prompt {name!r} has no version {version} (versions: "
                f"{', '.join(map(str, versions))}).",
                param="prompt.version",
            )
        return prompt


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_prompt(path: Path) -> Prompt:
    """Read one prompt file; ConfigError names the file and the field."""
    match = FILE_NAME.match(path.name)
    if match is None:
        raise ConfigError(f"{path}: file name must be <name>.v<version>.yaml, e.g. chat.v1.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        spec = PromptSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_field(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc
    if (spec.name, spec.version) != (match["name"], int(match["version"])):
        raise ConfigError(
            f"{path}: name/version: the file says {spec.name}@{spec.version}, its name says "
            f"{match['name']}@{match['version']}"
        )
    schemas = {"input_schema": spec.input_schema, "output_schema": spec.output_schema}
    validators: dict[str, Validator] = {}
    for name, schema in schemas.items():
        if schema is None:
            continue
        # The draft the schema names in ``$schema``, else 2020-12 (what jsonschema.validate picks).
        cls = validator_for(schema, jsonschema.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ConfigError(f"{path}: {name}: not a valid JSON schema: {exc.message}") from exc
        validators[name] = cls(schema)
    try:
        template = _ENVIRONMENT.from_string(spec.template)
    except TemplateError as exc:
        raise ConfigError(f"{path}: template: {exc}") from exc
    return Prompt(spec, path, template, validators["input_schema"])


def load_prompts(folder: Path) -> PromptRegistry:
    """Load and validate every ``*.yaml`` prompt in ``folder``."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: the prompts folder does not exist")
    prompts = [load_prompt(path) for path in sorted(folder.glob("*.yaml"))]
    return PromptRegistry(prompts, folder)


def lock_entries(registry: PromptRegistry) -> dict[str, str]:
    return {prompt.ref: prompt.content_hash() for prompt in registry.all()}


def write_lock(registry: PromptRegistry) -> Path:
    path = registry.folder / LOCK_FILE
    path.write_text(json.dumps(lock_entries(registry), indent=2, sort_keys=True) + "\n")
    return path


def check_lock(registry: PromptRegistry) -> list[str]:
    """Every way the prompts differ from their lock file, as sentences (empty: all good)."""
    path = registry.folder / LOCK_FILE
    try:
        locked: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        locked = {}
    problems: list[str] = []
    current = lock_entries(registry)
    for ref, digest in current.items():
        if ref not in locked:
            problems.append(f"{ref} is not in {path}: run the `prompts lock` command")
        elif locked[ref] != digest:
            problems.append(
                f"{ref} changed without a version bump: copy it to a new version file "
                f"(released versions are immutable)"
            )
    problems += [
        f"{ref} is in {path} but its file is gone: run the `prompts lock` command"
        for ref in sorted(set(locked) - set(current))
    ]
    return problems
