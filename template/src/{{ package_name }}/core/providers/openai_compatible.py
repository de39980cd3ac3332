"""Adapter for any OpenAI-compatible API, through the official ``openai`` SDK.

The SDK's own retries are off (``max_retries=0``): retrying and falling back is the
gateway's job, in one place. SDK exceptions become ``ProviderError`` with a ``kind``; the
Retry-After header of a 429 or 503 travels with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionMessageParam

from ..catalog import FakeTarget, ProviderTarget
from ..errors import ProviderError
from ..schemas import (
    ChatCompletionRequest,
    FunctionCall,
    FunctionCallDelta,
    ToolCall,
    ToolCallDelta,
)
from .base import Chunk, Completion, TokenUsage

# Content filtering reported as an HTTP 400 (Azure OpenAI's prompt filter).
CONTENT_FILTER_CODES = {"content_filter", "content_policy_violation"}


def _messages(request: ChatCompletionRequest) -> list[ChatCompletionMessageParam]:
    return [
        cast(ChatCompletionMessageParam, message.model_dump(mode="json", exclude_none=True))
        for message in request.messages
    ]


def _parameters(request: ChatCompletionRequest) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "max_completion_tokens": request.max_completion_tokens,
        "stop": request.stop,
        "seed": request.seed,
        "user": request.user,
        "tool_choice": request.tool_choice,
        "parallel_tool_calls": request.parallel_tool_calls,
    }
    if request.tools:
        parameters["tools"] = [
            tool.model_dump(mode="json", exclude_none=True) for tool in request.tools
        ]
    if request.response_format is not None:
        parameters["response_format"] = request.response_format.model_dump(
            mode="json", exclude_none=True, by_alias=True
        )
    return {key: value for key, value in parameters.items() if value is not None}


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


def _error(provider: str, exc: openai.OpenAIError) -> ProviderError:
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(provider, "timeout", str(exc))
    if isinstance(exc, openai.APIStatusError):
        wait = retry_after(exc.response.headers)
        message = f"HTTP {exc.status_code}: {exc.message}"
        if isinstance(exc, openai.RateLimitError):
            return ProviderError(provider, "rate_limited", message, retry_after=wait)
        if exc.status_code >= 500 or exc.status_code in (408, 409):
            return ProviderError(provider, "server_error", message, retry_after=wait)
        if exc.code in CONTENT_FILTER_CODES:
            return ProviderError(provider, "content_filter", message)
        return ProviderError(provider, "client_error", message)
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(provider, "connection", str(exc))
    return ProviderError(provider, "bad_response", str(exc))


def _usage(usage: CompletionUsage | None) -> TokenUsage:
    if usage is None:
        return TokenUsage()
    prompt_details = usage.prompt_tokens_details
    completion_details = usage.completion_tokens_details
    return TokenUsage(
        prompt=usage.prompt_tokens,
        completion=usage.completion_tokens,
        cached=(prompt_details.cached_tokens or 0) if prompt_details else 0,
        reasoning=(completion_details.reasoning_tokens or 0) if completion_details else 0,
    )


class OpenAICompatibleProvider:
    def __init__(self, name: str, client: openai.AsyncOpenAI) -> None:
        self.name = name
        self._client = client

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> Completion:
        try:
            response = await self._client.chat.completions.create(
                model=target.model,
                messages=_messages(request),
                timeout=time_left,
                **_parameters(request),
            )
        except openai.OpenAIError as exc:
            raise _error(self.name, exc) from exc
        try:
            choice = response.choices[0]
            tool_calls = tuple(
                ToolCall(
                    id=call.id,
                    function=FunctionCall(
                        name=call.function.name, arguments=call.function.arguments
                    ),
                )
                for call in choice.message.tool_calls or ()
                if call.type == "function"
            )
            return Completion(
                content=choice.message.content or "",
                usage=_usage(response.usage),
                finish_reason=choice.finish_reason or "stop",
                tool_calls=tool_calls,
            )
        except (AttributeError, IndexError, TypeError) as exc:
            raise ProviderError(self.name, "bad_response", "malformed completion") from exc

    async def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> AsyncIterator[Chunk]:
        try:
            stream = await self._client.chat.completions.create(
                model=target.model,
                messages=_messages(request),
                timeout=time_left,
                stream=True,
                stream_options={"include_usage": True},
                **_parameters(request),
            )
            async for chunk in stream:
                for choice in chunk.choices:
                    calls = tuple(
                        ToolCallDelta(
                            index=call.index,
                            id=call.id,
                            type="function" if call.id else None,
                            function=FunctionCallDelta(
                                name=call.function.name if call.function else None,
                                arguments=call.function.arguments if call.function else None,
                            ),
                        )
                        for call in choice.delta.tool_calls or ()
                    )
                    yield Chunk(
                        content=choice.delta.content or "",
                        finish_reason=choice.finish_reason,
                        tool_calls=calls,
                    )
                if chunk.usage is not None:
                    yield Chunk(usage=_usage(chunk.usage))
        except openai.OpenAIError as exc:
            raise _error(self.name, exc) from exc
        except (AttributeError, TypeError) as exc:
            raise ProviderError(self.name, "bad_response", "malformed stream chunk") from exc

    async def aclose(self) -> None:
        await self._client.close()
