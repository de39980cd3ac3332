"""The spend capability's tables: the cost ledger, budgets and their counters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..foundation.orm import Base, TenantOwned, Usd


class LedgerEntry(TenantOwned, Base):
    """The cost ledger: one row per chat request, who it was for and what it cost."""

    __tablename__ = "cost_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str | None] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(100))
    provider: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_name: Mapped[str | None] = mapped_column(String(100))
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    # NULL when the target's price is unknown: flagged, never counted as $0.
    cost_usd: Mapped[Decimal | None] = mapped_column(Usd)
    priced: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(32))


class BudgetLimit(TenantOwned, Base):
    """A spend limit for a tenant, a user of a tenant, or an API key, per day or month (UTC)."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("scope", "tenant_id", "subject", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # tenant, user or key
    subject: Mapped[str] = mapped_column(String(200))  # the tenant, user or key id
    period: Mapped[str] = mapped_column(String(8))  # day or month
    limit_usd: Mapped[Decimal] = mapped_column(Usd)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BudgetCounter(TenantOwned, Base):
    """Spent and reserved nano-dollars of one budget in one period (the database store).

    ``key`` names the tenant too (``budget:{TENANT}:...``); ``tenant_id`` is what row-level
    security checks."""

    __tablename__ = "budget_counters"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    spent_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_nanos: Mapped[int] = mapped_column(BigInteger, default=0)


class BudgetLease(TenantOwned, Base):
    """A slice of a budget counter leased to one process (the database store, ``leases.py``).

    The counter's ``reserved_nanos`` is the sum of its live leases. A lease past
    ``expires_at_ms`` (epoch milliseconds) belongs to a process that stopped renewing it: the
    next sync of the counter deletes it, freeing its amount."""

    __tablename__ = "budget_leases"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200), primary_key=True)
    amount_nanos: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
