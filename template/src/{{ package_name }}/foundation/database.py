"""Database access: the SQLAlchemy engine, the Alembic migrations that shape it, and on
PostgreSQL the two roles it is used through.

* The **owner** role (``MIGRATION_DATABASE_URL``) runs the migrations, so it owns every table;
  the operator's cross-tenant commands use it too (``access.AllTenants``).
* The **service** role (``DATABASE_URL``) is what the service connects as: it owns nothing, and
  ``migrate`` grants it DML on the tables, read access to ``alembic_version`` and the two
  functions of migration 0005. It cannot ``ALTER`` a table (so cannot switch row-level security
  off or drop a policy) and is neither a superuser nor BYPASSRLS; production refuses it
  otherwise (``access.service_role_problem``).

``create_roles`` (the ``db-roles`` command, run with ``DATABASE_ADMIN_URL``) creates both.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_wal(connection: Any, _record: Any) -> None:
    """Write-ahead log, synced at checkpoints: a commit costs microseconds instead of an fsync,
    and readers never block the writer. A power cut may lose the last commits, never corrupt."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the engine for DATABASE_URL; a SQLite file's folder is created on demand."""
    parsed = make_url(url)
    engine = create_engine(parsed, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_wal)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, service_role: str | None = None) -> None:
    """Upgrade the database to the newest migration (one ahead of this code stays as it is).

    With ``service_role`` (PostgreSQL), grant that role what the service needs afterwards.
    """
    if not is_ahead(engine):
        command.upgrade(alembic_config(engine), "head")
    if service_role is not None and engine.dialect.name == "postgresql":
        grant_service_role(engine, service_role)


# 0005's functions the service role calls (who a key belongs to; the audit chain's head).
SERVICE_FUNCTIONS = ("api_key_lookup(text, text)", "audit_chain_head()")


def _execute_formatted(connection: Connection, template: str, **values: str) -> None:
    """Run a utility statement whose identifiers and literals PostgreSQL's format() quotes
    (``%I``, ``%L``); ``template`` is format()'s arguments, ``:name`` for each value."""
    for name in values:
        template = re.sub(rf":{name}\b", f"CAST(:{name} AS text)", template)
    statement = connection.execute(text(f"SELECT format({template})"), values).scalar_one()
    connection.exec_driver_sql(statement)


def grant_service_role(engine: Engine, role: str) -> None:
    """DML on every table the migrating role owns, SELECT on ``alembic_version``, its
    sequences and the service functions, for ``role``; nothing that changes the schema."""
    with engine.begin() as connection:
        if connection.execute(text("SELECT current_user = :role"), {"role": role}).scalar():
            return
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tableowner = current_user ORDER BY tablename"
            )
        ).scalars()
        for table in list(tables):
            rights = "SELECT" if table == "alembic_version" else "SELECT, INSERT, UPDATE, DELETE"
            _execute_formatted(
                connection,
                f"'GRANT {rights} ON TABLE %I TO %I', :table, :role",
                table=table,
                role=role,
            )
        sequences = connection.execute(
            text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
                " AND sequenceowner = current_user ORDER BY sequencename"
            )
        ).scalars()
        for sequence in list(sequences):
            _execute_formatted(
                connection,
                "'GRANT USAGE, SELECT ON SEQUENCE %I TO %I', :sequence, :role",
                sequence=sequence,
                role=role,
            )
        for function in SERVICE_FUNCTIONS:
            if connection.execute(text("SELECT to_regprocedure(:f)"), {"f": function}).scalar():
                _execute_formatted(
                    connection, f"'GRANT EXECUTE ON FUNCTION {function} TO %I', :role", role=role
                )


LOGIN = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"


