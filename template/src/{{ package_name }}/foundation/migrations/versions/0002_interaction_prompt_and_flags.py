"""Record the prompt version and the flag variants that served each interaction.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("prompt_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("prompt_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("flag_variants", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("flag_variants")
        batch.drop_column("prompt_version")
        batch.drop_column("prompt_name")
