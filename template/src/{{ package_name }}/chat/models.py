"""The chat capability's table: one ``interactions`` row per chat completion request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..foundation.orm import Base, TenantOwned


class Interaction(TenantOwned, Base):
    """One chat completion request: what was asked, what served it, what it cost in tokens."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
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
