"""Output guardrails: the answer matches the ``response_format`` the client asked for.

``json_object`` needs a JSON object; ``json_schema`` a JSON document valid against the schema.
A non-matching answer gets one repair attempt (the model sees its answer and what is wrong with
it); a second miss is an ``invalid_model_output`` error. Streamed answers are passed through
unchecked: their bytes are with the client before the answer is complete.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..chat.schemas import ChatCompletionRequest, ChatMessage
from ..foundation.errors import InvalidRequestError
from ..gateway.providers import Completion


def check_schema(request: ChatCompletionRequest) -> None:
    """Refuse a ``response_format`` schema that is not a valid JSON schema, before any call."""
    schema = request.output_schema
    if schema is None:
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidRequestError(
            f"response_format.json_schema.schema is not a valid JSON schema: {exc.message}",
            param="response_format.json_schema.schema",
        ) from exc


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
    schema = request.output_schema
    if schema is None:
        return None if isinstance(document, dict) else "the answer is not a JSON object"
    error = next(iter(Draft202012Validator(schema).iter_errors(document)), None)
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"at {where}: {error.message}"


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
