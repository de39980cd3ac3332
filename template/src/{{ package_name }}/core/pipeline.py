"""The request pipeline: every chat request runs these stages, in this order.

    1. validate          the request is well-formed and names a model we serve
    2. gateway           tier -> targets -> provider adapter, falling back on failure
    3. record            interactions row + structured log line

Later stages slot in at fixed places, each a module of its own:
auth and access (who is calling, what they may do) and limits (rate, budget) go before
``validate``; input guardrails, flags and the prompt template between ``validate`` and
``gateway``; output guardrails between ``gateway`` and ``record``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from .errors import InvalidRequestError, ProviderError, UpstreamUnavailableError
from .gateway import Gateway, NamedTarget, Route
from .logging import get_logger
from .providers import Chunk
from .record import Outcome, record
from .schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    Usage,
)
from .settings import Settings

log = get_logger(__name__)


@dataclass(frozen=True)
class Services:
    """What the pipeline stages need, built once by the app factory."""

    settings: Settings
    engine: Engine
    gateway: Gateway


def validate(services: Services, request: ChatCompletionRequest) -> Route:
    if request.stream_options is not None and not request.stream:
        raise InvalidRequestError(
            "stream_options is only allowed when stream is true.", param="stream_options"
        )
    return services.gateway.route(request.model)


async def _record(services: Services, outcome: Outcome) -> None:
    await run_in_threadpool(record, services.engine, outcome)


def _outcome(
    request_id: str,
    route: Route,
    target: NamedTarget | None,
    started: float,
    result: str,
    usage: tuple[int, int] = (0, 0),
) -> Outcome:
    return Outcome(
        request_id=request_id,
        requested_model=route.requested,
        tier=route.tier,
        target=target.name if target else None,
        provider=target.provider if target else None,
        model=target.model if target else None,
        prompt_tokens=usage[0],
        completion_tokens=usage[1],
        latency_ms=round((time.monotonic() - started) * 1000),
        outcome=result,
    )


async def chat_completion(
    services: Services, request: ChatCompletionRequest, request_id: str
) -> ChatCompletion:
    route = validate(services, request)
    started = time.monotonic()
    try:
        target, completion = await services.gateway.complete(route, request)
    except UpstreamUnavailableError:
        await _record(services, _outcome(request_id, route, None, started, "upstream_unavailable"))
        raise
    usage = (completion.prompt_tokens, completion.completion_tokens)
    await _record(services, _outcome(request_id, route, target, started, "ok", usage))
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=target.model,
        choices=[
            Choice(
                message=AssistantMessage(content=completion.content),
                finish_reason=completion.finish_reason,
            )
        ],
        usage=Usage(prompt_tokens=usage[0], completion_tokens=usage[1], total_tokens=sum(usage)),
    )


async def chat_completion_stream(
    services: Services, request: ChatCompletionRequest, request_id: str
) -> AsyncIterator[ChatCompletionChunk]:
    """Open the stream (errors so far are ordinary error responses), then relay chunks."""
    route = validate(services, request)
    started = time.monotonic()
    try:
        target, chunks = await services.gateway.stream(route, request)
    except UpstreamUnavailableError:
        await _record(services, _outcome(request_id, route, None, started, "upstream_unavailable"))
        raise
    return _relay(services, request, request_id, route, target, chunks, started)


async def _relay(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    route: Route,
    target: NamedTarget,
    chunks: AsyncIterator[Chunk],
    started: float,
) -> AsyncIterator[ChatCompletionChunk]:
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())

    def chunk(delta: Delta, finish_reason: str | None = None) -> ChatCompletionChunk:
        choice = ChunkChoice(delta=delta, finish_reason=finish_reason)
        return ChatCompletionChunk(
            id=completion_id, created=created, model=target.model, choices=[choice]
        )

    prompt_tokens = completion_tokens = 0
    result = "client_disconnected"
    try:
        yield chunk(Delta(role="assistant", content=""))
        async for piece in chunks:
            prompt_tokens = piece.prompt_tokens or prompt_tokens
            completion_tokens = piece.completion_tokens or completion_tokens
            if piece.content or piece.finish_reason:
                yield chunk(Delta(content=piece.content or None), piece.finish_reason)
        if request.stream_options is not None and request.stream_options.include_usage:
            usage = Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            )
            yield ChatCompletionChunk(
                id=completion_id, created=created, model=target.model, choices=[], usage=usage
            )
        result = "ok"
    except ProviderError:
        result = "upstream_error"
        raise
    finally:
        outcome = _outcome(
            request_id, route, target, started, result, (prompt_tokens, completion_tokens)
        )
        try:
            await _record(services, outcome)
        except Exception:
            log.exception("record.failed", outcome=result)
