"""Output guardrails: the answer matches the ``response_format`` the client asked for.

``json_object`` needs a JSON object; ``json_schema`` a JSON document valid against the schema.
A non-matching answer gets one repair attempt (the model sees its answer and what is wrong with
it); a second miss is an ``invalid_model_output`` error. Streamed answers are passed through
unchecked: their bytes are with the client before the answer is complete.
"""

from __future__ import annotations

import json
from typing import Any

from ..chat.schemas import ChatCompletionRequest, ChatMessage
from ..gateway.providers import Completion
from . import schema


def check_schema(request: ChatCompletionRequest) -> None:
    """Refuse a ``response_format`` or tool schema the service cannot check safely."""
    if request.output_schema is not None:
        schema.vet(request.output_schema, "response_format.json_schema.schema")
    for index, tool in enumerate(request.tools or ()):
        schema.vet(tool.function.parameters, f"tools.{index}.function.parameters")


def problem(request: ChatCompletionRequest, completion: Completion) -> str | None:
    """What is wrong with the answer's format, or None when it is what was asked for."""
    if request.response_format is None or request.response_format.type == "text":
        return None
    if completion.tool_calls or completion.finish_reason == "content_filter":
        return None
    try:
        document: Any = json.loads(completion.content)
    except json.JSONDecodeError as exc:
        return f"the answer is not valid JSON ({exc.msg} at position {exc.pos})"
    except RecursionError:
        return "the answer is nested too deeply"
    output_schema = request.output_schema
    if output_schema is None:
        return None if isinstance(document, dict) else "the answer is not a JSON object"
    return schema.first_error(output_schema, document)


def repair_request(
    request: ChatCompletionRequest, completion: Completion, issue: str
) -> ChatCompletionRequest:
    """The same request, followed by the bad answer and what to fix."""
    instruction = (
        f"Your answer does not match the required format: {issue}. "
        "Reply again with only the corrected JSON, nothing else."
    )
    messages = [
        *request.messages,
        ChatMessage(role="assistant", content=completion.content),
        ChatMessage(role="user", content=instruction),
    ]
    return request.model_copy(update={"messages": messages})
