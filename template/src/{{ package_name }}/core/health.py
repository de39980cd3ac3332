"""Health: ``/healthz`` says the process is alive, ``/readyz`` that it can serve traffic."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from .database import pending_migrations

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def readiness(engine: Engine) -> dict[str, Any]:
    """Check the database answers and has every migration applied."""
    checks: dict[str, Any] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
        pending = pending_migrations(engine)
        checks["migrations"] = {"ok": not pending, "pending": pending}
    except SQLAlchemyError as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        checks["migrations"] = {"ok": False, "pending": None}
    ready = all(check["ok"] for check in checks.values())
    return {"status": "ready" if ready else "not_ready", "checks": checks}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    report = readiness(request.app.state.services.engine)
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)
