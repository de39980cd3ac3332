"""Create the cost ledger, budgets and budget counters.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USD = sa.Numeric(18, 9)


def upgrade() -> None:
    op.create_table(
        "cost_ledger",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(100), nullable=True),
        sa.Column("target", sa.String(100), nullable=True),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("prompt_name", sa.String(100), nullable=True),
        sa.Column("prompt_version", sa.Integer(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", USD, nullable=True),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
    )
    op.create_index("ix_cost_ledger_request_id", "cost_ledger", ["request_id"])
    op.create_index("ix_cost_ledger_created_at", "cost_ledger", ["created_at"])
    op.create_index("ix_cost_ledger_tenant", "cost_ledger", ["tenant"])
    op.create_table(
        "budgets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("limit_usd", USD, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "tenant", "subject", "period"),
    )
    op.create_index("ix_budgets_tenant", "budgets", ["tenant"])
    op.create_table(
        "budget_counters",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("spent_nanos", sa.BigInteger(), nullable=False),
        sa.Column("reserved_nanos", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("budget_counters")
    op.drop_index("ix_budgets_tenant", table_name="budgets")
    op.drop_table("budgets")
    op.drop_index("ix_cost_ledger_tenant", table_name="cost_ledger")
    op.drop_index("ix_cost_ledger_created_at", table_name="cost_ledger")
    op.drop_index("ix_cost_ledger_request_id", table_name="cost_ledger")
    op.drop_table("cost_ledger")
