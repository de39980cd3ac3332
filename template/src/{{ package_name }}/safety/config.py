"""``config/guardrails.yaml``: each check's action (block, redact, flag, off), read at start-up."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..foundation.configfile import invalid, read_yaml
from ..foundation.errors import ConfigError
from .classifier import shipped_model
from .injection import Classifier, FunctionClassifier
from .pii import PII_TYPES, PiiType

Action = Literal["block", "flag", "off"]
PiiAction = Literal["block", "redact", "flag", "off"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InjectionCheck(_Strict):
    action: Action = "block"
    threshold: float = Field(default=1.0, gt=0)
    # The classifier's probability at which it alone refuses (null: the model's own).
    model_threshold: float | None = Field(default=None, gt=0, le=1)


class TenantChecks(_Strict):
    """One tenant's injection checks, replacing the defaults for its requests."""

    input: InjectionCheck | None = None
    retrieved: InjectionCheck | None = None


class PiiCheck(_Strict):
    action: PiiAction = "redact"
    types: list[PiiType] = Field(default_factory=lambda: list(PII_TYPES))
    # Phone numbers written without a country code are read as numbers of this region.
    region: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    # Keep placeholder -> value so the answer gets the values back (only if compliance allows).
    reversible: bool = False


class Check(_Strict):
    action: Action = "block"


class InputChecks(_Strict):
    max_input_tokens: int = Field(default=16000, ge=1)
    injection: InjectionCheck = InjectionCheck()
    pii: PiiCheck = PiiCheck()


class RetrievedChecks(_Strict):
    injection: InjectionCheck = InjectionCheck()


class OutputChecks(_Strict):
    schema_: Check = Field(default=Check(), alias="schema")
    pii: PiiCheck = PiiCheck(action="redact")
    system_prompt_leak: Check = Check()


class GuardrailsConfig(_Strict):
    input: InputChecks = InputChecks()
    retrieved: RetrievedChecks = RetrievedChecks()
    output: OutputChecks = OutputChecks()
    # "builtin": the trained model shipped in safety/injection_model/; "module:function"
    # (text -> probability); null: the pattern list alone.
    classifier: str | None = Field(default="builtin", pattern=r"^(builtin|[\w.]+:\w+)$")
    tenants: dict[str, TenantChecks] = Field(default_factory=dict)

    def injection(self, stage: Literal["input", "retrieved"], tenant: str | None) -> InjectionCheck:
        """The injection check for ``stage``, with the tenant's override when it has one."""
        override = self.tenants.get(tenant) if tenant is not None else None
        chosen: InjectionCheck | None = getattr(override, stage) if override else None
        if chosen is not None:
            return chosen
        return self.input.injection if stage == "input" else self.retrieved.injection

    def load_classifier(self) -> Classifier | None:
        if self.classifier is None:
            return None
        if self.classifier == "builtin":
            return shipped_model()
        module, _, name = self.classifier.partition(":")
        try:
            function = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"classifier: cannot import {self.classifier!r}: {exc}") from exc
        return FunctionClassifier(function, version=self.classifier)


def load_guardrails(path: Path) -> GuardrailsConfig:
    """Read and validate the guardrails file; ConfigError names the file and the field."""
    data = read_yaml(path, "guardrails file")
    try:
        return GuardrailsConfig.model_validate(data)
    except ValidationError as exc:
        raise invalid(path, exc) from exc
