"""One exception hierarchy, and how each error becomes an HTTP response.

Under ``/v1`` errors use OpenAI's envelope so SDK clients raise the matching exception;
every other route answers with RFC 9457 ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

OPENAI_PREFIX = "/v1"


class AppError(Exception):
    """Root of every error this service raises on purpose."""


class ConfigError(AppError):
    """The service cannot start with this configuration; the message says what to set."""


#: Failures worth another attempt (same target after a backoff, or the next target);
#: ``circuit_open`` is the gateway's own breaker refusing a call.
RETRYABLE_KINDS = frozenset(
    {"timeout", "rate_limited", "server_error", "connection", "bad_response", "circuit_open"}
)


class ProviderError(AppError):
    """One provider call failed.

    ``kind`` is one of: timeout, rate_limited, server_error, connection, bad_response (all
    retryable: the gateway retries and falls back), client_error or content_filter (the
    request itself was refused: retrying or falling back would not help).
    """

    def __init__(
        self, provider: str, kind: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{provider}: {kind}: {message}")
        self.provider = provider
        self.kind = kind
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS


class ApiError(AppError):
    """An error answered to the client, with its HTTP status and OpenAI type and code."""

    status_code = 500
    type = "api_error"
    code = "internal_error"

    def __init__(
        self, message: str, *, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = headers or {}


class InvalidRequestError(ApiError):
    status_code = 400
    type = "invalid_request_error"
    code = "invalid_request"


class ModelNotFoundError(InvalidRequestError):
    status_code = 404
    code = "model_not_found"


class UpstreamRejectedError(InvalidRequestError):
    """The provider refused the request itself (a 4xx or a content filter): no fallback."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidModelOutputError(ApiError):
    """The answer did not match the requested ``response_format``, even after one repair."""

    status_code = 422
    code = "invalid_model_output"


class AuthenticationError(ApiError):
    """Missing or bad credentials. ``reason`` goes to the log, never to the client."""

    status_code = 401
    type = "invalid_request_error"
    code = "invalid_api_key"

    def __init__(self, reason: str) -> None:
        super().__init__(
            "Invalid credentials: send `Authorization: Bearer <API key or token>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
        self.reason = reason


class PermissionDeniedError(ApiError):
    status_code = 403
    type = "invalid_request_error"
    code = "permission_denied"


class NotFoundError(ApiError):
    status_code = 404
    type = "invalid_request_error"
    code = "not_found"


class AuditUnavailableError(ApiError):
    """The audit record could not be written, so the request does not succeed."""

    status_code = 503
    code = "audit_unavailable"


class UpstreamUnavailableError(ApiError):
    status_code = 503
    code = "upstream_unavailable"


def openai_error(
    status_code: int, message: str, *, type_: str, code: str, param: str | None = None
) -> JSONResponse:
    """Return OpenAI's error envelope."""
    error = {"message": message, "type": type_, "code": code, "param": param}
    return JSONResponse({"error": error}, status_code=status_code)


def problem(request: Request, status_code: int, detail: str, **extra: Any) -> JSONResponse:
    """Return an RFC 9457 problem document."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status_code, media_type="application/problem+json")


def error_response(request: Request, status_code: int, message: str) -> JSONResponse:
    """Render a plain HTTP error in the envelope the route's clients expect."""
    if request.url.path.startswith(OPENAI_PREFIX):
        code = HTTPStatus(status_code).phrase.lower().replace(" ", "_")
        type_ = "invalid_request_error" if status_code < 500 else "api_error"
        return openai_error(status_code, message, type_=type_, code=code)
    return problem(request, status_code, message)


def _param(loc: tuple[int | str, ...]) -> str:
    """``messages.0.content`` from pydantic's location, without the request part it came in
    and the names of union members (``function-after[...]``, ``list[TextPart]``)."""
    parts = [
        str(part)
        for part in loc
        if part not in ("body", "query", "path", "header") and "[" not in str(part)
    ]
    return ".".join(parts)


def _most_telling(errors: Sequence[Any]) -> Any:
    """The error to report: for a value of a union type (``stop``: a string or a list), the
    member that failed for a reason other than its type, when there is one."""
    return next((e for e in errors if not str(e["type"]).endswith("_type")), errors[0])


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(ApiError, exc)
    if request.url.path.startswith(OPENAI_PREFIX):
        response = openai_error(
            error.status_code, error.message, type_=error.type, code=error.code, param=error.param
        )
    else:
        response = problem(request, error.status_code, error.message, code=error.code)
    response.headers.update(error.headers)
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    errors = cast(RequestValidationError, exc).errors()
    if request.url.path.startswith(OPENAI_PREFIX):
        first = _most_telling(errors) if errors else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":  # its location is a character offset
            first = {"loc": (), "msg": f"The body is not valid JSON: {first['msg']}"}
        param = _param(tuple(first["loc"])) or None
        message = f"{param}: {first['msg']}" if param else str(first["msg"])
        return openai_error(
            400, message, type_="invalid_request_error", code="invalid_request", param=param
        )
    details = [{"param": _param(tuple(e["loc"])), "message": e["msg"]} for e in errors]
    return problem(request, 422, "The request is invalid.", errors=details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(StarletteHTTPException, exc)
    response = error_response(request, error.status_code, str(error.detail))
    response.headers.update(error.headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; unexpected exceptions are rendered by the request middleware."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
