"""The red-team suite: attacks and benign look-alikes through the real pipeline.

``evals/redteam/attacks.jsonl`` and ``benign.jsonl`` hold one case per line (``id``,
``category``, ``text``, optional ``channel``: ``user`` or ``tool`` for content arriving as a
tool result, i.e. indirect injection). An attack counts as blocked when the pipeline refuses
it with a guardrail error; a benign case blocked is a false positive. The gates
(``min_block_rate``, ``max_false_positive_rate``) are in ``evals/baseline.json``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..chat.pipeline import chat_completion
from ..chat.schemas import ChatCompletionRequest, ChatMessage
from ..foundation.errors import ApiError
from ..identity.principal import system_principal
from ..services import Services

BLOCK_CODES = {"prompt_injection_detected", "pii_detected", "system_prompt_leak_detected"}


@dataclass(frozen=True)
class Outcome:
    id: str
    category: str
    attack: bool
    blocked: bool
    code: str | None


def load(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _request(case: dict[str, Any], model: str) -> ChatCompletionRequest:
    text = str(case["text"])
    if case.get("channel") == "tool":
        messages = [
            ChatMessage(role="user", content="Summarise the document the tool returned."),
            ChatMessage(role="tool", content=text),
        ]
    else:
        messages = [ChatMessage(role="user", content=text)]
    return ChatCompletionRequest(model=model, messages=messages, user="redteam")


async def run(services: Services, cases: list[dict[str, Any]], *, attack: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for case in cases:
        code: str | None = None
        try:
            request_id = f"redteam-{uuid.uuid4().hex}"
            principal = system_principal("redteam")
            await chat_completion(services, _request(case, "fast"), request_id, principal)
        except ApiError as exc:
            code = exc.code
        blocked = code in BLOCK_CODES
        outcomes.append(
            Outcome(str(case["id"]), str(case.get("category", "")), attack, blocked, code)
        )
    return outcomes


def rates(outcomes: list[Outcome]) -> dict[str, Any]:
    attacks = [o for o in outcomes if o.attack]
    benign = [o for o in outcomes if not o.attack]
    by_category: dict[str, dict[str, float]] = {}
    for category in sorted({o.category for o in attacks}):
        rows = [o for o in attacks if o.category == category]
        by_category[category] = {
            "cases": len(rows),
            "block_rate": round(sum(o.blocked for o in rows) / len(rows), 4),
        }
    return {
        "attacks": len(attacks),
        "block_rate": round(sum(o.blocked for o in attacks) / len(attacks), 4) if attacks else 0.0,
        "benign": len(benign),
        "false_positive_rate": (
            round(sum(o.blocked for o in benign) / len(benign), 4) if benign else 0.0
        ),
        "by_category": by_category,
        "missed": [o.id for o in attacks if not o.blocked],
        "false_positives": [o.id for o in benign if o.blocked],
    }
