"""Record: one ``interactions`` row and one cost-ledger row per chat request, the chat
metrics, and the request's log-line fields.

The audit log joins this stage later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, insert

from .logging import get_logger
from .metrics import (
    CHAT_REQUESTS,
    LLM_COST,
    LLM_TOKENS,
    LLM_UNPRICED,
    record_fallback,
    tier_label,
)
from .models import Interaction, LedgerEntry
from .requestlog import annotate

log = get_logger(__name__)
INTERACTION_FIELDS = frozenset(Interaction.__table__.columns.keys())
LEDGER_FIELDS = frozenset(LedgerEntry.__table__.columns.keys())


@dataclass(frozen=True)
class Outcome:
    request_id: str
    tenant: str
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


def record(engine: Engine, outcome: Outcome) -> None:
    fields = asdict(outcome)
    now = datetime.now(UTC)
    interaction = {key: value for key, value in fields.items() if key in INTERACTION_FIELDS}
    ledger = {key: value for key, value in fields.items() if key in LEDGER_FIELDS}
    # Core inserts in one transaction: this runs on every request, and the ORM's unit of work
    # costs more.
    with engine.begin() as connection:
        connection.execute(insert(Interaction), [{"created_at": now, **interaction}])
        connection.execute(insert(LedgerEntry), [{"created_at": now, **ledger}])
    _observe(outcome)
    fields.pop("request_id")  # already bound to every line of the request
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
