"""Limits, the pipeline stage before the provider is called: rate limits, then budgets.

Rate limits (the ``limits`` library; fixed one-minute windows) count requests and tokens per
API key and per tenant. A request is refused with ``429 rate_limit_exceeded`` and a
``Retry-After`` header when its key or tenant has used up this minute's requests or tokens;
tokens are counted once the answer is known, so one request may overrun a token window.

Budgets (``budgets.py``): a budget already spent refuses the request (``429
budget_exceeded``); past the soft cap (``BUDGET_SOFT_CAP_PERCENT`` of any budget) a request
for the ``balanced`` or ``best`` tier is served by ``fast`` and the response says so in the
``x-budget-downgraded`` header; then the request's maximum cost is reserved.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from decimal import Decimal

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ..chat.schemas import ChatCompletionRequest
from ..foundation.errors import ApiError
from ..gateway.router import Route
from ..identity.principal import Principal
from ..observability.metrics import (
    BUDGET_DOWNGRADES,
    BUDGET_REJECTIONS,
    BUDGET_UTILIZATION,
    RATE_LIMIT_REJECTIONS,
)
from .budgets import Budget, BudgetExceededError, Budgets, Reservation
from .cost import PriceBook, max_cost_usd

CHEAPEST_TIER = "fast"
DOWNGRADABLE = frozenset({"balanced", "best"})
# Per message: role and framing tokens a provider adds around the content.
MESSAGE_OVERHEAD_TOKENS = 8


class RateLimitExceededError(ApiError):
    status_code = 429
    type = "requests"
    code = "rate_limit_exceeded"


@dataclass(frozen=True)
class RateLimits:
    """Per minute; 0 turns a limit off."""

    key_requests: int
    key_tokens: int
    tenant_requests: int
    tenant_tokens: int


class RateLimiter:
    def __init__(self, storage_uri: str, limits: RateLimits) -> None:
        self.storage = storage_from_string(storage_uri)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.limits = limits

    def _scopes(
        self, principal: Principal
    ) -> list[tuple[str, str, RateLimitItem | None, RateLimitItem | None]]:
        key = principal.key_id or f"user:{principal.tenant}/{principal.user}"
        per_minute = _per_minute
        return [
            ("key", key, per_minute(self.limits.key_requests), per_minute(self.limits.key_tokens)),
            (
                "tenant",
                principal.tenant,
                per_minute(self.limits.tenant_requests),
                per_minute(self.limits.tenant_tokens),
            ),
        ]

    def _refuse(self, scope: str, kind: str, item: RateLimitItem, identity: str) -> None:
        reset = self.limiter.get_window_stats(item, scope, kind, identity).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        RATE_LIMIT_REJECTIONS.labels(scope=scope, limit=kind).inc()
        raise RateLimitExceededError(
            f"Rate limit reached: {item.amount} {kind} per minute for this {scope}; "
            f"retry after {retry_after}s.",
            headers={"Retry-After": str(retry_after)},
        )

    def check(self, principal: Principal) -> None:
        """Count one request; refuse it when a request or token window is full."""
        scopes = self._scopes(principal)
        for scope, identity, _, tokens in scopes:
            if tokens is not None and not self.limiter.test(tokens, scope, "tokens", identity):
                self._refuse(scope, "tokens", tokens, identity)
        for scope, identity, requests, _ in scopes:
            if requests is not None and not self.limiter.hit(requests, scope, "requests", identity):
                self._refuse(scope, "requests", requests, identity)

    def add_tokens(self, principal: Principal, tokens: int) -> None:
        if tokens <= 0:
            return
        for scope, identity, _, item in self._scopes(principal):
            if item is not None:
                self.limiter.hit(item, scope, "tokens", identity, cost=tokens)


def _per_minute(amount: int) -> RateLimitItem | None:
    return RateLimitItemPerMinute(amount) if amount > 0 else None


def prompt_token_bound(request: ChatCompletionRequest) -> int:
    """An upper bound of the prompt's tokens: no tokenizer makes more tokens than bytes."""
    return sum(
        len(message.text.encode("utf-8")) + MESSAGE_OVERHEAD_TOKENS for message in request.messages
    )


@dataclass(frozen=True)
class Admission:
    """What the limits stage decided before routing."""

    budgets: tuple[Budget, ...]
    # Past the soft cap of at least one budget: dear tiers are served by the cheapest.
    soft_capped: bool


class Limits:
    def __init__(
        self,
        rate: RateLimiter,
        budgets: Budgets,
        prices: PriceBook,
        *,
        soft_cap_percent: float,
    ) -> None:
        self.rate = rate
        self.budgets = budgets
        self.prices = prices
        self.soft_cap = soft_cap_percent / 100

    def admit(self, principal: Principal) -> Admission:
        """Rate limits, then the budgets' state: refuse, or let through (maybe soft-capped)."""
        self.rate.check(principal)
        budgets = self.budgets.applicable(principal)
        ratios = self.budgets.utilization(budgets)
        for budget, ratio in ratios.items():
            if budget.scope == "tenant":
                BUDGET_UTILIZATION.labels(tenant=budget.tenant, period=budget.period).set(ratio)
        spent = [budget for budget, ratio in ratios.items() if ratio >= 1]
        if spent:
            BUDGET_REJECTIONS.labels(scope=spent[0].scope).inc()
            raise BudgetExceededError.spent(spent[0])
        soft_capped = max(ratios.values(), default=0) >= self.soft_cap
        return Admission(tuple(budgets), soft_capped)

    @staticmethod
    def downgrade(admission: Admission, model: str) -> str | None:
        """The tier to serve instead of ``model``, when a soft cap says so."""
        if not admission.soft_capped or model not in DOWNGRADABLE:
            return None
        BUDGET_DOWNGRADES.labels(tier=model).inc()
        return CHEAPEST_TIER

    @staticmethod
    def bounded(route: Route, request: ChatCompletionRequest) -> ChatCompletionRequest:
        """The request with an output bound: the client's, else the route's smallest
        ``max_output_tokens``."""
        if request.token_limit is not None:
            return request
        bound = min(target.config.max_output_tokens for target in route.targets)
        return request.model_copy(update={"max_completion_tokens": bound})

    def max_cost(self, route: Route, request: ChatCompletionRequest) -> Decimal:
        """The most a bounded request can cost on any target of its route."""
        prompt = prompt_token_bound(request)
        output = request.token_limit or 0
        return max(
            max_cost_usd(self.prices.price(target.name), prompt, output) for target in route.targets
        )

    def reserve(
        self, admission: Admission, route: Route, request: ChatCompletionRequest
    ) -> Reservation:
        try:
            return self.budgets.reserve(admission.budgets, self.max_cost(route, request))
        except BudgetExceededError as exc:
            BUDGET_REJECTIONS.labels(scope=exc.scope).inc()
            raise

    def settle(
        self, principal: Principal, reservation: Reservation, cost: Decimal | None, tokens: int
    ) -> None:
        """Book the real cost (an unknown price books nothing) and count the tokens."""
        if cost is None:
            self.budgets.release(reservation)
        else:
            self.budgets.settle(reservation, cost)
        self.rate.add_tokens(principal, tokens)
