"""Adapter for any OpenAI-compatible API, through the official ``openai`` SDK.

The SDK's own retries are off (``max_retries=0``): retrying and falling back is the
gateway's job, in one place. SDK exceptions become ``ProviderError`` with a ``kind``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionMessageParam

from ..catalog import FakeTarget, ProviderTarget
from ..errors import ProviderError
from ..schemas import ChatCompletionRequest
from .base import Chunk, Completion


def _messages(request: ChatCompletionRequest) -> list[ChatCompletionMessageParam]:
    return [
        cast(ChatCompletionMessageParam, {"role": message.role, "content": message.text})
        for message in request.messages
    ]


def _parameters(request: ChatCompletionRequest) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "max_completion_tokens": request.max_completion_tokens,
        "stop": request.stop,
        "user": request.user,
    }
    return {key: value for key, value in parameters.items() if value is not None}


def _details(usage: CompletionUsage | None) -> tuple[int, int]:
    """Cached prompt tokens and reasoning tokens, when the provider reports them."""
    if usage is None:
        return 0, 0
    prompt = usage.prompt_tokens_details
    completion = usage.completion_tokens_details
    cached = (prompt.cached_tokens or 0) if prompt else 0
    reasoning = (completion.reasoning_tokens or 0) if completion else 0
    return cached, reasoning


def _error(provider: str, exc: openai.OpenAIError) -> ProviderError:
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(provider, "timeout", str(exc))
    if isinstance(exc, openai.RateLimitError):
        return ProviderError(provider, "rate_limited", str(exc))
    if isinstance(exc, openai.APIStatusError):
        kind = "server_error" if exc.status_code >= 500 else "client_error"
        return ProviderError(provider, kind, f"HTTP {exc.status_code}: {exc.message}")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(provider, "connection", str(exc))
    return ProviderError(provider, "bad_response", str(exc))


class OpenAICompatibleProvider:
    def __init__(self, name: str, client: openai.AsyncOpenAI) -> None:
        self.name = name
        self._client = client

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest
    ) -> Completion:
        try:
            response = await self._client.chat.completions.create(
                model=target.model,
                messages=_messages(request),
                timeout=target.timeout_s,
                **_parameters(request),
            )
        except openai.OpenAIError as exc:
            raise _error(self.name, exc) from exc
        try:
            choice = response.choices[0]
            usage = response.usage
            cached, reasoning = _details(usage)
            return Completion(
                content=choice.message.content or "",
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                finish_reason=choice.finish_reason or "stop",
                cached_tokens=cached,
                reasoning_tokens=reasoning,
            )
        except (AttributeError, IndexError, TypeError) as exc:
            raise ProviderError(self.name, "bad_response", "malformed completion") from exc

    async def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest
    ) -> AsyncIterator[Chunk]:
        try:
            stream = await self._client.chat.completions.create(
                model=target.model,
                messages=_messages(request),
                timeout=target.timeout_s,
                stream=True,
                stream_options={"include_usage": True},
                **_parameters(request),
            )
            async for chunk in stream:
                for choice in chunk.choices:
                    yield Chunk(
                        content=choice.delta.content or "", finish_reason=choice.finish_reason
                    )
                if chunk.usage is not None:
                    cached, reasoning = _details(chunk.usage)
                    yield Chunk(
                        prompt_tokens=chunk.usage.prompt_tokens,
                        completion_tokens=chunk.usage.completion_tokens,
                        cached_tokens=cached,
                        reasoning_tokens=reasoning,
                    )
        except openai.OpenAIError as exc:
            raise _error(self.name, exc) from exc
        except (AttributeError, TypeError) as exc:
            raise ProviderError(self.name, "bad_response", "malformed stream chunk") from exc

    async def aclose(self) -> None:
        await self._client.close()
