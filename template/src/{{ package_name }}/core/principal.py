"""Who is calling: the principal every pipeline stage scopes its work to.

Authentication sets ``request.state.principal``; until a request carries one, it runs as the
anonymous principal of the default tenant. Outside production the anonymous principal may use
the admin API, so budgets and usage can be managed locally; production grants it nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from .settings import Settings

DEFAULT_TENANT = "default"
ANONYMOUS_USER = "anonymous"


@dataclass(frozen=True)
class Principal:
    tenant: str
    user: str
    # The id (never the secret) of the API key used, when the caller presented one.
    key_id: str | None = None
    roles: frozenset[str] = frozenset()


ANONYMOUS = Principal(tenant=DEFAULT_TENANT, user=ANONYMOUS_USER)


def anonymous(settings: Settings) -> Principal:
    if settings.is_production:
        return ANONYMOUS
    return Principal(tenant=DEFAULT_TENANT, user=ANONYMOUS_USER, roles=frozenset({"admin"}))


def principal_of(request: Request) -> Principal:
    """The principal authentication attached to the request, else the anonymous one."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    return anonymous(request.app.state.services.settings)
