"""Tenancy everywhere: ``tenant_id`` on every tenant-owned table, forced row-level security.

* ``cost_ledger.tenant`` and ``budgets.tenant`` become ``tenant_id`` (128 characters, like the
  others); ``budget_counters`` gets a ``tenant_id``, filled from its key (``budget:{T}:...``).
* On PostgreSQL, every tenant-owned table (``TENANT_TABLES``) gets row-level security, enabled
  and forced (the owner is subject to it too), with two policies:

  - ``tenant_isolation``, for every role: a row is visible and writable only while the
    transaction runs as its tenant (``app.tenant_id``, set by ``access.tenant_session``); with
    no tenant set, no row is.
  - ``all_tenants``, for the role running this migration (the owner) only: every row, while
    ``app.all_tenants`` is on (``access.AllTenants``, the operator's commands).

* Two functions run as the owner for the service role, each answering one question that comes
  before a tenant is known, and nothing more: ``api_key_lookup(prefix, hash)`` (the key's
  record, only for its own hash: who is calling) and ``audit_chain_head()`` (the newest audit
  hash, which the next record chains to across tenants). ``migrate`` grants them, and DML on
  the tables, to the service role.

Nothing here depends on the project's answers: a single-tenant project runs it too (every row
is in the ``default`` tenant). Each step checks the current state first, so databases migrated
by either rendering of 0004 (with or without row-level security on ``interactions``) end the
same.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "interactions",
    "cost_ledger",
    "audit_log",
    "api_keys",
    "budgets",
    "budget_counters",
)
RENAMED = ("cost_ledger", "budgets")  # tenant -> tenant_id
# An unset setting reads as NULL, and as '' once a transaction that set it has ended.
TENANT_POLICY = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')"
ALL_TENANTS = "current_setting('app.all_tenants', true) = 'on'"
OLD_TENANT_POLICY = "tenant_id = current_setting('app.tenant_id', true)"  # 0004's


def _columns(table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)}


def _indexes(table: str) -> set[str | None]:
    return {index["name"] for index in sa.inspect(op.get_bind()).get_indexes(table)}


def _counter_tenant(key: str) -> str:
    """The tenant a budget counter key names: ``budget:{TENANT}:scope:subject:period:label``."""
    if key.startswith("budget:{") and "}" in key:
        return key[len("budget:{") : key.index("}")] or "default"
    return "default"


def upgrade() -> None:
    for table in RENAMED:
        if "tenant" in _columns(table):
            if f"ix_{table}_tenant" in _indexes(table):
                op.drop_index(f"ix_{table}_tenant", table_name=table)
            with op.batch_alter_table(table) as batch:
                batch.alter_column(
                    "tenant",
                    new_column_name="tenant_id",
                    existing_type=sa.String(100),
                    type_=sa.String(128),
                    existing_nullable=False,
                )
        if f"ix_{table}_tenant_id" not in _indexes(table):
            op.create_index(f"ix_{table}_tenant_id", table, ["tenant_id"])

    if "tenant_id" not in _columns("budget_counters"):
        with op.batch_alter_table("budget_counters") as batch:
            batch.add_column(sa.Column("tenant_id", sa.String(128), nullable=True))
        counters = sa.table("budget_counters", sa.column("key"), sa.column("tenant_id"))
        bind = op.get_bind()
        for key in bind.execute(sa.select(counters.c.key)).scalars().all():
            bind.execute(
                counters.update()
                .where(counters.c.key == key)
                .values(tenant_id=_counter_tenant(key))
            )
        with op.batch_alter_table("budget_counters") as batch:
            batch.alter_column("tenant_id", existing_type=sa.String(128), nullable=False)
    if "ix_budget_counters_tenant_id" not in _indexes("budget_counters"):
        op.create_index("ix_budget_counters_tenant_id", "budget_counters", ["tenant_id"])

    if op.get_context().dialect.name == "postgresql":
        _row_level_security()


def _row_level_security() -> None:
    schema = op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar()
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING ({TENANT_POLICY}) WITH CHECK ({TENANT_POLICY})"
        )
        op.execute(f"DROP POLICY IF EXISTS all_tenants ON {table}")
        op.execute(
            f"CREATE POLICY all_tenants ON {table} TO CURRENT_USER "
            f"USING ({ALL_TENANTS}) WITH CHECK ({ALL_TENANTS})"
        )
    # SECURITY DEFINER functions run as the owner, which the forced policies bind too: each
    # turns the operator's setting on for its one query, then back to what it was. A fixed
    # search_path and fully qualified tables; only constants and the schema's own (quoted)
    # name go into these statements.
    definer = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
    operator_on = (
        "PERFORM set_config('app.all_tenants', 'on', true); previous := coalesce(previous, '');"
    )
    operator_off = "PERFORM set_config('app.all_tenants', previous, true);"
    op.execute(
        "CREATE OR REPLACE FUNCTION api_key_lookup(p_prefix text, p_key_hash text) "  # noqa: S608
        "RETURNS TABLE (tenant_id varchar, prefix varchar, role varchar, name varchar, "
        "created_at timestamptz, expires_at timestamptz, revoked_at timestamptz) "
        f"{definer} AS $$ #variable_conflict use_column\n"
        "DECLARE previous text := current_setting('app.all_tenants', true); "
        f"BEGIN {operator_on} RETURN QUERY "
        "SELECT k.tenant_id, k.prefix, k.role, k.name, k.created_at, k.expires_at, k.revoked_at"
        f" FROM {schema}.api_keys AS k WHERE k.prefix = p_prefix AND k.key_hash = p_key_hash; "
        f"{operator_off} END $$"
    )
    op.execute(
        f"CREATE OR REPLACE FUNCTION audit_chain_head() RETURNS varchar {definer} AS $$ "  # noqa: S608
        "DECLARE previous text := current_setting('app.all_tenants', true); head varchar; "
        f"BEGIN {operator_on} SELECT a.hash INTO head FROM {schema}.audit_log AS a"
        f" ORDER BY a.id DESC LIMIT 1; {operator_off} RETURN head; END $$"
    )
    for function in ("api_key_lookup(text, text)", "audit_chain_head()"):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head()")
        op.execute("DROP FUNCTION IF EXISTS api_key_lookup(text, text)")
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS all_tenants ON {table}")
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
            if table != "interactions":
                op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
                op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON interactions "
            f"USING ({OLD_TENANT_POLICY}) WITH CHECK ({OLD_TENANT_POLICY})"
        )
    op.drop_index("ix_budget_counters_tenant_id", table_name="budget_counters")
    with op.batch_alter_table("budget_counters") as batch:
        batch.drop_column("tenant_id")
    for table in RENAMED:
        op.drop_index(f"ix_{table}_tenant_id", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "tenant_id",
                new_column_name="tenant",
                existing_type=sa.String(128),
                type_=sa.String(100),
                existing_nullable=False,
            )
        op.create_index(f"ix_{table}_tenant", table, ["tenant"])
