"""The service's own description, an operator route: ``/openapi.json``, ``/docs``, ``/redoc``.

Open outside production; in production a credential whose role grants ``operator:read``
(``identity.access.require_operator``), like ``/metrics``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from ..identity.access import require_operator

OPENAPI_URL = "/openapi.json"

router = APIRouter(include_in_schema=False, dependencies=[require_operator()])


@router.get(OPENAPI_URL)
def openapi(request: Request) -> dict[str, Any]:
    return request.app.openapi()  # type: ignore[no-any-return]


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=request.app.title)


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=OPENAPI_URL, title=request.app.title)