def create_roles(admin: Engine, owner: URL, service: URL) -> list[str]:
    """Create (or update) the owner and service roles of ``owner``'s database; what was done.

    ``admin`` connects to that database as a superuser (or a role with CREATEROLE that may
    hand tables over). Each role gets LOGIN and the password of its URL, and nothing else:
    no superuser, BYPASSRLS, CREATEDB or CREATEROLE. The owner may create objects in the
    schema; the service role may only use it (``migrate`` grants it DML). Tables, sequences
    and 0005's functions that another role owns (an earlier single-role setup) are handed to
    the owner, and the operator policies are pointed at it.
    """
    names = (owner.username, service.username)
    if not all(names) or names[0] == names[1]:
        raise ValueError(
            "MIGRATION_DATABASE_URL and DATABASE_URL must name two different users "
            f"(the owner and the service role), not {names[0]!r} and {names[1]!r}"
        )
    done: list[str] = []
    with admin.begin() as connection:
        me = connection.execute(text("SELECT current_user")).scalar_one()
        if me in names:
            raise ValueError(
                f"DATABASE_ADMIN_URL connects as {me!r}, one of the roles it would create; "
                "give it a separate administrator (the server's superuser)"
            )
        for url in (owner, service):
            name = str(url.username)
            exists = connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name}
            ).scalar()
            verb = "ALTER" if exists else "CREATE"
            password = " PASSWORD %L" if url.password else ""
            _execute_formatted(
                connection,
                f"'{verb} ROLE %I WITH {LOGIN}{password}', :name"
                + (", :password" if url.password else ""),
                name=name,
                **({"password": str(url.password)} if url.password else {}),
            )
            done.append(f"{'updated' if exists else 'created'} role {name}")
        roles = {"owner": str(owner.username), "service": str(service.username)}
        for statement in (
            "'GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), :owner, :service",
            "'GRANT USAGE, CREATE ON SCHEMA %I TO %I', current_schema(), :owner",
            "'GRANT USAGE ON SCHEMA %I TO %I', current_schema(), :service",
            "'REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema()",
        ):
            _execute_formatted(connection, statement, **roles)
        done += _hand_over(connection, roles["owner"])
    return done


def _hand_over(connection: Connection, owner: str) -> list[str]:
    """Make ``owner`` the owner of the schema's tables, sequences and service functions."""
    done: list[str] = []
    objects = connection.execute(
        text(
            "SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname"
            " FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relkind IN ('r', 'p', 'S') AND pg_get_userbyid(c.relowner) <> :owner"
            # Sequences owned by a column move with their table.
            " AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d"
            " WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))"
            " ORDER BY c.relkind DESC, c.relname"
        ),
        {"owner": owner},
    ).all()
    for kind, name in objects:
        _execute_formatted(
            connection, f"'ALTER {kind} %I OWNER TO %I', :name, :owner", name=name, owner=owner
        )
        done.append(f"{kind.lower()} {name} now owned by {owner}")
    for function in SERVICE_FUNCTIONS:
        if connection.execute(text("SELECT to_regprocedure(:f)"), {"f": function}).scalar():
            _execute_formatted(
                connection, f"'ALTER FUNCTION {function} OWNER TO %I', :owner", owner=owner
            )
    policies = connection.execute(
        text(
            "SELECT tablename FROM pg_policies WHERE schemaname = current_schema()"
            " AND policyname = 'all_tenants' AND roles <> ARRAY[:owner]::name[]"
        ),
        {"owner": owner},
    ).scalars()
    for table in list(policies):
        _execute_formatted(
            connection,
            "'ALTER POLICY all_tenants ON %I TO %I', :table, :owner",
            table=table,
            owner=owner,
        )
        done.append(f"operator policy on {table} now for {owner}")
    return done


def _revisions(engine: Engine) -> tuple[ScriptDirectory, set[str]]:
    """This code's migration scripts and the revisions the database records as applied."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    return script, applied


def is_ahead(engine: Engine) -> bool:
    """Whether a newer release migrated the database (this code was rolled back).

    Migrations are expand/contract, so the schema still serves this code (docs/deployment.md).
    """
    script, applied = _revisions(engine)
    return bool(applied - {revision.revision for revision in script.walk_revisions()})


def pending_migrations(engine: Engine) -> list[str]:
    """Return the revisions not yet applied, oldest first (empty when up to date or ahead)."""
    script, applied = _revisions(engine)
    if applied - {revision.revision for revision in script.walk_revisions()}:
        return []
    pending: list[str] = []
    for revision in script.walk_revisions():
        if revision.revision in applied:
            break
        pending.append(revision.revision)
    return list(reversed(pending))
