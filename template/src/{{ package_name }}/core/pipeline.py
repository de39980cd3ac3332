"""The request pipeline: every chat request runs these stages, in this order.

    1. limits            rate limits; a spent budget -> 429                      (limits.py)
    2. validate          the request is well-formed and names a model we serve
    3. input guardrails  size limit, prompt injection, indirect injection, PII   (guardrails/)
    4. flags             kill switch, prompt version, model variant per subject   (flags.py)
    5. prompt            the versioned system prompt, with its canary             (prompts.py)
       then: past a budget's soft cap a dear tier becomes ``fast``, and the request's
       maximum cost is reserved against its budgets                           (budgets.py)
    6. gateway           tier -> targets -> provider adapter, falling back on failure
    7. output guardrails system-prompt leak, output schema, PII                  (guardrails/)
    8. record            cost, interactions + cost-ledger rows, metrics, the request's log
                         line; the reservation is settled (or released on failure)

Before them, auth and access (who is calling, what they may do: ``auth.py``, ``access.py``)
run as the route's ``require`` dependency and hand the pipeline its Principal; ``record``
also appends the audit record (``audit.py``) in the same transaction. Each stage runs in a
tracing span (``tracing.stage``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from .audit import ContentPolicy
from .budgets import Reservation
from .cost import PriceBook, TokenUsage, cost_usd
from .errors import InvalidRequestError, ProviderError, UpstreamUnavailableError
from .flags import FeatureDisabledError, FeatureFlags, Flags, Subject
from .gateway import Gateway, NamedTarget, Route
from .guardrails import Guardrails, OutputRejectedError, SystemPromptLeakError, new_canary
from .guardrails.pii import Redactor
from .limits import Limits, prompt_token_bound
from .logging import get_logger
from .principal import ANONYMOUS, Principal
from .prompts import Prompt, PromptRegistry
from .providers import Chunk, Completion
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
from .tracing import stage

log = get_logger(__name__)
NO_USAGE = TokenUsage()


@dataclass(frozen=True)
class Services:
    """What the pipeline stages need, built once by the app factory."""

    settings: Settings
    engine: Engine
    gateway: Gateway
    guardrails: Guardrails
    flags: Flags
    prompts: PromptRegistry
    limits: Limits
    prices: PriceBook
    audit: ContentPolicy


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


def _subject(principal: Principal, request: ChatCompletionRequest) -> Subject:
    """Whom the request is for. A person signed in through OIDC is themselves; any other
    caller (an API key's service, the development key) names its end user in ``user``."""
    if principal.method == "oidc":
        return Subject(tenant=principal.tenant, user=principal.user)
    return Subject(tenant=principal.tenant, user=request.user or principal.user)


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
    services: Services, request: ChatCompletionRequest, principal: Principal = ANONYMOUS
) -> Prepared:
    """Validate, input guardrails, flags, prompt; then route the chosen model."""
    with stage("validate"):
        validate(services, request)
    with stage("guardrails.input"):
        checked = services.guardrails.check_input(request.messages)
    feature = request.prompt.name if request.prompt else DEFAULT_FEATURE
    with stage("flags"):
        flags = services.flags.for_feature(feature, _subject(principal, request))
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


@dataclass(frozen=True)
class Call:
    """One chat request on its way through the stages, with its budget reservation."""

    request_id: str
    principal: Principal
    request: ChatCompletionRequest
    prepared: Prepared
    reservation: Reservation
    started: float


async def _admit(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    principal: Principal,
    headers: dict[str, str] | None,
) -> Call:
    """Limits, the preparing stages, then the soft cap and the budget reservation."""
    limits = services.limits
    with stage("limits"):
        admission = await run_in_threadpool(limits.admit, principal)
    prepared = prepare(services, request, principal)
    cheaper = limits.downgrade(admission, prepared.request.model)
    if cheaper is not None:
        if headers is not None:
            headers["x-budget-downgraded"] = f"requested={prepared.request.model}; served={cheaper}"
        prepared = replace(
            prepared,
            request=prepared.request.model_copy(update={"model": cheaper}),
            route=services.gateway.route(cheaper),
        )
    prepared = replace(prepared, request=limits.bounded(prepared.route, prepared.request))
    with stage("limits.reserve"):
        reservation = await run_in_threadpool(
            limits.reserve, admission, prepared.route, prepared.request
        )
    return Call(request_id, principal, request, prepared, reservation, time.monotonic())


