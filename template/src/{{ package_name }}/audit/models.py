"""The audit capability's table: the hash-chained ``audit_log``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..foundation.orm import Base, TenantOwned


class AuditRecord(TenantOwned, Base):
    """One link of the tamper-evident audit chain (``trail.py`` writes and verifies it).

    ``hash`` is an HMAC-SHA256, under the AUDIT_CHAIN_KEYS key named by ``chain_key_id``, of
    every column but ``content`` and ``erased_at``; it covers ``content_digest`` instead, so
    erasing content (GDPR) leaves the chain verifiable. Records written before migration 0007
    have no ``chain_key_id`` and a plain SHA-256 ``hash``.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    request_id: Mapped[str] = mapped_column(String(128))
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
    chain_key_id: Mapped[str | None] = mapped_column(String(64))
