"""The offline provider: deterministic answers, no network, no key.

It echoes the last user message and counts tokens with a regex tokenizer (words and
punctuation), so tests and ``make dev`` get stable output. A target's ``failure_rate``,
``failure_kind`` and ``latency_ms`` simulate a misbehaving upstream to exercise fallbacks.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator

from ..catalog import FakeTarget, ProviderTarget
from ..errors import ProviderError
from ..schemas import ChatCompletionRequest
from .base import Chunk, Completion

TOKEN = re.compile(r"\w+|[^\w\s]")
FAILURES = {"500": "server_error", "429": "rate_limited"}


def count_tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def _pieces(text: str) -> list[str]:
    """Split text into tokens, each carrying the whitespace before it, so they rejoin exactly."""
    pieces: list[str] = []
    start = 0
    for match in TOKEN.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text) and pieces:
        pieces[-1] += text[start:]
    return pieces


class FakeProvider:
    name = "fake"

    def __init__(self) -> None:
        self._rngs: dict[str, random.Random] = {}

    async def _simulate(self, target: FakeTarget) -> None:
        """Wait the configured latency, then fail as configured."""
        key = target.model_dump_json()
        rng = self._rngs.setdefault(key, random.Random(key))  # noqa: S311 - simulation, not crypto
        fails = target.failure_rate > 0 and rng.random() < target.failure_rate
        latency = target.latency_ms / 1000
        if (fails and target.failure_kind == "timeout") or latency > target.timeout_s:
            await asyncio.sleep(target.timeout_s)
            raise ProviderError(self.name, "timeout", f"no answer within {target.timeout_s}s")
        await asyncio.sleep(latency)
        if fails:
            kind = FAILURES[target.failure_kind]
            raise ProviderError(self.name, kind, f"simulated HTTP {target.failure_kind}")

    def _answer(self, request: ChatCompletionRequest) -> tuple[list[str], int, str]:
        prompt_tokens = sum(count_tokens(message.text) for message in request.messages)
        user_messages = [m for m in request.messages if m.role == "user"]
        pieces = _pieces(user_messages[-1].text) if user_messages else []
        limit = request.token_limit
        if limit is not None and len(pieces) > limit:
            return pieces[:limit], prompt_tokens, "length"
        return pieces, prompt_tokens, "stop"

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest
    ) -> Completion:
        if isinstance(target, FakeTarget):
            await self._simulate(target)
        pieces, prompt_tokens, finish_reason = self._answer(request)
        return Completion("".join(pieces), prompt_tokens, len(pieces), finish_reason)

    async def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest
    ) -> AsyncIterator[Chunk]:
        if isinstance(target, FakeTarget):
            await self._simulate(target)
        pieces, prompt_tokens, finish_reason = self._answer(request)
        for piece in pieces:
            yield Chunk(content=piece)
        yield Chunk(
            finish_reason=finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(pieces),
        )

    async def aclose(self) -> None:
        return None