async def _record(
    services: Services,
    call: Call,
    target: NamedTarget | None,
    result: str,
    usage: TokenUsage = NO_USAGE,
    response: str | None = None,
) -> None:
    """Settle the reservation to the real cost, then write the interaction and ledger rows."""
    with stage("record"):
        prepared = call.prepared
        price = services.prices.price(target.name) if target else None
        # No target answered: nothing was charged.
        cost = cost_usd(price, usage) if target else Decimal(0)
        tokens = usage.prompt_tokens + usage.completion_tokens
        await run_in_threadpool(
            services.limits.settle, call.principal, call.reservation, cost, tokens
        )
        outcome = Outcome(
            request_id=call.request_id,
            tenant=call.principal.tenant,
            user=_subject(call.principal, call.request).user,
            key_id=call.principal.key_id,
            actor=call.principal.actor,
            requested_model=prepared.route.requested,
            tier=prepared.route.tier,
            target=target.name if target else None,
            provider=target.provider if target else None,
            model=target.model if target else None,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cached_tokens=usage.cached_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_usd=cost,
            priced=target is None or price is not None,
            fallbacks=prepared.route.targets.index(target) if target else 0,
            latency_ms=round((time.monotonic() - call.started) * 1000),
            outcome=result,
            prompt_name=prepared.prompt.spec.name if prepared.prompt else None,
            prompt_version=prepared.prompt.spec.version if prepared.prompt else None,
            flag_variants=prepared.flags.variants,
        )
        # What the caller sent (before the system prompt) and what it got, for the audit log.
        content = {
            "messages": [{"role": m.role, "content": m.text} for m in call.request.messages],
            "response": response,
        }
        await run_in_threadpool(record, services.engine, outcome, services.audit, content=content)


def _usage(completion: Completion) -> TokenUsage:
    return TokenUsage(
        completion.prompt_tokens,
        completion.completion_tokens,
        completion.cached_tokens,
        completion.reasoning_tokens,
    )


async def chat_completion(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    principal: Principal = ANONYMOUS,
    headers: dict[str, str] | None = None,
) -> ChatCompletion:
    call = await _admit(services, request, request_id, principal, headers)
    prepared = call.prepared
    try:
        with stage("gateway"):
            target, completion = await services.gateway.complete(prepared.route, prepared.request)
    except UpstreamUnavailableError:
        await _record(services, call, None, "upstream_unavailable")
        raise
    except BaseException:
        await run_in_threadpool(services.limits.budgets.release, call.reservation)
        raise
    usage = _usage(completion)
    try:
        with stage("guardrails.output"):
            content = services.guardrails.check_output(
                completion.content,
                canary=prepared.canary,
                redactor=prepared.redactor,
                output_schema=prepared.prompt.spec.output_schema if prepared.prompt else None,
            )
    except OutputRejectedError:
        await _record(services, call, target, "output_blocked", usage)
        raise
    await _record(services, call, target, "ok", usage, content)
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
        usage=Usage(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.prompt_tokens + usage.completion_tokens,
        ),
    )


async def chat_completion_stream(
    services: Services,
    request: ChatCompletionRequest,
    request_id: str,
    principal: Principal = ANONYMOUS,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[ChatCompletionChunk]:
    """Open the stream (errors so far are ordinary error responses), then relay chunks."""
    call = await _admit(services, request, request_id, principal, headers)
    try:
        with stage("gateway"):
            target, chunks = await services.gateway.stream(
                call.prepared.route, call.prepared.request
            )
    except UpstreamUnavailableError:
        await _record(services, call, None, "upstream_unavailable")
        raise
    except BaseException:
        await run_in_threadpool(services.limits.budgets.release, call.reservation)
        raise
    return _relay(services, request, call, target, chunks)


async def _relay(
    services: Services,
    request: ChatCompletionRequest,
    call: Call,
    target: NamedTarget,
    chunks: AsyncIterator[Chunk],
) -> AsyncIterator[ChatCompletionChunk]:
    prepared = call.prepared
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())

    def chunk(delta: Delta, finish_reason: str | None = None) -> ChatCompletionChunk:
        choice = ChunkChoice(delta=delta, finish_reason=finish_reason)
        return ChatCompletionChunk(
            id=completion_id, created=created, model=target.model, choices=[choice]
        )

    usage = NO_USAGE
    pieces = 0
    result = "client_disconnected"
    sent = ""
    leaked = False
    try:
        yield chunk(Delta(role="assistant", content=""))
        async for piece in chunks:
            pieces += 1 if piece.content else 0
            usage = TokenUsage(
                piece.prompt_tokens or usage.prompt_tokens,
                piece.completion_tokens or usage.completion_tokens,
                piece.cached_tokens or usage.cached_tokens,
                piece.reasoning_tokens or usage.reasoning_tokens,
            )
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
            yield ChatCompletionChunk(
                id=completion_id,
                created=created,
                model=target.model,
                choices=[],
                usage=Usage(
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                    total_tokens=usage.prompt_tokens + usage.completion_tokens,
                ),
            )
        result = "ok"
    except ProviderError:
        result = "upstream_error"
        raise
    except SystemPromptLeakError:
        result = "output_blocked"
        raise
    finally:
        if result != "ok":
            if not usage.completion_tokens:
                # The provider's usage never arrived: charge the prompt bound and what was relayed.
                bound = prompt_token_bound(prepared.request)
                usage = TokenUsage(max(usage.prompt_tokens, bound), pieces)
            try:
                await _record(services, call, target, result, usage, sent)
            except Exception:
                log.exception("record.failed", outcome=result)
    # Before `[DONE]`: an AuditUnavailableError here ends the stream with an error event.
    await _record(services, call, target, result, usage, sent)
