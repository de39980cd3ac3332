"""What every provider adapter offers the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from ..catalog import FakeTarget, ProviderTarget
from ..schemas import ChatCompletionRequest


@dataclass(frozen=True)
class Completion:
    """``prompt_tokens`` include ``cached_tokens``; ``completion_tokens`` include
    ``reasoning_tokens`` (adapters of providers that count them apart add them up)."""

    content: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    cached_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Chunk:
    """A piece of a streamed answer; the last one carries finish_reason and token counts."""

    content: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None


class Provider(Protocol):
    """A provider adapter; failures are raised as ``errors.ProviderError``."""

    name: str

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest
    ) -> Completion: ...

    def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest
    ) -> AsyncIterator[Chunk]: ...

    async def aclose(self) -> None: ...
