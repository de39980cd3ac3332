"""The gateway: model name -> ordered targets -> the first target that answers.

``model`` is a tier alias (``fast``, ``balanced``, ``best``) or a configured
``provider/model``. For each target in order:

1. its circuit breaker is asked first: an open breaker skips the target at no cost;
2. the call is retried on retryable failures (timeout, 429, 5xx) up to ``max_retries`` times,
   with exponential backoff and jitter, or after the provider's Retry-After when it sent one;
3. when the retries are spent, the next target takes over.

Everything happens within the request's deadline (``resilience.deadline_s``): a call gets at
most what is left of it, and a wait that would overrun it is not waited: the gateway falls back
at once. A request the provider refused (4xx, content filter) is never retried nor sent
elsewhere. When every target failed the client gets ``upstream_unavailable``, and the log says
which targets were tried and why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from ..chat.schemas import ChatCompletionRequest
from ..foundation.errors import (
    ModelNotFoundError,
    ProviderError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from ..observability.logging import get_logger
from ..observability.metrics import record_breaker_state
from .breaker import STATE_VALUES, CircuitBreaker, State
from .catalog import TIERS, Catalog, FakeTarget, ProviderTarget
from .providers import Chunk, Completion, Provider

log = get_logger(__name__)
T = TypeVar("T")

#: Backoff between retries of one target when the provider did not say how long to wait:
#: a random wait up to 0.2 s, 0.4 s, 0.8 s, ... capped at 4 s ("full jitter").
BACKOFF = wait_random_exponential(multiplier=0.2, max=4.0)
#: A call with less time than this left is not started.
MIN_CALL_S = 0.05


@dataclass(frozen=True)
class NamedTarget:
    name: str
    config: FakeTarget | ProviderTarget

    @property
    def provider(self) -> str:
        return self.config.provider

    @property
    def model(self) -> str:
        return self.config.model


@dataclass(frozen=True)
class Route:
    """What a requested model name resolved to."""

    requested: str
    tier: str | None
    targets: tuple[NamedTarget, ...]


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.expires = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.expires - time.monotonic()


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _wait(state: RetryCallState) -> float:
    """The provider's Retry-After when it sent one, else exponential backoff with jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, ProviderError) and exc.retry_after is not None:
        return exc.retry_after
    return float(BACKOFF(state))


class _GiveUp(stop_base):
    """Stop retrying a target when waiting would overrun the deadline (fall back at once
    instead) or when its breaker has opened."""

    def __init__(self, deadline: Deadline, breaker: CircuitBreaker) -> None:
        self.deadline = deadline
        self.breaker = breaker

    def __call__(self, retry_state: RetryCallState) -> bool:
        next_call_time = self.deadline.remaining() - (retry_state.upcoming_sleep or 0.0)
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome else None
        resting = isinstance(exc, ProviderError) and exc.kind == "circuit_open"
        return next_call_time < MIN_CALL_S or resting or self.breaker.state == "open"


