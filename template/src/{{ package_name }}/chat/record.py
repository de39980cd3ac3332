"""Record, the last pipeline stage: one ``interactions`` row, one cost-ledger row and one audit
record per chat request (its unit of work), the chat metrics and the request's log-line fields.

The unit of work goes to the group-commit writer (``foundation/writer.py``), which commits it
with other requests' in one transaction; the request answers only once its batch is durable
(for a stream, before ``[DONE]``), so when the audit record cannot be written the request fails
rather than going unrecorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from ..audit import trail as audit
from ..chat.models import Interaction
from ..identity.access import set_tenant
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
    injection: dict[str, object] = field(default_factory=dict)
    # Who called: ``api_key:sk-...``, ``oidc:<sub>``, ``dev:dev``, ``system:evals``.
    actor: str = "anonymous:anonymous"


@dataclass(frozen=True)
class UnitOfWork:
    """One chat request's effects, committed together by the group-commit writer."""

    tenant: str
    interaction: dict[str, Any]
    ledger: dict[str, Any]
    entry: audit.Entry


def unit_of_work(outcome: Outcome, content: Mapping[str, Any] | None = None) -> UnitOfWork:
    """The interaction row, the ledger row and the audit entry of ``outcome``."""
    fields = asdict(outcome)
    now = datetime.now(UTC)
    interaction = {key: value for key, value in fields.items() if key in INTERACTION_FIELDS}
    interaction |= {
        "created_at": now,
        "principal": outcome.actor,
        "subject": outcome.user,
        "tenant_id": outcome.tenant,
    }
    ledger = {key: value for key, value in fields.items() if key in LEDGER_FIELDS}
    ledger |= {"created_at": now, "tenant_id": outcome.tenant}
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
        decisions={
            "tier": outcome.tier,
            "target": outcome.target,
            "flags": outcome.flag_variants,
            **({"injection": outcome.injection} if outcome.injection else {}),
        },
        content=content,
    )
    return UnitOfWork(outcome.tenant, interaction, ledger, entry)


def committer(
    engine: Engine, policy: audit.ContentPolicy
) -> Callable[[Sequence[UnitOfWork]], None]:
    """Commit a batch of units in one transaction: all rows of all units, or none.

    Core inserts, one statement per table and tenant (the ORM's unit of work costs more); the
    audit entries are chained in the batch's order. On PostgreSQL each tenant's rows are written
    with that tenant set, so row-level security checks every row.
    """

    def commit(units: Sequence[UnitOfWork]) -> None:
        by_tenant: dict[str, list[UnitOfWork]] = {}
        for unit in units:
            by_tenant.setdefault(unit.tenant, []).append(unit)
        first = units[0].tenant
        with audit.transaction(engine, first) as session:
            head: str | None = None
            for tenant, group in by_tenant.items():
                if tenant != first:
                    set_tenant(session, tenant)
                session.execute(insert(Interaction), [unit.interaction for unit in group])
                session.execute(insert(LedgerEntry), [unit.ledger for unit in group])
                rows = audit.append_many(session, [unit.entry for unit in group], policy, head=head)
                head = rows[-1]["hash"]

    return commit


def observe(outcome: Outcome) -> None:
    """The request's metrics and the fields of its log line (in the request's context)."""
    _observe(outcome)
    fields = asdict(outcome)
    fields.pop("request_id")  # already bound to every line of the request
    fields.pop("actor")  # bound to the request's log line by access.require
    fields["cost_usd"] = None if outcome.cost_usd is None else float(outcome.cost_usd)
    annotate(**fields)
    if not outcome.priced:
        log.warning("cost.unpriced_target", target=outcome.target, model=outcome.model)


def record(
    engine: Engine,
    outcome: Outcome,
    policy: audit.ContentPolicy,
    *,
    content: Mapping[str, Any] | None = None,
) -> None:
    """Write one request's rows in a transaction of their own (the CLI and tests; the service
    goes through the group-commit writer). Raises AuditUnavailableError."""
    committer(engine, policy)([unit_of_work(outcome, content)])
    observe(outcome)


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
