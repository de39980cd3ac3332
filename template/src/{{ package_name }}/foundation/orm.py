"""The declarative base every table derives from, and the mixin of tenant-owned tables.

Each capability declares its own tables (``chat/models.py``, ``spend/models.py``,
``identity/models.py``, ``audit/models.py``); Alembic migrations create them.
"""

from __future__ import annotations

from sqlalchemy import Integer, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TenantOwned:
    """Mixin of every table whose rows belong to one tenant."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128), index=True)


# USD amounts: exact decimals to the nano-dollar (a short prompt on a cheap model costs less
# than a micro-dollar).
Usd = Numeric(18, 9)