class Gateway:
    def __init__(self, catalog: Catalog, providers: dict[str, Provider]) -> None:
        self.catalog = catalog
        self.providers = providers
        settings = catalog.resilience
        self.breakers = {
            name: CircuitBreaker(
                settings.breaker_failure_threshold,
                settings.breaker_reset_s,
                on_change=partial(record_breaker_state, name),
            )
            for name in catalog.targets
        }

    def models(self) -> list[str]:
        """Every name a client may ask for: the tiers, then each ``provider/model``."""
        addresses = {f"{t.provider}/{t.model}": None for t in self.catalog.targets.values()}
        return [*TIERS, *addresses]

    def breaker_states(self) -> dict[str, State]:
        """Each target's breaker state (``breaker.STATE_VALUES`` turns them into a gauge)."""
        return {name: breaker.state for name, breaker in self.breakers.items()}

    def route(self, model: str) -> Route:
        if model in TIERS:
            names = self.catalog.tier(model)
            targets = tuple(NamedTarget(name, self.catalog.targets[name]) for name in names)
            return Route(model, model, targets)
        targets = tuple(
            NamedTarget(name, target)
            for name, target in self.catalog.targets.items()
            if f"{target.provider}/{target.model}" == model
        )
        if not targets:
            raise ModelNotFoundError(
                f"The model {model!r} does not exist; GET /v1/models lists the available ones.",
                param="model",
            )
        return Route(model, None, targets)

    def deadline(self) -> Deadline:
        return Deadline(self.catalog.resilience.deadline_s)

    async def complete(
        self, route: Route, request: ChatCompletionRequest, deadline: Deadline | None = None
    ) -> tuple[NamedTarget, Completion]:
        async def call(provider: Provider, target: NamedTarget, time_left: float) -> Completion:
            return await provider.complete(target.config, request, time_left)

        return await self._first_that_answers(route, deadline or self.deadline(), call)

    async def stream(
        self, route: Route, request: ChatCompletionRequest, deadline: Deadline | None = None
    ) -> tuple[NamedTarget, AsyncIterator[Chunk]]:
        """Open a stream; retry and fall back only until the first chunk has arrived."""

        async def call(
            provider: Provider, target: NamedTarget, time_left: float
        ) -> AsyncIterator[Chunk]:
            chunks = provider.stream(target.config, request, time_left)
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                first = Chunk(finish_reason="stop")
            return _prepend(first, chunks)

        return await self._first_that_answers(route, deadline or self.deadline(), call)

    async def _first_that_answers(
        self,
        route: Route,
        deadline: Deadline,
        call: Callable[[Provider, NamedTarget, float], Awaitable[T]],
    ) -> tuple[NamedTarget, T]:
        failures: list[str] = []
        for target in route.targets:
            provider = self.providers.get(target.provider)
            if provider is None:
                failures.append(f"{target.name}: provider {target.provider!r} is not configured")
                continue
            if deadline.remaining() < MIN_CALL_S:
                failures.append(f"{target.name}: deadline reached")
                break
            try:
                return target, await self._with_retries(provider, target, deadline, call)
            except ProviderError as exc:
                if not exc.retryable:
                    log.info("gateway.rejected", target=target.name, kind=exc.kind)
                    raise UpstreamRejectedError(
                        f"The provider refused the request: {exc.message}", code=exc.kind
                    ) from exc
                failures.append(f"{target.name}: {exc.kind}")
                log.warning("gateway.target_failed", target=target.name, reason=exc.kind)
        log.error("gateway.unavailable", requested=route.requested, tried=failures)
        raise UpstreamUnavailableError(
            f"No provider could serve {route.requested!r} right now; try again later."
        )

    async def _with_retries(
        self,
        provider: Provider,
        target: NamedTarget,
        deadline: Deadline,
        call: Callable[[Provider, NamedTarget, float], Awaitable[T]],
    ) -> T:
        breaker = self.breakers[target.name]
        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + target.config.max_retries) | _GiveUp(deadline, breaker),
            wait=_wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(provider, target, breaker, deadline, call)
        raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover

    async def _attempt(
        self,
        provider: Provider,
        target: NamedTarget,
        breaker: CircuitBreaker,
        deadline: Deadline,
        call: Callable[[Provider, NamedTarget, float], Awaitable[T]],
    ) -> T:
        if not breaker.allow():
            raise ProviderError(target.provider, "circuit_open", f"{target.name} is resting")
        timeout = min(target.config.timeout_s, deadline.remaining())
        try:
            async with asyncio.timeout(timeout):
                result = await call(provider, target, timeout)
        except TimeoutError as exc:
            breaker.record_failure()
            raise ProviderError(target.provider, "timeout", f"no answer in {timeout:.2f}s") from exc
        except ProviderError as exc:
            # A refused request says nothing bad about the provider's health.
            if exc.retryable:
                breaker.record_failure()
            else:
                breaker.record_success()
            raise
        except BaseException:
            breaker.release()  # cancelled: no verdict on the provider
            raise
        breaker.record_success()
        return result


async def _prepend(first: Chunk, rest: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
    yield first
    async for chunk in rest:
        yield chunk


__all__ = ["STATE_VALUES", "Deadline", "Gateway", "NamedTarget", "Route"]
