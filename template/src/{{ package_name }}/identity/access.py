"""Access, pipeline stage 2: what the caller may do, and which rows it may touch.

* RBAC: ``config/rbac.yaml`` maps roles to permissions; every route declares the permission it
  needs with ``require("...")``, which authenticates the caller (``auth.py``) and answers 403
  ``permission_denied`` when no role of the caller grants it.
* Tenancy: the one way to touch rows of a tenant-owned table (``foundation.orm.TenantOwned``)::

      scope = TenantScope(principal.tenant)      # the tenant of the authenticated caller
      with scope.session(engine) as session:     # PostgreSQL: the transaction runs as it
          rows = session.scalars(scope.select(Interaction)).all()

  Every query a scope builds is filtered to its tenant (``select``, ``where`` for updates,
  deletes and aggregates), rows it adds get its tenant whatever they said, and another tenant's
  ids read as not found. The session sets ``app.tenant_id`` for each transaction on PostgreSQL,
  where forced row-level security on every tenant-owned table is a second wall: a query that
  forgot its filter still sees only that tenant's rows, and a session with no tenant sees none.
  Operator commands that must see every tenant (``usage`` across tenants, ``audit verify``)
  say so with ``AllTenants("why")``, which PostgreSQL grants only to the owner role.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import structlog
import yaml
from fastapi import Depends, Request
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Engine,
    Select,
    Update,
    delete,
    event,
    inspect,
    select,
    text,
    true,
    update,
)
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


class ForgetsKeys(Protocol):
    """``keys.KeyVerifier``: drops what it remembers of a key revoked or rotated here."""

    def forget(self, prefix: str) -> None: ...


@dataclass(frozen=True)
class Access:
    """What ``require`` needs, built once by the composition root (``services.py``)."""

    authenticator: Authenticates
    rbac: Rbac
    # The API-key verification cache, told about keys this replica revokes or rotates.
    keys: ForgetsKeys | None = None


class Permission:
    """The dependency ``require`` returns; ``name`` is the permission the route needs (None:
    any authenticated caller)."""

    def __init__(self, name: str | None) -> None:
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
        if self.name is not None and not access.rbac.allows(principal.roles, self.name):
            log.warning("access.denied", permission=self.name, roles=sorted(principal.roles))
            raise PermissionDeniedError(f"This credential lacks the {self.name!r} permission.")
        request.state.principal = principal
        return principal


def require(permission: str) -> Any:
    """``principal: Annotated[Principal, require("chat:create")]`` on every protected route."""
    return Depends(Permission(permission))


#: The permission of the operator routes: ``/metrics``, ``/docs``, ``/redoc``, ``/openapi.json``.
OPERATOR_PERMISSION = "operator:read"


class OperatorPermission(Permission):
    """Operator routes are open outside production. In production they need a credential
    whose role grants ``operator:read``; ``/metrics`` also takes METRICS_TOKEN, the scrape
    token Prometheus sends, when it is set."""

    def __init__(self, *, scrape_token: bool = False) -> None:
        super().__init__(OPERATOR_PERMISSION)
        self.scrape_token = scrape_token

    async def __call__(self, request: Request) -> Principal | None:  # type: ignore[override]
        settings = request.app.state.services.settings
        if not settings.is_production:
            return None
        token = settings.metrics_token
        if self.scrape_token and token is not None:
            expected = f"Bearer {token.get_secret_value()}".encode()
            sent = (request.headers.get("authorization") or "").encode()
            if hmac.compare_digest(sent, expected):
                return None
        return await super().__call__(request)


def require_operator(*, scrape_token: bool = False) -> Any:
    """``dependencies=[require_operator()]`` on an operator route."""
    return Depends(OperatorPermission(scrape_token=scrape_token))


_PUBLIC = "__public_route__"


def public(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Open a route of the team's router to callers without a credential (below the
    ``@router.get(...)`` line): every other route there needs one (``authenticated``)."""
    setattr(endpoint, _PUBLIC, True)
    return endpoint


_AUTHENTICATED = Permission(None)


