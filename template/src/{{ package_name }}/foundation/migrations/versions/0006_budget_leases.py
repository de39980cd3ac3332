"""Budget leases: the slice of a budget counter each process holds (``spend/leases.py``).

``budget_counters.reserved_nanos`` now holds the sum of a counter's live leases (before, the
in-flight reservations of every replica); each sync of a counter rewrites it, so existing
values need no change. On PostgreSQL the new table gets the same forced row-level security
as every tenant-owned table (migration 0005).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_POLICY = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')"
ALL_TENANTS = "current_setting('app.all_tenants', true) = 'on'"


def upgrade() -> None:
    op.create_table(
        "budget_leases",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("holder", sa.String(200), primary_key=True),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("amount_nanos", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_budget_leases_tenant_id", "budget_leases", ["tenant_id"])
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE budget_leases ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE budget_leases FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON budget_leases "
            f"USING ({TENANT_POLICY}) WITH CHECK ({TENANT_POLICY})"
        )
        op.execute(
            "CREATE POLICY all_tenants ON budget_leases TO CURRENT_USER "
            f"USING ({ALL_TENANTS}) WITH CHECK ({ALL_TENANTS})"
        )


def downgrade() -> None:
    op.drop_index("ix_budget_leases_tenant_id", table_name="budget_leases")
    op.drop_table("budget_leases")
