"""Record: one ``interactions`` row and one structured log line per chat request.

The cost ledger, audit log and metrics join this stage later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
    # ok, upstream_unavailable, upstream_error or client_disconnected
    outcome: str


def record(engine: Engine, outcome: Outcome) -> None:
    # A Core insert: this runs on every request, and the ORM's unit of work costs more.
    with engine.begin() as connection:
        connection.execute(
            insert(Interaction), [{"created_at": datetime.now(UTC), **asdict(outcome)}]
        )
    fields = asdict(outcome)
    fields.pop("request_id")  # already bound to every line of the request
    log.info("chat.completion", **fields)