async def authenticated(request: Request) -> None:
    """The team router's dependency (deny by default): the caller must authenticate unless
    the route is marked ``public``. A route that needs a permission adds ``require(...)``."""
    if not getattr(request.scope.get("endpoint"), _PUBLIC, False):
        await _AUTHENTICATED(request)


# ---------------------------------------------------------------------------------------------
# Tenancy
# ---------------------------------------------------------------------------------------------

# The PostgreSQL settings the row-level security policies read (migration 0005). Both are set
# per transaction (``set_config(..., true)``), so a pooled connection never carries one over.
TENANT_SETTING = "app.tenant_id"
ALL_TENANTS_SETTING = "app.all_tenants"
_SET = text("SELECT set_config(:name, :value, true)")
MAX_TENANT_LENGTH = 128


def _is_postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


def _tenant(tenant_id: str) -> str:
    if not tenant_id or len(tenant_id) > MAX_TENANT_LENGTH:
        raise ValueError(f"a tenant id has 1 to {MAX_TENANT_LENGTH} characters, not {tenant_id!r}")
    return tenant_id


def _run_as(connection: Connection, tenant_id: str) -> None:
    """The one statement that sets the tenant a transaction runs as."""
    connection.execute(_SET, {"name": TENANT_SETTING, "value": _tenant(tenant_id)})


def tenant_session(engine: Engine, tenant_id: str) -> Session:
    """A session whose every transaction runs as ``tenant_id`` for PostgreSQL's RLS policies.

    ``tenant_id`` is the authenticated principal's tenant, never one a client sent. Rows stay
    readable after commit, so a caller can answer with what it just wrote.
    """
    _tenant(tenant_id)
    session = Session(engine, expire_on_commit=False)
    if _is_postgres(engine):

        @event.listens_for(session, "after_begin")
        def _set_tenant(_s: Session, _t: SessionTransaction, connection: Connection) -> None:
            _run_as(connection, tenant_id)

    return session


def set_tenant(session: Session, tenant_id: str) -> None:
    """Run the rest of the session's transaction as ``tenant_id`` (PostgreSQL's RLS policies).

    For writers that commit several tenants' rows in one transaction (the group-commit writer);
    elsewhere a no-op.
    """
    connection = session.connection()
    if _is_postgres(connection):
        _run_as(connection, tenant_id)


@dataclass(frozen=True)
class TenantScope:
    """The caller's tenant: every read, write and delete of tenant-owned rows goes through it."""

    tenant_id: str

    def session(self, engine: Engine) -> Session:
        """A session running as this tenant (``tenant_session``)."""
        return tenant_session(engine, self.tenant_id)

    def where(self, model: type[TenantOwned]) -> ColumnElement[bool]:
        """The filter to this tenant's rows, for updates, deletes and aggregates."""
        return model.tenant_id == self.tenant_id

    def select(self, model: type[Row]) -> Select[Row]:
        return select(model).where(self.where(model))

    def update(self, model: type[TenantOwned]) -> Update:
        return update(model).where(self.where(model))

    def delete_where(self, model: type[TenantOwned]) -> Delete:
        return delete(model).where(self.where(model))

    def get(self, session: Session, model: type[Row], row_id: Any) -> Row | None:
        """The row, or None when it does not exist or belongs to another tenant."""
        key = _primary_key(model) == row_id
        return session.scalars(self.select(model).where(key)).one_or_none()

    def add(self, session: Session, row: Row) -> Row:
        """Add a row owned by this tenant (a tenant id set by anyone else is overwritten)."""
        row.tenant_id = self.tenant_id
        session.add(row)
        return row

    def delete(self, session: Session, model: type[Row], row_id: Any) -> bool:
        """Delete the tenant's row; False when it does not exist or belongs to another tenant."""
        statement = self.delete_where(model).where(_primary_key(model) == row_id)
        return bool(cast(CursorResult[Any], session.execute(statement)).rowcount)


def _primary_key(model: type[TenantOwned]) -> ColumnElement[Any]:
    (column,) = inspect(model).primary_key
    return cast(ColumnElement[Any], column)


