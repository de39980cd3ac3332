"""The request pipeline: every chat request runs these stages, in this order.

    1. validate          the request is well-formed and names a model we serve
    2. cache             a cached answer for this tenant and request ends the pipeline here
    3. gateway           tier -> targets -> provider adapter, with retries, breakers, fallbacks
    4. output            the answer matches the requested response_format (one repair call)
    5. cache, record     store the answer; interactions row + structured log line

Later stages slot in at fixed places, each a module of its own:
auth and access (who is calling, what they may do) and limits (rate, budget) go before
``validate`` and hand the principal's tenant to this module (until then every request is the
``default`` tenant); input guardrails, flags and the prompt template (which sets the prompt
version the cache key includes) between ``validate`` and ``gateway``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from . import output
from .cache import DEFAULT_TENANT, ResponseCache, cache_key, cacheable
from .errors import (
    InvalidModelOutputError,
    InvalidRequestError,
    ProviderError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from .gateway import Deadline, Gateway, NamedTarget, Route
from .logging import get_logger
from .providers import Chunk, Completion, TokenUsage
from .record import Outcome, record
from .schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    CompletionTokensDetails,
    Delta,
    PromptTokensDetails,
    Usage,
)
from .settings import Settings

log = get_logger(__name__)
CacheStatus = Literal["hit", "miss", "skip"]


@dataclass(frozen=True)
class Services:
    """What the pipeline stages need, built once by the app factory."""

    settings: Settings
    engine: Engine
    gateway: Gateway
    cache: ResponseCache


def validate(services: Services, request: ChatCompletionRequest) -> Route:
    if request.stream_options is not None and not request.stream:
        raise InvalidRequestError(
            "stream_options is only allowed when stream is true.", param="stream_options"
        )
    output.check_schema(request)
    return services.gateway.route(request.model)


async def _record(services: Services, outcome: Outcome) -> None:
    await run_in_threadpool(record, services.engine, outcome)


def _outcome(
    request_id: str,
    route: Route,
    target: NamedTarget | None,
    started: float,
    result: str,
    usage: TokenUsage | None = None,
) -> Outcome:
    usage = usage or TokenUsage()
    return Outcome(
        request_id=request_id,
        requested_model=route.requested,
        tier=route.tier,
        target=target.name if target else None,
        provider=target.provider if target else None,
        model=target.model if target else None,
        prompt_tokens=usage.prompt,
        completion_tokens=usage.completion,
        latency_ms=round((time.monotonic() - started) * 1000),
        outcome=result,
    )


def _usage(usage: TokenUsage) -> Usage:
    return Usage(
        prompt_tokens=usage.prompt,
        completion_tokens=usage.completion,
        total_tokens=usage.prompt + usage.completion,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=usage.cached),
        completion_tokens_details=CompletionTokensDetails(reasoning_tokens=usage.reasoning),
    )


def _add(first: TokenUsage, second: TokenUsage) -> TokenUsage:
    return TokenUsage(
        prompt=first.prompt + second.prompt,
        completion=first.completion + second.completion,
        cached=first.cached + second.cached,
        reasoning=first.reasoning + second.reasoning,
    )


async def _answer(
    services: Services, route: Route, request: ChatCompletionRequest
) -> tuple[NamedTarget, Completion, TokenUsage]:
    """Gateway, then output guardrails: one repair call when the format is wrong."""
    deadline: Deadline = services.gateway.deadline()
    target, completion = await services.gateway.complete(route, request, deadline)
    issue = output.problem(request, completion)
    if issue is None:
        return target, completion, completion.usage
    log.info("output.repair", target=target.name, issue=issue)
    repair = output.repair_request(request, completion, issue)
    target, repaired = await services.gateway.complete(route, repair, deadline)
    spent = _add(completion.usage, repaired.usage)
    issue = output.problem(request, repaired)
    if issue is not None:
        raise InvalidModelOutputError(
            f"The model's answer does not match response_format, even after one repair: {issue}"
        )
    return target, repaired, spent


async def chat_completion(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    tenant: str = DEFAULT_TENANT,
    prompt_version: str | None = None,
) -> tuple[ChatCompletion, CacheStatus]:
    route = validate(services, request)
    started = time.monotonic()
    key = None
    if cacheable(request):
        key = cache_key(tenant, [t.name for t in route.targets], request, prompt_version)
        cached = await services.cache.get(key)
        if cached is not None:
            hit = ChatCompletion.model_validate_json(cached)
            await _record(services, _outcome(request_id, route, None, started, "cache_hit"))
            update = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
            return hit.model_copy(update=update), "hit"
    try:
        target, completion, spent = await _answer(services, route, request)
    except (UpstreamUnavailableError, UpstreamRejectedError, InvalidModelOutputError) as exc:
        await _record(services, _outcome(request_id, route, None, started, exc.code))
        raise
    await _record(services, _outcome(request_id, route, target, started, "ok", spent))
    message = AssistantMessage(
        content=completion.content if completion.content or not completion.tool_calls else None,
        tool_calls=list(completion.tool_calls) or None,
    )
    response = ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=target.model,
        choices=[Choice(message=message, finish_reason=completion.finish_reason)],
        usage=_usage(spent),
    )
    if key is None:
        return response, "skip"
    await services.cache.set(key, response.model_dump_json())
    return response, "miss"


async def chat_completion_stream(
    services: Services, request: ChatCompletionRequest, request_id: str
) -> AsyncIterator[ChatCompletionChunk]:
    """Open the stream (errors so far are ordinary error responses), then relay chunks."""
    route = validate(services, request)
    started = time.monotonic()
    try:
        target, chunks = await services.gateway.stream(route, request)
    except (UpstreamUnavailableError, UpstreamRejectedError) as exc:
        await _record(services, _outcome(request_id, route, None, started, exc.code))
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

    usage = TokenUsage()
    result = "client_disconnected"
    try:
        yield chunk(Delta(role="assistant", content=""))
        async for piece in chunks:
            usage = piece.usage or usage
            if piece.content or piece.finish_reason or piece.tool_calls:
                delta = Delta(
                    content=piece.content or None, tool_calls=list(piece.tool_calls) or None
                )
                yield chunk(delta, piece.finish_reason)
        if request.stream_options is not None and request.stream_options.include_usage:
            yield ChatCompletionChunk(
                id=completion_id,
                created=created,
                model=target.model,
                choices=[],
                usage=_usage(usage),
            )
        result = "ok"
    except ProviderError:
        result = "upstream_error"
        raise
    finally:
        outcome = _outcome(request_id, route, target, started, result, usage)
        try:
            await _record(services, outcome)
        except Exception:
            log.exception("record.failed", outcome=result)
