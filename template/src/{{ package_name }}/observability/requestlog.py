"""One structured log line per HTTP request, the HTTP metrics, and the request's server span.

Stages add what they know to the line with ``annotate`` (tenant, user, target, tokens, cost,
cache hit, fallbacks, guardrail and flag decisions); the line is written once the response,
streamed or not, is complete. It replaces uvicorn's access line, which ``serve`` turns off;
uvicorn's error logger goes through the same formatter. ``/metrics`` scrapes are counted but
not logged.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logging import get_logger
from .metrics import HTTP_DURATION, HTTP_REQUESTS
from .tracing import tracer

log = get_logger("request")
QUIET_PATHS = frozenset({"/metrics"})

_fields: ContextVar[dict[str, Any] | None] = ContextVar("request_log_fields", default=None)


def annotate(**fields: Any) -> None:
    """Add fields to the current request's log line (no-op outside a request)."""
    current = _fields.get()
    if current is not None:
        current.update(fields)


def _route(scope: Scope) -> str:
    """The matched route's template: a bounded label, unlike the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestLogMiddleware:
    """Pure ASGI middleware (streams stay unbuffered); sits inside the request-id middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        fields: dict[str, Any] = {}
        token = _fields.set(fields)
        status = 500
        started = time.monotonic()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # An incoming traceparent continues the caller's trace; else the current one (if any).
        parent = propagate.extract(headers) if "traceparent" in headers else None
        span = tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
        try:
            with trace.use_span(span, end_on_exit=False):
                await self.app(scope, receive, send_status)
        finally:
            latency = time.monotonic() - started
            route = _route(scope)
            span.update_name(f"{method} {route}")
            span.set_attributes(
                {
                    "http.request.method": method,
                    "http.route": route,
                    "http.response.status_code": status,
                }
            )
            labels = {"route": route, "method": method, "status": str(status)}
            HTTP_REQUESTS.labels(**labels).inc()
            HTTP_DURATION.labels(**labels).observe(latency)
            if scope["path"] not in QUIET_PATHS:
                with trace.use_span(span, end_on_exit=False):
                    line = {**fields, "method": method, "route": route, "status": status}
                    line["latency_ms"] = round(latency * 1000)
                    log.info("request", **line)
            span.end()
            _fields.reset(token)
