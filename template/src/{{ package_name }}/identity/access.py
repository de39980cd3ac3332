"""Access, pipeline stage 2: what the caller may do, and which rows it may touch.

* RBAC: ``config/rbac.yaml`` maps roles to permissions; every route declares the permission it
  needs with ``require("...")``, which authenticates the caller (``auth.py``) and answers 403
  ``permission_denied`` when no role of the caller grants it.
* Tenancy: ``TenantScope`` is the one data-access layer for tenant-owned rows. Every query it
  builds is filtered to the caller's tenant, rows it adds get that tenant whatever the client
  sent, and another tenant's ids read as not found. ``tenant_session`` also sets
  ``app.tenant_id`` on PostgreSQL, where row-level security policies are a second wall.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import structlog
import yaml
from fastapi import Depends, Request
from sqlalchemy import CursorResult, Engine, Select, delete, event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction
from starlette.concurrency import run_in_threadpool

from ..foundation.errors import AuthenticationError, ConfigError, PermissionDeniedError
from ..foundation.orm import TenantOwned
from ..observability.logging import get_logger
from .principal import Principal

log = get_logger(__name__)

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
Row = TypeVar("Row", bound=TenantOwned)


# ---------------------------------------------------------------------------------------------
# RBAC
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rbac:
    roles: Mapping[str, frozenset[str]]

    def allows(self, roles: frozenset[str], permission: str) -> bool:
        return any(permission in self.roles.get(role, frozenset()) for role in roles)


def load_rbac(path: Path) -> Rbac:
    """Read and check the roles file; errors name the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror}); set RBAC_FILE") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    roles = data.get("roles") if isinstance(data, dict) else None
    if not isinstance(roles, dict) or not roles:
        raise ConfigError(f"{path}: roles: expected a mapping of role name -> permissions")
    parsed: dict[str, frozenset[str]] = {}
    for role, permissions in roles.items():
        if not isinstance(role, str) or not NAME.match(role):
            raise ConfigError(f"{path}: roles: {role!r} is not a valid role name")
        if not isinstance(permissions, list) or not all(
            isinstance(p, str) and NAME.match(p) for p in permissions
        ):
            raise ConfigError(f"{path}: roles.{role}: expected a list of permission names")
        parsed[role] = frozenset(permissions)
    return Rbac(parsed)


class Authenticates(Protocol):
    """``auth.Authenticator``, or a stand-in in tests."""

    def authenticate(self, authorization: str | None) -> Principal: ...


@dataclass(frozen=True)
class Access:
    """What ``require`` needs, built once by the composition root (``services.py``)."""

    authenticator: Authenticates
    rbac: Rbac


class Permission:
    """The dependency ``require`` returns; ``name`` is the permission the route needs."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, request: Request) -> Principal:
        access: Access = request.app.state.services.access
        header = request.headers.get("authorization")
        try:
            principal = await run_in_threadpool(access.authenticator.authenticate, header)
        except AuthenticationError as exc:
            # The reason says what was wrong; the credential itself is never logged.
            log.warning("auth.rejected", reason=exc.reason, path=request.url.path)
            raise
        structlog.contextvars.bind_contextvars(tenant=principal.tenant, principal=principal.actor)
        if not access.rbac.allows(principal.roles, self.name):
            log.warning("access.denied", permission=self.name, roles=sorted(principal.roles))
            raise PermissionDeniedError(f"This credential lacks the {self.name!r} permission.")
        request.state.principal = principal
        return principal


def require(permission: str) -> Any:
    """``principal: Annotated[Principal, require("chat:create")]`` on every protected route."""
    return Depends(Permission(permission))


# ---------------------------------------------------------------------------------------------
# Tenancy
# ---------------------------------------------------------------------------------------------


def tenant_session(engine: Engine, tenant_id: str) -> Session:
    """A session whose every transaction runs as ``tenant_id`` for PostgreSQL's RLS policies.

    Rows stay readable after commit, so a caller can answer with what it just wrote.
    """
    session = Session(engine, expire_on_commit=False)
    if engine.dialect.name == "postgresql":

        @event.listens_for(session, "after_begin")
        def _set_tenant(_s: Session, _t: SessionTransaction, connection: Connection) -> None:
            connection.execute(
                text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": tenant_id}
            )

    return session


@dataclass(frozen=True)
class TenantScope:
    """The caller's tenant: every read, write and delete of tenant-owned rows goes through it."""

    tenant_id: str

    def select(self, model: type[Row]) -> Select[Any]:
        return select(model).where(model.tenant_id == self.tenant_id)

    def get(self, session: Session, model: type[Row], row_id: int) -> Row | None:
        """The row, or None when it does not exist or belongs to another tenant."""
        row = session.scalars(self.select(model).where(model.id == row_id)).one_or_none()
        return cast(Row | None, row)

    def add(self, session: Session, row: Row) -> Row:
        """Add a row owned by this tenant (a tenant id set by anyone else is overwritten)."""
        row.tenant_id = self.tenant_id
        session.add(row)
        return row

    def delete(self, session: Session, model: type[Row], row_id: int) -> bool:
        """Delete the tenant's row; False when it does not exist or belongs to another tenant."""
        statement = delete(model).where(model.id == row_id, model.tenant_id == self.tenant_id)
        return bool(cast(CursorResult[Any], session.execute(statement)).rowcount)


def rls_bypassed(engine: Engine) -> bool:
    """True when the database role skips row-level security (a superuser or BYPASSRLS)."""
    if engine.dialect.name != "postgresql":
        return False
    query = text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar())


def own_tenant(principal: Principal, tenant: str | None) -> str:
    """The caller's tenant; naming another one is refused (tenant admins see their own)."""
    if tenant is not None and tenant != principal.tenant:
        raise PermissionDeniedError("Admins manage their own tenant only.")
    return principal.tenant
