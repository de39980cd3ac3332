"""Database access: the SQLAlchemy engine, and the Alembic migrations that shape it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url

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


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest migration (one ahead of this code stays as it is)."""
    if not is_ahead(engine):
        command.upgrade(alembic_config(engine), "head")


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
