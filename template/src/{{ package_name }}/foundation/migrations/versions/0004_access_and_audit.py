"""Tenants and principals on interactions; the api_keys and audit_log tables.

On PostgreSQL, row-level security on ``interactions`` is a second wall behind the data-access
layer: a session sees and writes only the rows of the tenant it set in ``app.tenant_id``
(``access.tenant_session`` sets it). FORCE applies the policy to the table owner too;
superusers and BYPASSRLS roles still bypass it, so production refuses to run as one.

Projects generated before migrations stopped depending on answers ran this revision without
the row-level security statements when ``multi_tenant`` was false; 0005 brings both variants
to the same state (row-level security on every tenant-owned table).

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_POLICY = "tenant_id = current_setting('app.tenant_id', true)"


def upgrade() -> None:
    with op.batch_alter_table("interactions") as table:
        table.add_column(
            sa.Column("tenant_id", sa.String(128), nullable=False, server_default="default")
        )
        table.add_column(
            sa.Column("principal", sa.String(300), nullable=False, server_default="unknown")
        )
        table.add_column(
            sa.Column("subject", sa.String(300), nullable=False, server_default="unknown")
        )
    op.create_index("ix_interactions_tenant_id", "interactions", ["tenant_id"])
    op.create_index("ix_interactions_subject", "interactions", ["subject"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("principal", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(300), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("route", sa.String(200), nullable=False),
        sa.Column("prompt_name", sa.String(100), nullable=True),
        sa.Column("prompt_version", sa.String(32), nullable=True),
        sa.Column("target", sa.String(300), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("content_mode", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("content_digest", sa.String(64), nullable=True),
        sa.Column("content_key_id", sa.String(64), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    op.create_index("ix_audit_log_tenant_id", "audit_log", ["tenant_id"])
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])

    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE interactions ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE interactions FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON interactions "
            f"USING ({TENANT_POLICY}) WITH CHECK ({TENANT_POLICY})"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON interactions")
        op.execute("ALTER TABLE interactions NO FORCE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE interactions DISABLE ROW LEVEL SECURITY")
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_index("ix_audit_log_tenant_id", table_name="audit_log")
    op.drop_index("ix_audit_log_created_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_api_keys_tenant_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index("ix_interactions_subject", table_name="interactions")
    op.drop_index("ix_interactions_tenant_id", table_name="interactions")
    with op.batch_alter_table("interactions") as table:
        table.drop_column("subject")
        table.drop_column("principal")
        table.drop_column("tenant_id")
