"""The team's own HTTP routes, served beside the platform's (``copier update`` never rewrites
this file).

Add endpoints to ``router``; the app factory includes it. Reach the platform through the
``ServicesDep`` dependency (``services.py``: settings, database engine, gateway, ...), for
example to run a chat completion through the same pipeline as ``/v1/chat/completions`` with
``chat.pipeline.chat_completion``.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
