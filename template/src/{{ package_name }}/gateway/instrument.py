"""Each provider adapter wrapped with what operators need per call: a span with the GenAI
semantic-convention attributes, ``llm_calls_total``, ``llm_call_duration_seconds``.

The wrapper sits between the gateway and the adapter, so retries, fallbacks and breakers are
all seen as the individual calls they make.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ..chat.schemas import ChatCompletionRequest
from ..foundation.errors import ProviderError
from ..observability.metrics import LLM_CALL_DURATION, LLM_CALLS
from ..observability.tracing import tracer
from .catalog import Catalog, FakeTarget, ProviderTarget
from .providers import Chunk, Completion, Provider


class InstrumentedProvider:
    def __init__(self, inner: Provider, catalog: Catalog) -> None:
        self.inner = inner
        self.name = inner.name
        # Targets are the catalog's own (frozen) objects: map them back to their names.
        self._names = {id(target): name for name, target in catalog.targets.items()}

    def _target(self, target: FakeTarget | ProviderTarget) -> str:
        return self._names.get(id(target), f"{target.provider}/{target.model}")

    def _start(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest
    ) -> trace.Span:
        span = tracer.start_span(f"chat {target.model}", kind=SpanKind.CLIENT)
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": target.provider,
            "gen_ai.system": target.provider,
            "gen_ai.request.model": target.model,
            "gen_ai.request.max_tokens": request.token_limit,
            "gen_ai.request.temperature": request.temperature,
            "gen_ai.request.top_p": request.top_p,
        }
        span.set_attributes({key: value for key, value in attributes.items() if value is not None})
        return span

    def _finish(
        self,
        span: trace.Span,
        target: FakeTarget | ProviderTarget,
        started: float,
        outcome: str,
        usage: tuple[int, int] | None = None,
        finish_reason: str | None = None,
    ) -> None:
        name = self._target(target)
        LLM_CALLS.labels(target=name, provider=target.provider, outcome=outcome).inc()
        LLM_CALL_DURATION.labels(target=name, provider=target.provider).observe(
            time.monotonic() - started
        )
        if outcome == "ok":
            span.set_attribute("gen_ai.response.model", target.model)
        else:
            span.set_attribute("error.type", outcome)
            span.set_status(Status(StatusCode.ERROR, outcome))
        if usage is not None:
            span.set_attribute("gen_ai.usage.input_tokens", usage[0])
            span.set_attribute("gen_ai.usage.output_tokens", usage[1])
        if finish_reason is not None:
            span.set_attribute("gen_ai.response.finish_reasons", [finish_reason])
        span.end()

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> Completion:
        span = self._start(target, request)
        started = time.monotonic()
        try:
            with trace.use_span(span, end_on_exit=False):
                completion = await self.inner.complete(target, request, time_left)
        except ProviderError as exc:
            self._finish(span, target, started, exc.kind)
            raise
        usage = (completion.usage.prompt, completion.usage.completion)
        self._finish(span, target, started, "ok", usage, completion.finish_reason)
        return completion

    async def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> AsyncIterator[Chunk]:
        # Spans are not made current across yields: the consumer runs between them.
        span = self._start(target, request)
        started = time.monotonic()
        usage = [0, 0]
        finish_reason: str | None = None
        outcome = "cancelled"
        try:
            async for chunk in self.inner.stream(target, request, time_left):
                if chunk.usage is not None:
                    usage = [chunk.usage.prompt, chunk.usage.completion]
                finish_reason = chunk.finish_reason or finish_reason
                yield chunk
            outcome = "ok"
        except ProviderError as exc:
            outcome = exc.kind
            raise
        finally:
            self._finish(span, target, started, outcome, (usage[0], usage[1]), finish_reason)

    async def aclose(self) -> None:
        await self.inner.aclose()


def instrument(providers: dict[str, Provider], catalog: Catalog) -> dict[str, Provider]:
    return {name: InstrumentedProvider(provider, catalog) for name, provider in providers.items()}
