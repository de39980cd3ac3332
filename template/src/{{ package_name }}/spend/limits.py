"""Limits, the pipeline stage before the provider is called: rate limits, then budgets.

``admit`` counts the request against its rate limits (``ratelimits.py``: in memory, or one
Redis round trip) and refuses it when a budget that applies is spent (``429 budget_exceeded``);
past the soft cap (``BUDGET_SOFT_CAP_PERCENT`` of any budget) ``downgrade`` serves a request
for the ``balanced`` or ``best`` tier by ``fast`` (the pipeline sets ``x-budget-downgraded``).
``reserve`` then reserves the request's maximum cost on every budget's lease
(``budgets.py``); ``settle`` books the real cost and counts the tokens, ``release`` gives the
reservation back. Both are synchronous, in memory and idempotent.

No database query runs per request: budget limits are cached per tenant, leases are synced
with the shared store by a background task (``start``/``close``), and a request waits for the
store only when its lease cannot cover it (see ``budgets.py`` for the overspend bound).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from decimal import Decimal

from ..chat.schemas import ChatCompletionRequest
from ..gateway.router import Route
from ..identity.principal import Principal
from ..observability.logging import get_logger
from ..observability.metrics import (
    BUDGET_DOWNGRADES,
    BUDGET_REJECTIONS,
    record_budget_utilization,
)
from .budgets import Budget, BudgetExceededError, Budgets, Reservation
from .cost import PriceBook, max_cost_usd
from .ratelimits import RateLimiter

log = get_logger(__name__)

CHEAPEST_TIER = "fast"
DOWNGRADABLE = frozenset({"balanced", "best"})
# Per message: role and framing tokens a provider adds around the content.
MESSAGE_OVERHEAD_TOKENS = 8


def prompt_token_bound(request: ChatCompletionRequest) -> int:
    """An upper bound of the prompt's tokens: no tokenizer makes more tokens than bytes."""
    return sum(
        len(message.text.encode("utf-8")) + MESSAGE_OVERHEAD_TOKENS for message in request.messages
    )


@dataclass(frozen=True)
class Admission:
    """What the limits stage decided before routing."""

    principal: Principal
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
        self._task: asyncio.Task[None] | None = None

    async def admit(self, principal: Principal) -> Admission:
        """Rate limits, then the budgets' state: refuse, or let through (maybe soft-capped)."""
        await self.rate.admit(principal)
        budgets = await self.budgets.applicable(principal)
        leases = await self.budgets.open(budgets)
        ratios = self.budgets.utilization(leases)
        soft_capped = False
        for budget, ratio in ratios.items():
            if budget.scope == "tenant":
                record_budget_utilization(budget.tenant, budget.period, ratio)
            if ratio >= 1:
                BUDGET_REJECTIONS.labels(scope=budget.scope).inc()
                raise BudgetExceededError.spent(budget)
            soft_capped = soft_capped or ratio >= self.soft_cap
        return Admission(principal, budgets, soft_capped)

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

    async def reserve(
        self, admission: Admission, route: Route, request: ChatCompletionRequest
    ) -> Reservation:
        """Reserve the request's maximum cost on every budget that applies, from the local
        leases; waits for the store only when a lease cannot cover it."""
        try:
            return await self.budgets.reserve(
                admission.budgets, self.max_cost(route, request), admission.principal
            )
        except BudgetExceededError as exc:
            BUDGET_REJECTIONS.labels(scope=exc.scope).inc()
            raise

    def settle(self, reservation: Reservation, cost: Decimal | None, tokens: int) -> None:
        """Book the real cost (None or 0 books nothing) and count the tokens. Idempotent, and a
        no-op after ``release``."""
        if self.budgets.settle(reservation, cost) and reservation.principal is not None:
            self.rate.add_tokens(reservation.principal, tokens)

    def release(self, reservation: Reservation) -> None:
        """Give the reservation back (nothing was charged). Idempotent, and a no-op after
        ``settle``."""
        self.budgets.release(reservation)

    async def start(self) -> None:
        """Start the background task that syncs leases and rate-limit counters."""
        await self.budgets.start()
        await self.rate.start()
        self._task = asyncio.get_running_loop().create_task(self._maintain(), name="limits")

    async def _maintain(self) -> None:
        wanted, interval = self.budgets.wanted, self.budgets.sync_interval_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wanted.wait(), interval)
            wanted.clear()
            try:
                await self.budgets.maintain()
                await self.rate.maintain()
            except Exception:  # the next round tries again
                log.exception("limits.maintenance_failed")

    async def close(self) -> None:
        """Stop the background task, flush the spend and return the leases."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.budgets.close()
        finally:
            await self.rate.aclose()
