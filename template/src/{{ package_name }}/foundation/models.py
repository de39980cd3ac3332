"""ORM models: the tables this service owns (Alembic migrations create them).

Rows that belong to a tenant carry ``tenant_id`` and are read and written through
``access.TenantScope`` only, so one tenant never sees another's rows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TenantOwned:
    """Mixin of every table whose rows belong to one tenant."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128), index=True)


class Interaction(TenantOwned, Base):
    """One chat completion request: what was asked, what served it, what it cost in tokens."""

    __tablename__ = "interactions"

    request_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Who called (``api_key:sk-...``, ``oidc:<sub>``) and on whose behalf (the data subject).
    principal: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300), index=True)
    requested_model: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(100))
    provider: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    prompt_name: Mapped[str | None] = mapped_column(String(100))
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    flag_variants: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


# USD amounts: exact decimals to the nano-dollar (a short prompt on a cheap model costs less
# than a micro-dollar).
Usd = Numeric(18, 9)


class LedgerEntry(Base):
    """The cost ledger: one row per chat request, who it was for and what it cost."""

    __tablename__ = "cost_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
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


class BudgetLimit(Base):
    """A spend limit for a tenant, a user of a tenant, or an API key, per day or month (UTC)."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("scope", "tenant", "subject", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # tenant, user or key
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(200))  # the tenant, user or key id
    period: Mapped[str] = mapped_column(String(8))  # day or month
    limit_usd: Mapped[Decimal] = mapped_column(Usd)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BudgetCounter(Base):
    """Spent and reserved nano-dollars of one budget in one period (the database store)."""

    __tablename__ = "budget_counters"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    spent_nanos: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_nanos: Mapped[int] = mapped_column(BigInteger, default=0)


class ApiKey(TenantOwned, Base):
    """An API key: only its SHA-256 hash and its visible prefix are stored."""

    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRecord(Base):
    """One link of the tamper-evident audit chain (``audit.py`` writes and verifies it).

    ``hash`` covers every column but ``content`` and ``erased_at``; it covers
    ``content_digest`` instead, so erasing content (GDPR) leaves the chain verifiable.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    request_id: Mapped[str] = mapped_column(String(128))
    tenant_id: Mapped[str] = mapped_column(String(128), index=True)
    principal: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(300), index=True)
    action: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(200))
    prompt_name: Mapped[str | None] = mapped_column(String(100))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(300))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    # Guardrail and flag decisions, and admin-action details, as canonical JSON.
    decisions: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))
    content_mode: Mapped[str] = mapped_column(String(16))
    content: Mapped[str | None] = mapped_column(Text)
    content_digest: Mapped[str | None] = mapped_column(String(64))
    content_key_id: Mapped[str | None] = mapped_column(String(64))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
