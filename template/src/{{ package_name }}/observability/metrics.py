"""Prometheus metrics, served at ``GET /metrics``.

Names follow Prometheus conventions (base units, ``_total`` counters, ``_seconds``, ``_usd``,
``_ratio``). Labels are bounded: routes are templates, targets come from the models file,
tenants are the configured ones (hashed in production, ``METRICS_TENANT_LABELS``); users,
keys and request ids never become labels.
Other stages call the ``record_*`` functions (cache, breakers, fallbacks) instead of
touching the collectors; guardrails and flags count their own decisions
(``guardrail_decisions_total``, ``feature_flag_evaluations_total``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Literal

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from ..identity.access import require_operator

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}

HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by route template and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request (streams: the whole body).",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
CHAT_REQUESTS = Counter(
    "llm_requests", "Chat requests by requested tier and outcome.", ["tier", "outcome"]
)
LLM_CALLS = Counter(
    "llm_calls",
    "Provider calls by target and outcome (ok or the error kind).",
    ["target", "provider", "outcome"],
)
LLM_CALL_DURATION = Histogram(
    "llm_call_duration_seconds",
    "Duration of one provider call (streams: until the last chunk).",
    ["target", "provider"],
    buckets=LATENCY_BUCKETS,
)
LLM_TOKENS = Counter(
    "llm_tokens",
    "Tokens by target and kind (input, output, cached, reasoning).",
    ["target", "kind"],
)
LLM_COST = Counter(
    "llm_cost_usd", "Spend in US dollars by target (priced requests only).", ["target"]
)
LLM_UNPRICED = Counter(
    "llm_unpriced_requests", "Requests served by a target with no known price.", ["target"]
)
LLM_FALLBACKS = Counter(
    "llm_fallbacks", "Requests answered by a fallback target rather than the first.", ["tier"]
)
CACHE_LOOKUPS = Counter("llm_cache_lookups", "Response cache lookups by result.", ["result"])
BREAKER_STATE = Gauge(
    "llm_circuit_breaker_state",
    "Circuit breaker state per target: 0 closed, 1 half-open, 2 open.",
    ["target"],
)
BUDGET_UTILIZATION = Gauge(
    "budget_utilization_ratio",
    "Spent plus reserved over limit of each tenant budget.",
    ["tenant", "period"],
)
BUDGET_REJECTIONS = Counter(
    "budget_rejections", "Requests refused because a budget was spent.", ["scope"]
)
BUDGET_DOWNGRADES = Counter(
    "budget_downgrades", "Requests routed to a cheaper tier by a budget's soft cap.", ["tier"]
)
RATE_LIMIT_REJECTIONS = Counter(
    "rate_limit_rejections", "Requests refused by a rate limit.", ["scope", "limit"]
)

router = APIRouter(tags=["operations"])

TenantLabels = Literal["plain", "hashed"]
_tenant_labels: TenantLabels = "plain"


@router.get("/metrics", include_in_schema=False, dependencies=[require_operator(scrape_token=True)])
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def configure_metrics(*, tenant_labels: TenantLabels) -> None:
    """How tenants appear in labels: their names, or ``t-`` and 12 hex digits of their SHA-256
    (``printf %s TENANT | sha256sum | cut -c1-12`` maps a name to its label)."""
    global _tenant_labels
    _tenant_labels = tenant_labels


@lru_cache(maxsize=4096)
def _hashed(tenant: str) -> str:
    return "t-" + hashlib.sha256(tenant.encode()).hexdigest()[:12]


def tenant_label(tenant: str) -> str:
    return _hashed(tenant) if _tenant_labels == "hashed" else tenant


def record_budget_utilization(tenant: str, period: str, ratio: float) -> None:
    BUDGET_UTILIZATION.labels(tenant=tenant_label(tenant), period=period).set(ratio)


def tier_label(tier: str | None) -> str:
    """Requests for an explicit ``provider/model`` share one label value."""
    return tier or "model"


def record_cache_lookup(*, hit: bool) -> None:
    CACHE_LOOKUPS.labels(result="hit" if hit else "miss").inc()


def record_breaker_state(target: str, state: str) -> None:
    """``state``: closed, half_open or open."""
    BREAKER_STATE.labels(target=target).set(BREAKER_STATES[state])


def record_fallback(tier: str | None) -> None:
    LLM_FALLBACKS.labels(tier=tier_label(tier)).inc()
