"""The OpenAI Chat Completions wire format: what clients send and what they get back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..foundation.inputs import (
    Document,
    Int64,
    Label,
    RequiredLabel,
    Text,
    TokenCount,
)

#: What OpenAI allows for function and response-format names.
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: OpenAI's limits on tools and stop sequences per request.
MAX_TOOLS = 128
MAX_STOP = 4


class TextPart(BaseModel):
    type: Literal["text"]
    text: Text


class FunctionCall(BaseModel):
    name: Label
    # A JSON document, as a string: exactly what the model produced.
    arguments: Text


class ToolCall(BaseModel):
    id: Label
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[TextPart] | None = None
    name: Label | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: Label | None = None

    @property
    def text(self) -> str:
        """The message's text, with content parts joined."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class FunctionDefinition(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    description: Text | None = None
    parameters: Document = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


class Tool(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class JsonSchemaFormat(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    # `schema` is a BaseModel attribute, hence the alias.
    json_schema: Document = Field(default_factory=dict, alias="schema")
    description: Text | None = None
    strict: bool | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ResponseFormat(BaseModel):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class StreamOptions(BaseModel):
    include_usage: bool = False


class PromptRef(BaseModel):
    """Which versioned prompt to apply (``prompts/``); flags pick the version when unset."""

    model_config = ConfigDict(extra="forbid")

    name: RequiredLabel
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    variables: Document = Field(default_factory=dict)


class ChatCompletionRequest(BaseModel):
    # Unknown OpenAI parameters are ignored rather than refused, as OpenAI-compatible servers do.
    model_config = ConfigDict(extra="ignore")

    model: RequiredLabel
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: TokenCount | None = None
    max_completion_tokens: TokenCount | None = None
    stop: Text | Annotated[list[Text], Field(max_length=MAX_STOP)] | None = None
    seed: Int64 | None = None
    n: Literal[1] = 1
    stream: bool = False
    stream_options: StreamOptions | None = None
    tools: list[Tool] | None = Field(default=None, max_length=MAX_TOOLS)
    tool_choice: Literal["none", "auto", "required"] | Document | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    user: Label | None = None
    prompt: PromptRef | None = None
    # Not OpenAI's: true caches this answer, false never; unset caches only when temperature=0.
    cache: bool | None = None

    @property
    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def stop_sequences(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    @property
    def output_schema(self) -> dict[str, Any] | None:
        """The JSON schema the answer must match, when ``response_format`` asks for one."""
        if self.response_format is None or self.response_format.json_schema is None:
            return None
        return self.response_format.json_schema.json_schema


class PromptTokensDetails(BaseModel):
    cached_tokens: int = 0


class CompletionTokensDetails(BaseModel):
    reasoning_tokens: int = 0


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails = Field(default_factory=PromptTokensDetails)
    completion_tokens_details: CompletionTokensDetails = Field(
        default_factory=CompletionTokensDetails
    )


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCall] | None = None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


class FunctionCallDelta(BaseModel):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(BaseModel):
    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: FunctionCallDelta


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: str | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
