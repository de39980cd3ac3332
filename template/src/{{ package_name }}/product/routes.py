"""The team's own HTTP routes, served beside the platform's (``copier update`` never rewrites
this file).

Add endpoints to ``router``; the app factory includes it. Reach the platform through
``request.app.state.services`` (settings, database engine, gateway), for example to run a
chat completion through the same pipeline as ``/v1/chat/completions``.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
