"""Who is calling: the principal every pipeline stage scopes its work to.

Authentication (``auth.py``, run by each route's ``access.require``) sets
``request.state.principal``. The anonymous principal of the default tenant is what in-process
callers without a request (tests, scripts) run as; HTTP routes never see it, because every
route but the health checks and metrics needs a credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_TENANT = "default"
ANONYMOUS_USER = "anonymous"


@dataclass(frozen=True)
class Principal:
    tenant: str
    user: str
    # The id (never the secret) of the API key used, when the caller presented one.
    key_id: str | None = None
    roles: frozenset[str] = frozenset()
    # How the caller proved who it is; ``system``: the service itself (evals, the red team).
    method: Literal["anonymous", "api_key", "oidc", "dev", "system"] = "anonymous"

    @property
    def actor(self) -> str:
        """How audit records name the caller: ``api_key:sk-1a2b3c4d``, ``oidc:<sub>``, ..."""
        return f"{self.method}:{self.key_id or self.user}"


ANONYMOUS = Principal(tenant=DEFAULT_TENANT, user=ANONYMOUS_USER)


def system_principal(name: str) -> Principal:
    """The service acting on its own behalf (evals, the red team): audited as ``system:<name>``."""
    return Principal(tenant=DEFAULT_TENANT, user=name, method="system")
