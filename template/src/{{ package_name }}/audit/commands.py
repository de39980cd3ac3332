"""The ``audit`` subcommand, as the operator: verify the keyed hash chain (against signed
checkpoints), checkpoint its head outside the database, purge past retention."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..foundation.console import EXIT_OK, Commands, fail
from ..foundation.database import make_engine
from ..foundation.settings import Settings
from . import checkpoints
from . import trail as audit


def add_commands(commands: Commands[argparse.ArgumentParser]) -> None:
    audit_parser = commands.add_parser("audit", help="verify, checkpoint or purge the audit log")
    audit_commands = audit_parser.add_subparsers(
        dest="audit_command", required=True, metavar="ACTION"
    )
    verify = audit_commands.add_parser(
        "verify", help="check the hash chain; exit 1 naming the first break"
    )
    verify.add_argument(
        "--checkpoints",
        type=Path,
        metavar="PATH",
        help="also check against the signed checkpoints there (catches deleted newest records)",
    )
    checkpoint = audit_commands.add_parser(
        "checkpoint", help="verify since the last checkpoint, then sign and append the head"
    )
    checkpoint.add_argument(
        "--to",
        type=Path,
        required=True,
        metavar="PATH",
        help="append-only checkpoint store: a JSON-lines file, or a directory",
    )
    audit_commands.add_parser("purge", help="delete records older than AUDIT_RETENTION_DAYS")


def run(settings: Settings, args: argparse.Namespace) -> int | None:
    return _audit(settings, args) if args.command == "audit" else None


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    keys = audit.ChainKeys.from_settings(settings)
    engine = make_engine(settings.owner_database_url)
    try:
        if args.audit_command == "verify":
            if args.checkpoints is None:
                verdict = audit.verify(engine, keys)
            else:
                store = checkpoints.CheckpointStore(args.checkpoints)
                verdict = checkpoints.verify_anchored(engine, keys, store)
            if not verdict.ok:
                where = f" at record {verdict.broken_id}" if verdict.broken_id else ""
                return fail(
                    f"audit chain broken{where}: {verdict.problem} "
                    f"({verdict.checked} records before it verified)"
                )
            legacy = f", {verdict.unkeyed} unkeyed (plain SHA-256)" if verdict.unkeyed else ""
            print(f"audit chain intact: {verdict.checked} records{legacy}, head {verdict.head}")
            return EXIT_OK
        if args.audit_command == "checkpoint":
            taken = checkpoints.take(engine, keys, checkpoints.CheckpointStore(args.to))
            print(f"checkpoint {taken.seq}: record {taken.record_id}, head {taken.hash}")
            return EXIT_OK
        policy = audit.ContentPolicy.from_settings(settings)
        purged = audit.purge(engine, settings.audit_retention_days, policy, actor="cli:audit")
        print(f"purged {purged.count} records older than {purged.cutoff:%Y-%m-%d %H:%M} UTC")
        return EXIT_OK
    finally:
        engine.dispose()
