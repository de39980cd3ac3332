"""Provider SDKs imported when a target first calls them, not at start-up.

A vendor SDK is large (``openai`` alone takes most of a second to import) and a service's first
requests may never reach that vendor. ``LazyProvider`` stands in for an adapter: start-up only
checks that the SDK is installed; the first call imports the adapter module and its SDK and
builds the client in a worker thread (the event loop keeps serving meanwhile), and every later
call goes straight to the built adapter.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import AsyncIterator, Callable

from ...chat.schemas import ChatCompletionRequest
from ...foundation.errors import ConfigError, ProviderError
from ...observability.logging import get_logger
from ..catalog import FakeTarget, ProviderTarget
from .base import Chunk, Completion, Provider

log = get_logger(__name__)


class LazyProvider:
    """An adapter built on its first call by ``build`` (which imports the SDK ``sdk``)."""

    def __init__(self, name: str, sdk: str, build: Callable[[], Provider]) -> None:
        if importlib.util.find_spec(sdk) is None:
            raise ConfigError(f"provider {name!r} needs the {sdk!r} package: it is not installed")
        self.name = name
        self.sdk = sdk
        self._build = build
        self._provider: Provider | None = None

    @property
    def loaded(self) -> bool:
        return self._provider is not None

    async def _load(self) -> Provider:
        if self._provider is None:
            try:
                provider = await asyncio.to_thread(self._build)
            except Exception as exc:
                log.error("provider.build_failed", provider=self.name, detail=repr(exc))
                raise ProviderError(
                    self.name, "connection", f"cannot set up the {self.sdk} client: {exc}"
                ) from exc
            if self._provider is None:
                self._provider = provider
            else:  # a concurrent first call built one too: keep one
                await provider.aclose()
        return self._provider

    async def _first_use(self, time_left: float) -> tuple[Provider, float]:
        """The built adapter and what is left of the deadline once it is built."""
        started = time.monotonic()
        provider = await self._load()
        time_left -= time.monotonic() - started
        if time_left <= 0:
            raise ProviderError(self.name, "timeout", "no time left after loading the SDK")
        return provider, time_left

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> Completion:
        provider = self._provider
        if provider is None:
            provider, time_left = await self._first_use(time_left)
        return await provider.complete(target, request, time_left)

    def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> AsyncIterator[Chunk]:
        if self._provider is not None:
            return self._provider.stream(target, request, time_left)
        return self._stream_first(target, request, time_left)

    async def _stream_first(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> AsyncIterator[Chunk]:
        provider, time_left = await self._first_use(time_left)
        async for chunk in provider.stream(target, request, time_left):
            yield chunk

    async def aclose(self) -> None:
        provider, self._provider = self._provider, None
        if provider is not None:
            await provider.aclose()
