"""Guardrails: checks on what enters a prompt and on what comes back, each with its action.

Input (before flags, prompt and gateway): size limit, prompt injection in user messages,
indirect injection in tool results and retrieved documents, PII. Output (after the gateway):
structured-output validation, PII, system-prompt leaks (a canary planted in the system prompt).
``config/guardrails.yaml`` sets each check's action (and a tenant's own injection thresholds).
Every decision is logged (``guardrail.decision``, never with the text itself) and counted
(``guardrail_decisions_total``); injection checks are counted with the classifier's model
version and probability band (``guardrail_injection_checks_total``), and the highest
probability, model version and decision go into the request's audit record. Maps to OWASP
LLM01, LLM02, LLM05, LLM07 and LLM10.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema
from prometheus_client import Counter

from ..chat.schemas import ChatMessage
from ..foundation.errors import ApiError, InvalidRequestError
from ..gateway.providers.fake import count_tokens
from ..observability.logging import get_logger
from .config import GuardrailsConfig, InjectionCheck, PiiCheck, load_guardrails
from .injection import Classifier, Verdict, detect
from .pii import Redactor, find_pii

__all__ = [
    "ContextLengthExceededError",
    "Guardrails",
    "GuardrailsConfig",
    "OutputRejectedError",
    "PiiDetectedError",
    "PromptInjectionError",
    "SystemPromptLeakError",
    "load_guardrails",
]

log = get_logger(__name__)

DECISIONS = Counter(
    "guardrail_decisions",
    "Guardrail decisions by stage, check and action.",
    ["stage", "check", "action"],
)
# The classifier's probability per checked message, in tenths (band "0.0" to "0.9"; 1.0 is
# "0.9"): a histogram of scores (the project's histograms are durations in seconds).
INJECTION_CHECKS = Counter(
    "guardrail_injection_checks",
    "Injection checks by stage, classifier model version, decision and probability band.",
    ["stage", "model", "decision", "band"],
)
UNTRUSTED_ROLES = {"tool"}


class ContextLengthExceededError(InvalidRequestError):
    code = "context_length_exceeded"


class PromptInjectionError(InvalidRequestError):
    code = "prompt_injection_detected"


class PiiDetectedError(InvalidRequestError):
    code = "pii_detected"


class OutputRejectedError(ApiError):
    """The model's answer failed an output check; the client gets no part of it."""

    status_code = 422
    code = "output_validation_failed"


class SystemPromptLeakError(OutputRejectedError):
    code = "system_prompt_leak_detected"


def _decide(stage: str, check: str, action: str, **detail: Any) -> None:
    DECISIONS.labels(stage, check, action).inc()
    log.warning("guardrail.decision", stage=stage, check=check, action=action, **detail)


def new_canary() -> str:
    return f"canary-{secrets.token_hex(8)}"


@dataclass
class InputResult:
    """The messages to send on, and the redactor whose placeholders the answer may carry."""

    messages: list[ChatMessage]
    redactor: Redactor
    flagged: list[str] = field(default_factory=list)
    # For the audit record: the injection check's model, highest probability and decision.
    injection: dict[str, Any] = field(default_factory=dict)

    def note(self, stage: str, verdict: Verdict | None, action: str) -> None:
        if verdict is None or verdict.probability is None:
            return
        best = self.injection.get("probability", -1.0)
        if verdict.probability > best or (verdict.is_attack and action != "pass"):
            self.injection = {
                "model": verdict.model,
                "probability": verdict.probability,
                "score": verdict.score,
                "stage": stage,
                "decision": action if verdict.is_attack else "pass",
            }


