"""The keyed audit chain: each record names the AUDIT_CHAIN_KEYS key its HMAC was made with.

Records written before this revision keep a NULL ``chain_key_id`` and their plain SHA-256
hashes, which ``audit verify`` still checks the old way; the keyed guarantee (a record cannot
be rewritten without the key) starts at the first keyed record.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.add_column(sa.Column("chain_key_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.drop_column("chain_key_id")
