"""Record: one ``interactions`` row and one structured log line per chat request.

The cost ledger, audit log and metrics join this stage later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from .logging import get_logger
from .models import Interaction

log = get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    request_id: str
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
    prompt_name: str | None = None
    prompt_version: int | None = None
    # flag key -> variant served, so experiments can be analysed per variant
    flag_variants: dict[str, str] = field(default_factory=dict)


def record(engine: Engine, outcome: Outcome) -> None:
    # A Core insert: this runs on every request, and the ORM's unit of work costs more.
    with engine.begin() as connection:
        connection.execute(
            insert(Interaction), [{"created_at": datetime.now(UTC), **asdict(outcome)}]
        )
    fields = asdict(outcome)
    fields.pop("request_id")  # already bound to every line of the request
    log.info("chat.completion", **fields)
