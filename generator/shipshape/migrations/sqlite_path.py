"""Migration 0.2.0 (after the update): the default SQLite file moved to ``./var/app.db``.

Projects generated before 0.2.0 kept their data in ``./var/<package>.db``. Since 0.2.0 the
default ``DATABASE_URL`` is ``sqlite:///./var/app.db``, so without this step the service would
start on a new, empty database and the team's rows would sit unused in the old file.

What it does (and says so):

- ``.env`` sets ``DATABASE_URL``: nothing moves; the service keeps reading what it names.
- only the old file exists: it is renamed to ``var/app.db`` (with its ``-wal``/``-shm``/
  ``-journal`` companions), so the data moves in one step and nothing is copied or lost.
- both files exist: nothing is touched; it prints how to choose.

Usage: ``python sqlite_path.py --package PACKAGE`` in the project folder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

NEW = Path("var/app.db")
COMPANIONS = ("-wal", "-shm", "-journal")
PREFIX = "migration 0.2.0 (SQLite file):"


def env_database_url(project: Path) -> str | None:
    """``DATABASE_URL`` as ``.env`` sets it (``None``: not set there)."""
    env = project / ".env"
    if not env.is_file():
        return None
    value = None
    for line in env.read_text(encoding="utf-8").splitlines():
        key, sep, rest = line.strip().partition("=")
        if sep and key.strip().removeprefix("export ").strip() == "DATABASE_URL":
            value = rest.strip().strip("'\"")
    return value or None


def migrate(project: Path, package: str) -> str:
    """Move the old default database file to the new default path; return what was done."""
    old = Path("var") / f"{package}.db"
    if old == NEW:
        return f"{PREFIX} the package is called app; the file did not move. Nothing to do."
    url = env_database_url(project)
    if url is not None:
        return f"{PREFIX} .env sets DATABASE_URL={url}; the service keeps using it. Nothing moved."
    old_path, new_path = project / old, project / NEW
    if not old_path.exists():
        return f"{PREFIX} no {old} here. Nothing to do."
    if new_path.exists():
        return (
            f"{PREFIX} WARNING: both {old} (your data from before 0.2.0) and {NEW} (the new "
            f"default) exist; nothing was touched. The service now reads {NEW}. To keep "
            f"using the old data, stop the service and either set "
            f"DATABASE_URL=sqlite:///./{old} in .env, or move {NEW} aside and rename {old} "
            f"(and any {old}-wal/-shm file) to {NEW}; then run `make migrate`."
        )
    moved = []
    for suffix in ("", *COMPANIONS):
        source = project / f"{old}{suffix}"
        if source.exists():
            source.rename(project / f"{NEW}{suffix}")
            moved.append(f"{old}{suffix}")
    return (
        f"{PREFIX} moved {', '.join(moved)} to {NEW} (the new default DATABASE_URL), so the "
        "service keeps its data. Run `make migrate` to bring the schema up to date."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True, help="the project's package_name")
    parser.add_argument("--project", type=Path, default=Path(), help="project folder (.)")
    args = parser.parse_args(argv)
    print(migrate(args.project, args.package), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
