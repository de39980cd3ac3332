"""The request pipeline: every chat request runs these stages, in this order.

    1. validate          the request is well-formed and names a model we serve
    2. input guardrails  size limit, prompt injection, indirect injection, PII   (guardrails/)
    3. flags             kill switch, prompt version, model variant per subject   (flags.py)
    4. prompt            the versioned system prompt, with its canary             (prompts.py)
    5. cache             a cached answer for this tenant, request and prompt version skips 6-7
    6. gateway           tier -> targets -> provider adapter, with retries, breakers, fallbacks
    7. output            the answer matches the requested response_format (one repair call)
    8. output guardrails system-prompt leak, output schema, PII                  (guardrails/)
    9. cache, record     store the answer; interactions row + structured log line

Later stages slot in at fixed places, each a module of its own:
auth and access (who is calling, what they may do) and limits (rate, budget) go before
``validate`` and hand the principal's tenant to this module (until then every request is the
``default`` tenant).
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
from .flags import FeatureDisabledError, FeatureFlags, Flags, Subject
from .gateway import Deadline, Gateway, NamedTarget, Route
from .guardrails import Guardrails, OutputRejectedError, SystemPromptLeakError, new_canary
from .guardrails.pii import Redactor
from .logging import get_logger
from .prompts import Prompt, PromptRegistry
from .providers import Chunk, Completion, TokenUsage
from .record import Outcome, record
from .schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
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
    # The guarded messages without the system prompt (whose canary differs on every request).
    messages: list[ChatMessage]

    @property
    def prompt_version(self) -> str | None:
        """``name@version`` of the prompt template served, for the cache key."""
        return f"{self.prompt.spec.name}@{self.prompt.spec.version}" if self.prompt else None


def validate(services: Services, request: ChatCompletionRequest) -> Route:
    if request.stream_options is not None and not request.stream:
        raise InvalidRequestError(
            "stream_options is only allowed when stream is true.", param="stream_options"
        )
    output.check_schema(request)
    return services.gateway.route(request.model)


def _subject(request: ChatCompletionRequest, tenant: str) -> Subject:
    # Until auth provides the principal, the tenant is the default one and the user is OpenAI's
    # `user`.
    return Subject(tenant=tenant, user=request.user or "anonymous")


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


def prepare(
    services: Services, request: ChatCompletionRequest, tenant: str = DEFAULT_TENANT
) -> Prepared:
    """Stages 1-4: validate, input guardrails, flags, prompt; then route the chosen model."""
    validate(services, request)
    checked = services.guardrails.check_input(request.messages)
    feature = request.prompt.name if request.prompt else DEFAULT_FEATURE
    flags = services.flags.for_feature(feature, _subject(request, tenant))
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
    return Prepared(prepared, route, prompt, flags, canary, checked.redactor, checked.messages)


def _cache_key(tenant: str, prepared: Prepared) -> str:
    # The rendered system prompt carries a fresh canary on every request, so the key holds what
    # it was rendered from instead: the prompt's name@version and the request's `prompt`
    # variables. The messages are the guarded ones: PII placeholders, not the values.
    keyed = prepared.request.model_copy(update={"messages": prepared.messages})
    targets = [target.name for target in prepared.route.targets]
    return cache_key(tenant, targets, keyed, prepared.prompt_version)


async def _record(services: Services, outcome: Outcome) -> None:
    await run_in_threadpool(record, services.engine, outcome)


def _outcome(
    request_id: str,
    prepared: Prepared,
    target: NamedTarget | None,
    started: float,
    result: str,
    usage: TokenUsage | None = None,
) -> Outcome:
    route = prepared.route
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
        prompt_name=prepared.prompt.spec.name if prepared.prompt else None,
        prompt_version=prepared.prompt.spec.version if prepared.prompt else None,
        flag_variants=prepared.flags.variants,
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
    """Gateway, then the response_format check: one repair call when the format is wrong."""
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


def _guard(services: Services, prepared: Prepared, answer: ChatCompletion) -> ChatCompletion:
    """Output guardrails on the model's answer (fresh or cached): leak, output schema, PII."""
    message = answer.choices[0].message
    if message.content is None:
        return answer
    content = services.guardrails.check_output(
        message.content,
        canary=prepared.canary,
        redactor=prepared.redactor,
        output_schema=prepared.prompt.spec.output_schema if prepared.prompt else None,
    )
    choice = answer.choices[0].model_copy(
        update={"message": message.model_copy(update={"content": content})}
    )
    return answer.model_copy(update={"choices": [choice, *answer.choices[1:]]})


