"""The ``migrate`` and ``db-roles`` subcommands: the database, as its owner."""

from __future__ import annotations

import argparse

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from .console import EXIT_OK, Commands, fail
from .database import create_roles, make_engine, migrate
from .settings import Settings


def add_commands(commands: Commands[argparse.ArgumentParser]) -> None:
    commands.add_parser("migrate", help="apply pending database migrations (as the owner role)")
    commands.add_parser(
        "db-roles",
        help="create the owner and service database roles (PostgreSQL; needs DATABASE_ADMIN_URL)",
    )


def run(settings: Settings, args: argparse.Namespace) -> int | None:
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "db-roles":
        return _db_roles(settings)
    return None


def _service_role(settings: Settings) -> str | None:
    """The role DATABASE_URL connects as, when migrations run as another one (PostgreSQL)."""
    if settings.migration_database_url is None:
        return None
    service, owner = make_url(settings.database_url), make_url(settings.migration_database_url)
    if service.get_backend_name() != "postgresql" or service.username == owner.username:
        return None
    return service.username


def _migrate(settings: Settings) -> int:
    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    if settings.is_production and postgres and settings.migration_database_url is None:
        return fail(
            "refusing to migrate in production without MIGRATION_DATABASE_URL: migrations run "
            "as the owner role, the service connects as DATABASE_URL's role (docs/deployment.md)"
        )
    try:
        engine = make_engine(settings.owner_database_url)
    except OSError as exc:
        return fail(f"migration failed: {exc}")
    try:
        migrate(engine, service_role=_service_role(settings))
    except SQLAlchemyError as exc:
        return fail(f"migration failed: {exc}")
    finally:
        engine.dispose()
    print("database is up to date")
    return EXIT_OK


def _db_roles(settings: Settings) -> int:
    if settings.database_admin_url is None or settings.migration_database_url is None:
        return fail(
            "db-roles needs DATABASE_ADMIN_URL (a superuser of the server), "
            "MIGRATION_DATABASE_URL (the owner role) and DATABASE_URL (the service role)"
        )
    owner, service = make_url(settings.migration_database_url), make_url(settings.database_url)
    if service.get_backend_name() != "postgresql":
        return fail("db-roles is for PostgreSQL; DATABASE_URL is not a PostgreSQL URL")
    engine = make_engine(settings.database_admin_url)
    try:
        done = create_roles(engine, owner, service)
    except ValueError as exc:
        return fail(str(exc))
    except SQLAlchemyError as exc:
        return fail(f"cannot create the roles: {exc}")
    finally:
        engine.dispose()
    for line in done:
        print(line)
    print(f"roles ready: {owner.username} (owner), {service.username} (service)")
    return EXIT_OK
