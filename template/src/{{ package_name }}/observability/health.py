"""Health: ``/healthz`` says the process is alive, ``/readyz`` that it can serve traffic.

``/readyz`` also says what this process serves (``release``): the service version and git
revision the image was built from, and the model routing it loaded, so a running pod can be
matched to a release and to the image labels (see docs/deployment.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ..foundation.database import pending_migrations
from ..foundation.settings import Settings
from ..gateway.catalog import TIERS, Catalog
from ..gateway.router import Gateway

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def release_info(settings: Settings, catalog: Catalog) -> dict[str, Any]:
    """The service version and the exact model routing this process serves."""
    models_file = settings.resolved_models_file
    return {
        "version": settings.service_version,
        "revision": settings.service_revision,
        "models_file": str(models_file),
        # The same digest the image carries in its `service.models.sha256` label.
        "models_sha256": hashlib.sha256(models_file.read_bytes()).hexdigest(),
        "tiers": {
            tier: [
                f"{catalog.targets[name].provider}/{catalog.targets[name].model}"
                for name in catalog.tier(tier)
            ]
            for tier in TIERS
        },
    }


def provider_check(gateway: Gateway) -> dict[str, Any]:
    """Each target's circuit breaker; not ready while some tier has every breaker open."""
    states = gateway.breaker_states()
    dead_tiers = [
        tier for tier in TIERS if all(states[name] == "open" for name in gateway.catalog.tier(tier))
    ]
    targets = {
        name: {"provider": target.provider, "model": target.model, "breaker": states[name]}
        for name, target in gateway.catalog.targets.items()
    }
    return {"ok": not dead_tiers, "unavailable_tiers": dead_tiers, "targets": targets}


def readiness(engine: Engine, gateway: Gateway | None = None) -> dict[str, Any]:
    """Check the database answers and has every migration applied, and the providers' breakers."""
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
    if gateway is not None:
        checks["providers"] = provider_check(gateway)
    ready = all(check["ok"] for check in checks.values())
    return {"status": "ready" if ready else "not_ready", "checks": checks}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    services = request.app.state.services
    report = readiness(services.engine, services.gateway)
    report["release"] = request.app.state.release
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)
