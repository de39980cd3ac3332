"""The request pipeline: every chat request runs these stages, in this order.

    1. limits            rate limits; a spent budget -> 429                      (limits.py)
    2. validate          the request is well-formed and names a model we serve
    3. input guardrails  size limit, prompt injection, indirect injection, PII   (guardrails/)
    4. flags             kill switch, prompt version, model variant per subject   (flags.py)
    5. prompt            the versioned system prompt, with its canary             (prompts.py)
       then: past a budget's soft cap a dear tier becomes ``fast``, and the request's
       maximum cost is reserved against its budgets                           (budgets.py)
    6. gateway           cache: a cached answer for this tenant, request and prompt version
                         skips the call; else tier -> targets -> breaker -> provider adapter,
                         with retries and fallbacks; then the requested response_format is
                         checked (one repair call)                    (cache.py, gateway.py)
    7. output guardrails system-prompt leak, output schema, PII                  (guardrails/)
    8. record            cost, interactions + cost-ledger rows, metrics, the request's log
                         line; the reservation is settled (or released on failure); a fresh
                         cacheable answer is stored

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
from typing import Literal

from starlette.concurrency import run_in_threadpool

from ..features.flags import FeatureDisabledError, FeatureFlags, Subject
from ..features.prompts import Prompt
from ..foundation.errors import (
    InvalidModelOutputError,
    InvalidRequestError,
    ProviderError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from ..gateway.cache import cache_key, cacheable
from ..gateway.providers import Chunk, Completion, TokenUsage
from ..gateway.router import Deadline, NamedTarget, Route
from ..identity.principal import ANONYMOUS, Principal
from ..observability.logging import get_logger
from ..observability.metrics import record_cache_lookup
from ..observability.tracing import stage
from ..safety import output
from ..safety.guardrails import OutputRejectedError, SystemPromptLeakError, new_canary
from ..safety.pii import Redactor
from ..services import Services
from ..spend.budgets import Reservation
from ..spend.cost import TokenUsage as BilledUsage
from ..spend.cost import cost_usd
from ..spend.limits import prompt_token_bound
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

log = get_logger(__name__)
CacheStatus = Literal["hit", "miss", "skip"]
NO_USAGE = TokenUsage()


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
    return Prepared(prepared, route, prompt, flags, canary, checked.redactor, checked.messages)


def _cache_key(tenant: str, prepared: Prepared) -> str:
    # The rendered system prompt carries a fresh canary on every request, so the key holds what
    # it was rendered from instead: the prompt's name@version and the request's `prompt`
    # variables. The messages are the guarded ones: PII placeholders, not the values.
    keyed = prepared.request.model_copy(update={"messages": prepared.messages})
    targets = [target.name for target in prepared.route.targets]
    return cache_key(tenant, targets, keyed, prepared.prompt_version)


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
        billed = BilledUsage(usage.prompt, usage.completion, usage.cached, usage.reasoning)
        # No target answered (or the cache did): nothing was charged.
        cost = cost_usd(price, billed) if target else Decimal(0)
        tokens = usage.prompt + usage.completion
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
            prompt_tokens=usage.prompt,
            completion_tokens=usage.completion,
            cached_tokens=usage.cached,
            reasoning_tokens=usage.reasoning,
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


def _text(answer: ChatCompletion) -> str | None:
    """The answer's text as the caller received it, for the audit log."""
    return answer.choices[0].message.content if answer.choices else None


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
    principal: Principal = ANONYMOUS,
    headers: dict[str, str] | None = None,
) -> ChatCompletion:
    """``headers`` gets the response headers the stages set (x-cache, x-budget-downgraded)."""
    headers = {} if headers is None else headers
    call = await _admit(services, request, request_id, principal, headers)
    prepared = call.prepared
    # The cache holds the model's answer before the output guardrails, which run on every
    # request with its own canary and redactor (so PII placeholders are restored per request).
    key = _cache_key(principal.tenant, prepared) if cacheable(prepared.request) else None
    cached: str | None = None
    try:
        if key is not None:
            with stage("cache"):
                cached = await services.cache.get(key)
            record_cache_lookup(hit=cached is not None)
        if cached is None:
            with stage("gateway"):
                target, completion, spent = await _answer(
                    services, prepared.route, prepared.request
                )
    except (UpstreamUnavailableError, UpstreamRejectedError, InvalidModelOutputError) as exc:
        await _record(services, call, None, exc.code)
        raise
    except BaseException:
        await run_in_threadpool(services.limits.budgets.release, call.reservation)
        raise
    if cached is not None:
        hit = ChatCompletion.model_validate_json(cached)
        try:
            with stage("guardrails.output"):
                guarded = _guard(services, prepared, hit)
        except OutputRejectedError:
            await _record(services, call, None, "output_blocked")
            raise
        await _record(services, call, None, "cache_hit", response=_text(guarded))
        headers["x-cache"] = "hit"
        update = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
        return guarded.model_copy(update=update)
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
        with stage("guardrails.output"):
            response = _guard(services, prepared, answer)
    except OutputRejectedError:
        await _record(services, call, target, "output_blocked", spent)
        raise
    await _record(services, call, target, "ok", spent, _text(response))
    status: CacheStatus = "skip" if key is None else "miss"
    headers["x-cache"] = status
    if key is not None:
        await services.cache.set(key, answer.model_dump_json())
    return response


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
    except (UpstreamUnavailableError, UpstreamRejectedError) as exc:
        await _record(services, call, None, exc.code)
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
        if result != "ok":
            if not usage.completion:
                # The provider's usage never arrived: charge the prompt bound and what was relayed.
                bound = prompt_token_bound(prepared.request)
                usage = TokenUsage(prompt=max(usage.prompt, bound), completion=pieces)
            try:
                await _record(services, call, target, result, usage, sent)
            except Exception:
                log.exception("record.failed", outcome=result)
    # Before `[DONE]`: an AuditUnavailableError here ends the stream with an error event.
    await _record(services, call, target, result, usage, sent)
