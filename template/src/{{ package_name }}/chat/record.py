"""Record: one ``interactions`` row, one cost-ledger row and one audit record per chat
request, the chat metrics, and the request's log-line fields.

The three rows are written in one transaction before the response is sent (for a stream,
before ``[DONE]``): when the audit record cannot be written the request fails rather than
going unrecorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from ..audit import trail as audit
from ..chat.models import Interaction
from ..observability.logging import get_logger
from ..observability.metrics import (
    CHAT_REQUESTS,
    LLM_COST,
    LLM_TOKENS,
    LLM_UNPRICED,
    record_fallback,
    tier_label,
)
from ..observability.requestlog import annotate
from ..spend.models import LedgerEntry

log = get_logger(__name__)

ROUTE = "POST /v1/chat/completions"
INTERACTION_FIELDS = frozenset(Interaction.__table__.columns.keys())
LEDGER_FIELDS = frozenset(LedgerEntry.__table__.columns.keys())


@dataclass(frozen=True)
class Outcome:
    request_id: str
    tenant: str
    # Whom the request was for (the data subject): the caller, or the end user it names.
    user: str
    key_id: str | None
    requested_model: str
    tier: str | None
    target: str | None
    provider: str | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    # ok, cache_hit, upstream_unavailable, upstream_error, output_blocked, client_disconnected,
    # invalid_model_output, or the provider's error kind when it refused the request
    outcome: str
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    # None: the target has no known price (``priced`` is then False).
    cost_usd: Decimal | None = Decimal(0)
    priced: bool = True
    # How many targets of the route failed before the one that answered.
    fallbacks: int = 0
    prompt_name: str | None = None
    prompt_version: int | None = None
    # flag key -> variant served, so experiments can be analysed per variant
    flag_variants: dict[str, str] = field(default_factory=dict)
    # Who called: ``api_key:sk-...``, ``oidc:<sub>``, ``dev:dev``, ``system:evals``.
    actor: str = "anonymous:anonymous"


def record(
    engine: Engine,
    outcome: Outcome,
    policy: audit.ContentPolicy,
    *,
    content: Mapping[str, Any] | None = None,
) -> None:
    """Write the interaction, ledger and audit rows together; raises AuditUnavailableError."""
    fields = asdict(outcome)
    now = datetime.now(UTC)
    interaction = {key: value for key, value in fields.items() if key in INTERACTION_FIELDS}
    interaction |= {"principal": outcome.actor, "subject": outcome.user}
    ledger = {key: value for key, value in fields.items() if key in LEDGER_FIELDS}
    version = outcome.prompt_version
    entry = audit.Entry(
        request_id=outcome.request_id,
        tenant_id=outcome.tenant,
        principal=outcome.actor,
        subject=outcome.user,
        action="chat.completion",
        route=ROUTE,
        outcome=outcome.outcome,
        target=f"{outcome.provider}/{outcome.model}" if outcome.provider else None,
        prompt_name=outcome.prompt_name,
        prompt_version=None if version is None else str(version),
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        cost_usd=float(outcome.cost_usd or 0),
        decisions={"tier": outcome.tier, "target": outcome.target, "flags": outcome.flag_variants},
        content=content,
    )
    # Core inserts (this runs on every request, and the ORM's unit of work costs more), in the
    # audit record's transaction: the three rows commit together or not at all.
    with audit.transaction(engine, outcome.tenant) as session:
        session.execute(
            insert(Interaction), [{"created_at": now, **interaction, "tenant_id": outcome.tenant}]
        )
        session.execute(insert(LedgerEntry), [{"created_at": now, **ledger}])
        audit.append(session, entry, policy, now=now)
    _observe(outcome)
    fields.pop("request_id")  # already bound to every line of the request
    fields.pop("actor")  # bound to the request's log line by access.require
    fields["cost_usd"] = None if outcome.cost_usd is None else float(outcome.cost_usd)
    annotate(**fields)
    if not outcome.priced:
        log.warning("cost.unpriced_target", target=outcome.target, model=outcome.model)


def _observe(outcome: Outcome) -> None:
    CHAT_REQUESTS.labels(tier=tier_label(outcome.tier), outcome=outcome.outcome).inc()
    if outcome.target is None:
        return
    if outcome.fallbacks:
        record_fallback(outcome.tier)
    for kind, count in (
        ("input", outcome.prompt_tokens),
        ("output", outcome.completion_tokens),
        ("cached", outcome.cached_tokens),
        ("reasoning", outcome.reasoning_tokens),
    ):
        LLM_TOKENS.labels(target=outcome.target, kind=kind).inc(count)
    if outcome.cost_usd is None:
        LLM_UNPRICED.labels(target=outcome.target).inc()
    else:
        LLM_COST.labels(target=outcome.target).inc(float(outcome.cost_usd))
