"""The team's own HTTP routes, served beside the platform's (``copier update`` never rewrites
this file).

Add endpoints to ``router``; the app factory includes it. Deny by default: every route here
needs a credential (``Authorization: Bearer ...``); add ``require("permission")`` for a role
check, or mark a route that must be open with ``@public`` under its ``@router.get(...)``::

    @router.get("/status")
    @public
    def status() -> dict[str, str]: ...

Reach the platform through the ``ServicesDep`` dependency (``services.py``: settings,
database engine, gateway, ...), for example to answer through the same pipeline as
``/v1/chat/completions`` with ``chat.pipeline.run``.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