class Guardrails:
    def __init__(self, config: GuardrailsConfig) -> None:
        self.config = config
        self.classifier: Classifier | None = config.load_classifier()

    # -- input ---------------------------------------------------------------------------

    def _verdict(self, stage: str, check: InjectionCheck, text: str) -> Verdict | None:
        if check.action == "off":
            return None
        verdict = detect(
            text,
            threshold=check.threshold,
            classifier=self.classifier,
            model_threshold=check.model_threshold,
        )
        if verdict.probability is not None:
            decision = check.action if verdict.is_attack else "pass"
            band = f"{min(int(verdict.probability * 10), 9) / 10:.1f}"
            INJECTION_CHECKS.labels(stage, verdict.model, decision, band).inc()
        return verdict

    def _injection(
        self, stage: Literal["input", "retrieved"], text: str, param: str, tenant: str | None,
        result: InputResult | None = None,
    ) -> bool:  # fmt: skip
        check = self.config.injection(stage, tenant)
        verdict = self._verdict(stage, check, text)
        if result is not None:
            result.note(stage, verdict, check.action)
        if verdict is None or not verdict.is_attack:
            return False
        _decide(stage, "injection", check.action, param=param, score=verdict.score,
                patterns=list(verdict.matched), probability=verdict.probability,
                model=verdict.model)  # fmt: skip
        if check.action == "block":
            raise PromptInjectionError(
                "The request was blocked: it looks like a prompt-injection or jailbreak attempt.",
                param=param,
            )
        return True

    def check_retrieved(
        self, text: str, *, param: str = "document", tenant: str | None = None
    ) -> bool:
        """Indirect injection check for content entering a prompt; True when flagged."""
        return self._injection("retrieved", text, param, tenant)

    def _pii(self, stage: str, check: PiiCheck, text: str, redactor: Redactor, param: str) -> str:
        if check.action == "off":
            return text
        findings = find_pii(text, tuple(check.types), check.region)
        if not findings:
            return text
        kinds = sorted({finding.type for finding in findings})
        _decide(stage, "pii", check.action, param=param, types=kinds, count=len(findings))
        if check.action == "block" and stage == "input":
            raise PiiDetectedError(
                f"The request contains personal data ({', '.join(kinds)}); remove it and retry.",
                param=param,
            )
        if check.action == "block":
            raise OutputRejectedError(f"The answer was withheld: it contains {', '.join(kinds)}.")
        if check.action == "redact":
            return redactor.redact(text, findings)
        return text

    def check_input(self, messages: list[ChatMessage], tenant: str | None = None) -> InputResult:
        checks = self.config.input
        tokens = sum(count_tokens(message.text) for message in messages)
        if tokens > checks.max_input_tokens:
            _decide("input", "size", "block", tokens=tokens, limit=checks.max_input_tokens)
            raise ContextLengthExceededError(
                f"The messages are about {tokens} tokens long; this service accepts at most "
                f"{checks.max_input_tokens}. Shorten the conversation and retry.",
                param="messages",
            )
        result = InputResult(messages=[], redactor=Redactor(reversible=checks.pii.reversible))
        for index, message in enumerate(messages):
            param = f"messages.{index}.content"
            text = message.text
            if message.role in UNTRUSTED_ROLES:
                if self._injection("retrieved", text, param, tenant, result):
                    result.flagged.append("retrieved_injection")
            elif message.role == "user" and self._injection("input", text, param, tenant, result):
                result.flagged.append("injection")
            redacted = self._pii("input", checks.pii, text, result.redactor, param)
            if redacted != text:
                message = message.model_copy(update={"content": redacted})
            result.messages.append(message)
        return result

    # -- output --------------------------------------------------------------------------

    def leaks(self, text: str, canary: str) -> bool:
        return self.config.output.system_prompt_leak.action != "off" and canary in text

    def check_output(
        self,
        text: str,
        *,
        canary: str,
        redactor: Redactor,
        output_schema: dict[str, Any] | None = None,
    ) -> str:
        """Return the answer to send (PII redacted or restored); raise when a check blocks."""
        checks = self.config.output
        if self.leaks(text, canary):
            _decide("output", "system_prompt_leak", checks.system_prompt_leak.action)
            if checks.system_prompt_leak.action == "block":
                raise SystemPromptLeakError(
                    "The answer was withheld: it disclosed the system prompt."
                )
            text = text.replace(canary, "")
        if output_schema is not None and checks.schema_.action != "off":
            problem = _schema_problem(text, output_schema)
            if problem:
                _decide("output", "schema", checks.schema_.action, problem=problem)
                if checks.schema_.action == "block":
                    raise OutputRejectedError(
                        f"The model's answer does not match the prompt's output schema: {problem}"
                    )
        text = self._pii("output", checks.pii, text, Redactor(), "choices.0.message.content")
        return redactor.restore(text)


def _schema_problem(text: str, schema: dict[str, Any]) -> str | None:
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})"
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path)
        return f"{where or '(root)'}: {exc.message}"
    return None
