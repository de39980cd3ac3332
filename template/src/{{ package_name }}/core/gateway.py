"""The gateway: model name -> ordered targets -> the first target that answers.

``model`` is a tier alias (``fast``, ``balanced``, ``best``) or a configured
``provider/model``. Each target is tried ``1 + max_retries`` times, then the next one takes
over; when all fail the client gets ``upstream_unavailable``. A response cache, backoff and
circuit breakers slot in here without changing the callers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from .catalog import TIERS, Catalog, FakeTarget, ProviderTarget
from .errors import ModelNotFoundError, ProviderError, UpstreamUnavailableError
from .logging import get_logger
from .providers import Chunk, Completion, Provider
from .schemas import ChatCompletionRequest

log = get_logger(__name__)


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


class Gateway:
    def __init__(self, catalog: Catalog, providers: dict[str, Provider]) -> None:
        self.catalog = catalog
        self.providers = providers

    def models(self) -> list[str]:
        """Every name a client may ask for: the tiers, then each ``provider/model``."""
        addresses = {f"{t.provider}/{t.model}": None for t in self.catalog.targets.values()}
        return [*TIERS, *addresses]

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

    def _attempts(self, route: Route) -> list[tuple[NamedTarget, Provider | None]]:
        return [
            (target, self.providers.get(target.provider))
            for target in route.targets
            for _ in range(1 + target.config.max_retries)
        ]

    def _unavailable(self, route: Route, failures: list[str]) -> UpstreamUnavailableError:
        return UpstreamUnavailableError(
            f"No provider could serve {route.requested!r}: " + "; ".join(failures)
        )

    def _failed(self, failures: list[str], target: NamedTarget, reason: str) -> None:
        failures.append(f"{target.name}: {reason}")
        log.warning("gateway.target_failed", target=target.name, reason=reason)

    async def complete(
        self, route: Route, request: ChatCompletionRequest
    ) -> tuple[NamedTarget, Completion]:
        failures: list[str] = []
        for target, provider in self._attempts(route):
            if provider is None:
                self._failed(failures, target, f"provider {target.provider!r} is not configured")
                continue
            try:
                return target, await provider.complete(target.config, request)
            except ProviderError as exc:
                self._failed(failures, target, exc.kind)
        raise self._unavailable(route, failures)

    async def stream(
        self, route: Route, request: ChatCompletionRequest
    ) -> tuple[NamedTarget, AsyncIterator[Chunk]]:
        """Open a stream; fall back only until the first chunk has arrived."""
        failures: list[str] = []
        for target, provider in self._attempts(route):
            if provider is None:
                self._failed(failures, target, f"provider {target.provider!r} is not configured")
                continue
            chunks = provider.stream(target.config, request)
            try:
                first = await anext(chunks)
            except ProviderError as exc:
                self._failed(failures, target, exc.kind)
                continue
            except StopAsyncIteration:
                first = Chunk(finish_reason="stop")
            return target, _prepend(first, chunks)
        raise self._unavailable(route, failures)


async def _prepend(first: Chunk, rest: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
    yield first
    async for chunk in rest:
        yield chunk