async def chat_completion(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    tenant: str = DEFAULT_TENANT,
) -> tuple[ChatCompletion, CacheStatus]:
    prepared = prepare(services, request, tenant)
    started = time.monotonic()
    # The cache holds the model's answer before the output guardrails, which run on every
    # request with its own canary and redactor (so PII placeholders are restored per request).
    key = _cache_key(tenant, prepared) if cacheable(prepared.request) else None
    if key is not None:
        cached = await services.cache.get(key)
        if cached is not None:
            hit = ChatCompletion.model_validate_json(cached)
            try:
                guarded = _guard(services, prepared, hit)
            except OutputRejectedError:
                outcome = _outcome(request_id, prepared, None, started, "output_blocked")
                await _record(services, outcome)
                raise
            await _record(services, _outcome(request_id, prepared, None, started, "cache_hit"))
            update = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
            return guarded.model_copy(update=update), "hit"
    try:
        target, completion, spent = await _answer(services, prepared.route, prepared.request)
    except (UpstreamUnavailableError, UpstreamRejectedError, InvalidModelOutputError) as exc:
        await _record(services, _outcome(request_id, prepared, None, started, exc.code))
        raise
    message = AssistantMessage(
        content=completion.content if completion.content or not completion.tool_calls else None,
        tool_calls=list(completion.tool_calls) or None,
    )
    answer = ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=target.model,
        choices=[Choice(message=message, finish_reason=completion.finish_reason)],
        usage=_usage(spent),
    )
    try:
        response = _guard(services, prepared, answer)
    except OutputRejectedError:
        outcome = _outcome(request_id, prepared, target, started, "output_blocked", spent)
        await _record(services, outcome)
        raise
    await _record(services, _outcome(request_id, prepared, target, started, "ok", spent))
    if key is None:
        return response, "skip"
    await services.cache.set(key, answer.model_dump_json())
    return response, "miss"


async def chat_completion_stream(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    tenant: str = DEFAULT_TENANT,
) -> AsyncIterator[ChatCompletionChunk]:
    """Open the stream (errors so far are ordinary error responses), then relay chunks."""
    prepared = prepare(services, request, tenant)
    started = time.monotonic()
    try:
        target, chunks = await services.gateway.stream(prepared.route, prepared.request)
    except (UpstreamUnavailableError, UpstreamRejectedError) as exc:
        await _record(services, _outcome(request_id, prepared, None, started, exc.code))
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

    usage = TokenUsage()
    result = "client_disconnected"
    sent = ""
    leaked = False
    try:
        yield chunk(Delta(role="assistant", content=""))
        async for piece in chunks:
            usage = piece.usage or usage
            # Streamed answers get the leak check only: the chunk completing the canary is cut.
            sent += piece.content
            if not leaked and services.guardrails.leaks(sent, prepared.canary):
                leaked = True
                services.guardrails.check_output(
                    sent, canary=prepared.canary, redactor=prepared.redactor
                )
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
    except SystemPromptLeakError:
        result = "output_blocked"
        raise
    finally:
        outcome = _outcome(request_id, prepared, target, started, result, usage)
        try:
            await _record(services, outcome)
        except Exception:
            log.exception("record.failed", outcome=result)
