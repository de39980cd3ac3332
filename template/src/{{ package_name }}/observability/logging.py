"""Structured logging: JSON in production, readable console lines in development.

Every line carries the request id (bound per request through contextvars) and, inside a
trace, the trace id; each passes through
a redaction processor, so API keys, passwords and bearer tokens never reach a log sink.
Standard-library loggers, uvicorn's included, are routed through the same formatter.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from .tracing import trace_id

REDACTED = "[REDACTED]"
SECRET_KEY = re.compile(
    r"authorization|api[_-]?key|password|passwd|secret|token|cookie|credential", re.IGNORECASE
)
SECRET_VALUE = re.compile(
    r"\bsk-[A-Za-z0-9_-]{8,}|\bBearer\s+[A-Za-z0-9._~+/=-]+|(?<=://)[^/\s:@]+:[^/\s@]+(?=@)",
)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return SECRET_VALUE.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {key: _redact_item(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return value


def _redact_item(key: str, value: Any) -> Any:
    # Token counts are numbers, not credentials.
    if SECRET_KEY.search(key) and not isinstance(value, int | float):
        return REDACTED
    return _redact_value(value)


def redact(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask secret-looking keys and values anywhere in the event."""
    return {key: _redact_item(key, value) for key, value in event_dict.items()}


def add_trace_id(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """The OpenTelemetry trace id of the current span, so a log line leads to its trace."""
    current = trace_id()
    if current is not None:
        event_dict.setdefault("trace_id", current)
    return event_dict


def _mask_pii(value: Any) -> Any:
    # Imported here: the PII detectors (guardrails) log, so they import this module first.
    from ..safety.redaction import redact_pii

    if isinstance(value, str):
        return redact_pii(value)
    if isinstance(value, Mapping):
        return {key: _mask_pii(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_pii(item) for item in value]
    return value


def mask_pii(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask personal data (see redaction.py) in every value."""
    return {key: _mask_pii(value) for key, value in event_dict.items()}


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        add_trace_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(*, json: bool, level: str = "INFO", redact_pii: bool = False) -> None:
    """Route structlog and the standard library through one redacting formatter on stderr.

    ``redact_pii`` (LOG_REDACT_PII) also masks personal data, not only secrets.
    """
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            *([mask_pii] if redact_pii else []),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # No access line: the service writes one line per request itself (requestlog.py), and
    # uvicorn logs access lines whenever its access logger has a handler, root's included.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    # Alembic announces its dialect on every readiness check; keep its warnings only.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
