"""The offline provider: deterministic answers, no network, no key.

By default it echoes the last user message. A fixtures file (``FAKE_FIXTURES_FILE``) scripts
answers instead: the first reply whose ``match`` regex is found in the last user message wins,
with its content, tool calls or finish reason. Unscripted, it answers as a model following
instructions would: a ``tool_choice`` that requires a tool gets a call to it, and a
``response_format`` a JSON document (valid against its ``json_schema``, or ``{"echo": ...}``
for ``json_object``); tool arguments and documents are built by ``fake_json`` from a hash of
the request, so the same request gets the same answer. Tokens are counted with a regex
tokenizer (words and punctuation). A target's ``failure_rate``, ``failure_kind`` and
``latency_ms`` simulate a misbehaving upstream to exercise retries, fallbacks and breakers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ...chat.schemas import (
    ChatCompletionRequest,
    FunctionCall,
    FunctionCallDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
)
from ...foundation.configfile import invalid, read_yaml
from ...foundation.errors import ProviderError
from ..catalog import FakeTarget, ProviderTarget
from .base import Chunk, Completion, TokenUsage
from .fake_json import instance

TOKEN = re.compile(r"\w+|[^\w\s]")
FAILURES = {"500": "server_error", "429": "rate_limited"}
# A simulated 429 asks the client to wait this long, as real providers do.
RETRY_AFTER_S = 0.1


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


class ScriptedToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class ScriptedReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: str = Field(min_length=1)
    content: str = ""
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    finish_reason: Literal["stop", "length", "content_filter"] | None = None

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class FakeScript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replies: list[ScriptedReply] = Field(default_factory=list)

    def reply_for(self, text: str) -> ScriptedReply | None:
        for reply in self.replies:
            if re.search(reply.match, text, re.IGNORECASE):
                return reply
        return None


def load_fake_script(path: Path) -> FakeScript:
    """Read a fixtures file; raise ConfigError naming the file and the field."""
    data = read_yaml(path, "fixtures file")
    try:
        return FakeScript.model_validate(data)
    except ValidationError as exc:
        raise invalid(path, exc) from exc


def _tool_call(index: int, name: str, arguments: Any) -> ToolCall:
    encoded = json.dumps(arguments)
    digest = hashlib.sha256(f"{index}:{name}:{encoded}".encode()).hexdigest()[:24]
    return ToolCall(id=f"call_{digest}", function=FunctionCall(name=name, arguments=encoded))


def _seed(request: ChatCompletionRequest) -> int:
    """A number derived from the conversation and the requested format. System prompts are left
    out, as they are by the echo: the service's own carries a fresh canary on every request."""
    conversation = [m for m in request.messages if m.role not in ("system", "developer")]
    shown = request.model_copy(update={"messages": conversation})
    fields = {"messages", "tools", "tool_choice", "response_format"}
    digest = hashlib.sha256(shown.model_dump_json(include=fields).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _required_tool(request: ChatCompletionRequest) -> Tool | None:
    """The tool the request makes the model call, if ``tool_choice`` requires one."""
    if not request.tools:
        return None
    choice = request.tool_choice
    if choice == "required":
        return request.tools[0]
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        return next((tool for tool in request.tools if tool.function.name == name), None)
    return None


def _document(request: ChatCompletionRequest, last: str) -> str | None:
    """The JSON answer ``response_format`` asks for; None for plain text."""
    if request.response_format is None or request.response_format.type == "text":
        return None
    schema = request.output_schema
    if schema is None:
        return json.dumps({"echo": last})
    return json.dumps(instance(schema, _seed(request)))


class FakeProvider:
    name = "fake"

    def __init__(self, script: FakeScript | None = None) -> None:
        self.script = script or FakeScript()
        self._rngs: dict[str, random.Random] = {}

    def _rng(self, target: FakeTarget) -> random.Random:
        """One seeded generator per target, so a failure pattern repeats run after run."""
        key = target.model_dump_json()
        rng = self._rngs.get(key)
        if rng is None:
            rng = self._rngs[key] = random.Random(key)  # noqa: S311 - simulation, not crypto
        return rng

    async def _simulate(self, target: FakeTarget, time_left: float) -> None:
        """Wait the configured latency, then fail as configured."""
        fails = target.failure_rate > 0 and self._rng(target).random() < target.failure_rate
        latency = target.latency_ms / 1000
        if (fails and target.failure_kind == "timeout") or latency > time_left:
            await asyncio.sleep(time_left)
            raise ProviderError(self.name, "timeout", f"no answer within {time_left:.2f}s")
        if latency:
            await asyncio.sleep(latency)
        if fails:
            kind = FAILURES[target.failure_kind]
            retry_after = RETRY_AFTER_S if target.failure_kind == "429" else None
            raise ProviderError(
                self.name, kind, f"simulated HTTP {target.failure_kind}", retry_after=retry_after
            )

    def _answer(self, request: ChatCompletionRequest) -> tuple[Completion, list[str]]:
        """The completion, and its content split into streamable pieces."""
        prompt_tokens = sum(count_tokens(message.text) for message in request.messages)
        user_messages = [m for m in request.messages if m.role == "user"]
        last = user_messages[-1].text if user_messages else ""
        reply = self.script.reply_for(last)
        tool_calls: tuple[ToolCall, ...] = ()
        if reply is not None:
            text = reply.content
            if request.tools:
                tool_calls = tuple(
                    _tool_call(i, call.name, call.arguments)
                    for i, call in enumerate(reply.tool_calls)
                )
        elif (tool := _required_tool(request)) is not None:
            arguments = instance(tool.function.parameters, _seed(request))
            text, tool_calls = "", (_tool_call(0, tool.function.name, arguments),)
        else:
            document = _document(request, last)
            text = last if document is None else document
        pieces = _pieces(text)
        finish_reason = "stop"
        limit = request.token_limit
        if limit is not None and len(pieces) > limit:
            pieces, finish_reason = pieces[:limit], "length"
        if tool_calls:
            finish_reason = "tool_calls"
        if reply is not None and reply.finish_reason is not None:
            finish_reason = reply.finish_reason
        completion_tokens = len(pieces) + sum(
            count_tokens(call.function.arguments) for call in tool_calls
        )
        usage = TokenUsage(prompt=prompt_tokens, completion=completion_tokens)
        return Completion("".join(pieces), usage, finish_reason, tool_calls), pieces

    async def complete(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> Completion:
        if isinstance(target, FakeTarget):
            await self._simulate(target, time_left)
        completion, _ = self._answer(request)
        return completion

    async def stream(
        self, target: FakeTarget | ProviderTarget, request: ChatCompletionRequest, time_left: float
    ) -> AsyncIterator[Chunk]:
        if isinstance(target, FakeTarget):
            await self._simulate(target, time_left)
        completion, pieces = self._answer(request)
        for piece in pieces:
            yield Chunk(content=piece)
        for index, call in enumerate(completion.tool_calls):
            function = FunctionCallDelta(name=call.function.name, arguments=call.function.arguments)
            delta = ToolCallDelta(index=index, id=call.id, type="function", function=function)
            yield Chunk(tool_calls=(delta,))
        yield Chunk(finish_reason=completion.finish_reason, usage=completion.usage)

    async def aclose(self) -> None:
        return None
