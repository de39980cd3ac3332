"""The ``audit`` subcommand: verify the hash chain, purge past retention, as the operator."""

from __future__ import annotations

import argparse

from ..foundation.console import EXIT_OK, Commands, fail
from ..foundation.database import make_engine
from ..foundation.settings import Settings
from . import trail as audit


def add_commands(commands: Commands[argparse.ArgumentParser]) -> None:
    audit_parser = commands.add_parser("audit", help="verify or purge the audit log")
    audit_commands = audit_parser.add_subparsers(
        dest="audit_command", required=True, metavar="ACTION"
    )
    audit_commands.add_parser("verify", help="check the hash chain; exit 1 naming the first break")
    audit_commands.add_parser("purge", help="delete records older than AUDIT_RETENTION_DAYS")


def run(settings: Settings, args: argparse.Namespace) -> int | None:
    return _audit(settings, args) if args.command == "audit" else None


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.owner_database_url)
    try:
        if args.audit_command == "verify":
            verdict = audit.verify(engine)
            if not verdict.ok:
                return fail(
                    f"audit chain broken at record {verdict.broken_id}: {verdict.problem} "
                    f"({verdict.checked} records before it verified)"
                )
            print(f"audit chain intact: {verdict.checked} records, head {verdict.head}")
            return EXIT_OK
        policy = audit.ContentPolicy.from_settings(settings)
        purged = audit.purge(engine, settings.audit_retention_days, policy, actor="cli:audit")
        print(f"purged {purged.count} records older than {purged.cutoff:%Y-%m-%d %H:%M} UTC")
        return EXIT_OK
    finally:
        engine.dispose()
