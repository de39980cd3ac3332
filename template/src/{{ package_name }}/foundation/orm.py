"""The declarative base every table derives from, and the mixin of tenant-owned tables.

Each capability declares its own tables (``chat/models.py``, ``spend/models.py``,
``identity/models.py``, ``audit/models.py``); Alembic migrations create them.
"""

from __future__ import annotations

from sqlalchemy import Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TenantOwned:
    """Mixin of every table whose rows belong to one tenant: the ``tenant_id`` column.

    Rows of these tables are read and written through the tenancy layer only
    (``identity/access.py``: ``TenantScope`` inside ``tenant_session``, or the operator's
    ``AllTenants``). On PostgreSQL each of them has forced row-level security on ``tenant_id``
    (migration 0005); ``tests/foundation/test_migrations.py`` fails when a table with this
    mixin lacks it.
    """

    tenant_id: Mapped[str] = mapped_column(String(128), index=True)


# USD amounts: exact decimals to the nano-dollar (a short prompt on a cheap model costs less
# than a micro-dollar).
Usd = Numeric(18, 9)
