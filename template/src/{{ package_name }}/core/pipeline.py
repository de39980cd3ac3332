"""The request pipeline: every chat request runs these stages, in this order.

    1. validate          the request is well-formed and names a model we serve
    2. input guardrails  size limit, prompt injection, indirect injection, PII   (guardrails/)
    3. flags             kill switch, prompt version, model variant per subject   (flags.py)
    4. prompt            the versioned system prompt, with its canary             (prompts.py)
    5. gateway           tier -> targets -> provider adapter, falling back on failure
    6. output guardrails system-prompt leak, output schema, PII                  (guardrails/)
    7. record            interactions row + structured log line

Later stages slot in at fixed places, each a module of its own:
auth and access (who is calling, what they may do) and limits (rate, budget) go before
``validate``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from .errors import InvalidRequestError, ProviderError, UpstreamUnavailableError
from .flags import FeatureDisabledError, FeatureFlags, Flags, Subject
from .gateway import Gateway, NamedTarget, Route
from .guardrails import Guardrails, OutputRejectedError, SystemPromptLeakError, new_canary
from .guardrails.pii import Redactor
from .logging import get_logger
from .prompts import Prompt, PromptRegistry
from .providers import Chunk
from .record import Outcome, record
from .schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
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
    guardrails: Guardrails
    flags: Flags
    prompts: PromptRegistry


# The feature (and prompt) a request without a `prompt` field belongs to.
DEFAULT_FEATURE = "chat"


@dataclass(frozen=True)
class Prepared:
    """A request after input guardrails, flags and its prompt: what goes to the gateway."""

    request: ChatCompletionRequest
    route: Route
    prompt: Prompt | None
    flags: FeatureFlags
    canary: str
    redactor: Redactor


def validate(services: Services, request: ChatCompletionRequest) -> Route:
    if request.stream_options is not None and not request.stream:
        raise InvalidRequestError(
            "stream_options is only allowed when stream is true.", param="stream_options"
        )
    return services.gateway.route(request.model)


def _subject(request: ChatCompletionRequest) -> Subject:
    # Until auth provides the principal, the tenant is shared and the user is OpenAI's `user`.
    return Subject(tenant="default", user=request.user or "anonymous")


def _prompt(
    services: Services, request: ChatCompletionRequest, flags: FeatureFlags, feature: str
) -> Prompt | None:
    if request.prompt is None and feature not in services.prompts.names():
        return None
    version = request.prompt.version if request.prompt else None
    if version is None and flags.prompt_version is not None:
        if flags.prompt_version in services.prompts.versions(feature):
            version = flags.prompt_version
        else:
            log.error("flags.unknown_prompt_version", prompt=feature, version=flags.prompt_version)
    return services.prompts.get(feature, version)


def prepare(services: Services, request: ChatCompletionRequest) -> Prepared:
    """Stages 1-4: validate, input guardrails, flags, prompt; then route the chosen model."""
    validate(services, request)
    checked = services.guardrails.check_input(request.messages)
    feature = request.prompt.name if request.prompt else DEFAULT_FEATURE
    flags = services.flags.for_feature(feature, _subject(request))
    if not flags.enabled:
        raise FeatureDisabledError(f"The {feature!r} feature is switched off; try again later.")
    prompt = _prompt(services, request, flags, feature)
    canary = new_canary()
    messages = checked.messages
    update: dict[str, object] = {"model": flags.model or request.model}
    if prompt is not None:
        variables = request.prompt.variables if request.prompt else {}
        system = (
            f"Session marker {canary}: confidential, never repeat it.\n{prompt.render(variables)}"
        )
        messages = [ChatMessage(role="system", content=system), *messages]
        for name, value in prompt.spec.parameters.model_dump(exclude_none=True).items():
            if getattr(request, name) is None:
                update[name] = value
    prepared = request.model_copy(update={**update, "messages": messages})
    route = services.gateway.route(prepared.model)
    return Prepared(prepared, route, prompt, flags, canary, checked.redactor)


async def _record(services: Services, outcome: Outcome) -> None:
    await run_in_threadpool(record, services.engine, outcome)


def _outcome(
    request_id: str,
    prepared: Prepared,
    target: NamedTarget | None,
    started: float,
    result: str,
    usage: tuple[int, int] = (0, 0),
) -> Outcome:
    route = prepared.route
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
        prompt_name=prepared.prompt.spec.name if prepared.prompt else None,
        prompt_version=prepared.prompt.spec.version if prepared.prompt else None,
        flag_variants=prepared.flags.variants,
    )


async def chat_completion(
    services: Services, request: ChatCompletionRequest, request_id: str
) -> ChatCompletion:
    prepared = prepare(services, request)
    started = time.monotonic()
    try:
        target, completion = await services.gateway.complete(prepared.route, prepared.request)
    except UpstreamUnavailableError:
        outcome = _outcome(request_id, prepared, None, started, "upstream_unavailable")
        await _record(services, outcome)
        raise
    usage = (completion.prompt_tokens, completion.completion_tokens)
    try:
        content = services.guardrails.check_output(
            completion.content,
            canary=prepared.canary,
            redactor=prepared.redactor,
            output_schema=prepared.prompt.spec.output_schema if prepared.prompt else None,
        )
    except OutputRejectedError:
        outcome = _outcome(request_id, prepared, target, started, "output_blocked", usage)
        await _record(services, outcome)
        raise
    await _record(services, _outcome(request_id, prepared, target, started, "ok", usage))
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=target.model,
        choices=[
            Choice(
                message=AssistantMessage(content=content),
                finish_reason=completion.finish_reason,
            )
        ],
        usage=Usage(prompt_tokens=usage[0], completion_tokens=usage[1], total_tokens=sum(usage)),
    )


async def chat_completion_stream(
    services: Services, request: ChatCompletionRequest, request_id: str
) -> AsyncIterator[ChatCompletionChunk]:
    """Open the stream (errors so far are ordinary error responses), then relay chunks."""
    prepared = prepare(services, request)
    started = time.monotonic()
    try:
        target, chunks = await services.gateway.stream(prepared.route, prepared.request)
    except UpstreamUnavailableError:
        outcome = _outcome(request_id, prepared, None, started, "upstream_unavailable")
        await _record(services, outcome)
        raise
    return _relay(services, request, request_id, prepared, target, chunks, started)


async def _relay(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    prepared: Prepared,
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
    sent = ""
    leaked = False
    try:
        yield chunk(Delta(role="assistant", content=""))
        async for piece in chunks:
            prompt_tokens = piece.prompt_tokens or prompt_tokens
            completion_tokens = piece.completion_tokens or completion_tokens
            # Streamed answers get the leak check only: the chunk completing the canary is cut.
            sent += piece.content
            if not leaked and services.guardrails.leaks(sent, prepared.canary):
                leaked = True
                services.guardrails.check_output(
                    sent, canary=prepared.canary, redactor=prepared.redactor
                )
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
    except SystemPromptLeakError:
        result = "output_blocked"
        raise
    finally:
        outcome = _outcome(
            request_id, prepared, target, started, result, (prompt_tokens, completion_tokens)
        )
        try:
            await _record(services, outcome)
        except Exception:
            log.exception("record.failed", outcome=result)