@dataclass(frozen=True)
class AllTenants:
    """The operator's path across tenants (``usage`` of every tenant, ``audit verify``, key
    listings): no tenant filter, and on PostgreSQL ``app.all_tenants`` instead of a tenant.

    Only the role that ran the migrations (the owner, ``MIGRATION_DATABASE_URL``) may use it:
    its policy names that role, so the service role sees nothing here; ``session`` refuses
    such a role instead of returning an empty answer. ``purpose`` is logged with each session.
    """

    purpose: str

    def session(self, engine: Engine) -> Session:
        log.info("tenancy.all_tenants", purpose=self.purpose)
        session = Session(engine, expire_on_commit=False)
        if _is_postgres(engine):

            @event.listens_for(session, "after_begin")
            def _all_tenants(_s: Session, _t: SessionTransaction, connection: Connection) -> None:
                connection.execute(_SET, {"name": ALL_TENANTS_SETTING, "value": "on"})
                if not connection.execute(_OPERATOR).scalar():
                    raise ConfigError(
                        f"{self.purpose} reads every tenant, which only the owner role may do; "
                        "connect as the role that runs the migrations (MIGRATION_DATABASE_URL), "
                        "not as the service role"
                    )

        return session

    def where(self, model: type[TenantOwned]) -> ColumnElement[bool]:
        return true()

    def select(self, model: type[Row]) -> Select[Row]:
        return select(model)

    def update(self, model: type[TenantOwned]) -> Update:
        return update(model)

    def delete_where(self, model: type[TenantOwned]) -> Delete:
        return delete(model)


# Within one tenant, or (operators only) across all of them.
Tenancy = TenantScope | AllTenants


def within(tenant: str | None, purpose: str) -> Tenancy:
    """For operator commands: one tenant when the operator names it, else every tenant."""
    return TenantScope(tenant) if tenant is not None else AllTenants(purpose)


# May this role read across tenants: it bypasses RLS, or the operator policies name it.
_OPERATOR = text(
    "SELECT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)"
    " OR EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'all_tenants'"
    " AND schemaname = current_schema() AND current_user = ANY (roles))"
)


def rls_bypassed(engine: Engine) -> bool:
    """True when the database role skips row-level security (a superuser or BYPASSRLS)."""
    if not _is_postgres(engine):
        return False
    query = text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar())


def owned_tables(engine: Engine) -> list[str]:
    """The tables of the current schema the database role owns (or may act as the owner of)."""
    if not _is_postgres(engine):
        return []
    query = text(
        "SELECT c.relname FROM pg_class c"
        " WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace"
        " AND pg_has_role(current_user, c.relowner, 'MEMBER') ORDER BY c.relname"
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def service_role_problem(engine: Engine) -> str | None:
    """Why row-level security would not hold for this (service) role; None when it does.

    A superuser or BYPASSRLS role skips the policies; an owner of the tables can switch them
    off (``ALTER TABLE ... DISABLE ROW LEVEL SECURITY``, ``DROP POLICY``). Production refuses
    both: the service connects as a role that owns nothing and has only DML grants.
    """
    if rls_bypassed(engine):
        return (
            "the database role of DATABASE_URL is a superuser or has BYPASSRLS, so row-level "
            "security would not isolate tenants; connect as the service role, which `migrate` "
            "grants DML to (docs/deployment.md)"
        )
    owned = owned_tables(engine)
    if owned:
        return (
            f"the database role of DATABASE_URL owns tables ({', '.join(owned)}), so it could "
            "switch row-level security off; run `migrate` as the owner role "
            "(MIGRATION_DATABASE_URL) and connect the service as a role that owns nothing"
        )
    return None


def own_tenant(principal: Principal, tenant: str | None) -> str:
    """The caller's tenant; naming another one is refused (tenant admins see their own)."""
    if tenant is not None and tenant != principal.tenant:
        raise PermissionDeniedError("Admins manage their own tenant only.")
    return principal.tenant
