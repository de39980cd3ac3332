"""What every provider adapter offers the gateway: one internal model for every vendor.

Finish reasons are OpenAI's: ``stop``, ``length``, ``tool_calls`` and ``content_filter`` (the
provider refused to answer, or cut its answer, on safety grounds).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from ...chat.schemas import ChatCompletionRequest, ToolCall, ToolCallDelta
from ..catalog import FakeTarget, ProviderTarget


@dataclass(frozen=True)
class TokenUsage:
    """``prompt`` includes ``cached``; ``completion`` includes ``reasoning`` (adapters of
    providers that count them apart add them up)."""

    prompt: int = 0
    completion: int = 0
    # Of the prompt tokens, those read from the provider's prompt cache (billed lower).
    cached: int = 0
    # Of the completion tokens, those spent on hidden reasoning.
    reasoning: int = 0


@dataclass(frozen=True)
class Completion:
    content: str
    usage: TokenUsage
    finish_reason: str = "stop"
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A piece of a streamed answer; the last ones carry finish_reason and usage."""

    content: str = ""
    finish_reason: str | None = None
    usage: TokenUsage | None = None
    tool_calls: tuple[ToolCallDelta, ...] = ()


class Provider(Protocol):
    """A provider adapter; failures are raised as ``errors.ProviderError``.

    ``time_left`` is what is left of the request's deadline for this call, at most the
    target's ``timeout_s``.
    """

    name: str

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> Completion: ...

    def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> AsyncIterator[Chunk]: ...

    async def aclose(self) -> None: ...


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds), when sent."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / scale)
        except ValueError:
            continue
    return None
