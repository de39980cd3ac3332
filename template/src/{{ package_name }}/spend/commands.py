"""The ``usage`` and ``budgets`` subcommands: spend and its limits, as the operator; every
budget change is audited.

Without ``--tenant`` they read across tenants (``AllTenants``), which only the owner role can.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from ..audit import trail as audit
from ..foundation.console import EXIT_OK, Commands, fail
from ..foundation.database import make_engine
from ..foundation.errors import AuditUnavailableError, ConfigError
from ..foundation.inputs import MAX_USD, Usd
from ..foundation.settings import Settings
from ..identity.access import within
from ..observability.health import MIGRATE_HINT
from .budgets import PERIODS, Budget, Scope, list_budgets, period_start, set_budget
from .cost import usage_report


def add_commands(commands: Commands[argparse.ArgumentParser]) -> None:
    usage = commands.add_parser("usage", help="report spend by tenant, user, key and model")
    usage.add_argument("--tenant", help="only this tenant (default: every tenant)")
    usage.add_argument(
        "--period",
        choices=PERIODS,
        default="month",
        help="this UTC day or month (default: %(default)s)",
    )
    usage.add_argument("--json", action="store_true", help="print JSON instead of a table")

    budgets = commands.add_parser("budgets", help="manage spend limits")
    budget_commands = budgets.add_subparsers(
        dest="budgets_command", required=True, metavar="ACTION"
    )
    budget_set = budget_commands.add_parser("set", help="create or change a budget")
    budget_set.add_argument("--tenant", required=True, help="the tenant the budget belongs to")
    who = budget_set.add_mutually_exclusive_group()
    who.add_argument("--user", help="limit this user of the tenant instead of the whole tenant")
    who.add_argument("--key", help="limit this API key id instead of the whole tenant")
    budget_set.add_argument(
        "--period", choices=PERIODS, default="month", help="(default: %(default)s)"
    )
    budget_set.add_argument(
        "--limit-usd", required=True, type=_usd, help="limit in US dollars, > 0"
    )
    budget_list = budget_commands.add_parser("list", help="list budgets")
    budget_list.add_argument("--tenant", help="only this tenant (default: every tenant)")


def run(settings: Settings, args: argparse.Namespace) -> int | None:
    if args.command == "usage":
        return _usage(settings, args)
    if args.command == "budgets":
        return _budgets(settings, args)
    return None


def _usd(value: str) -> Decimal:
    """The same bounds as the API's (``foundation.inputs.Usd``)."""
    try:
        return TypeAdapter(Usd).validate_python(value)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an amount of US dollars greater than 0, at most {MAX_USD}, "
            "with at most 9 decimal places"
        ) from None


def _usage(settings: Settings, args: argparse.Namespace) -> int:
    since = period_start(args.period, datetime.now(UTC))
    engine = make_engine(settings.owner_database_url)
    try:
        rows = usage_report(engine, since, within(args.tenant, "cli usage"))
    except ConfigError as exc:
        return fail(str(exc))
    except SQLAlchemyError as exc:
        return fail(f"cannot read the cost ledger ({type(exc).__name__}): {MIGRATE_HINT}?")
    finally:
        engine.dispose()
    total = sum((row.cost_usd for row in rows), Decimal(0))
    unpriced = sum(row.unpriced_requests for row in rows)
    if args.json:
        report = {
            "period": args.period,
            "since": since.isoformat(),
            "total_usd": str(total),
            "unpriced_requests": unpriced,
            "rows": [{**vars(row), "cost_usd": str(row.cost_usd)} for row in rows],
        }
        print(json.dumps(report, indent=2))
        return EXIT_OK
    print(f"spend since {since:%Y-%m-%d %H:%M} UTC ({args.period})")
    print(f"{'tenant':<16} {'user':<20} {'key':<16} {'model':<24} {'requests':>8} {'usd':>14}")
    for row in rows:
        print(
            f"{row.tenant:<16} {row.user:<20} {row.key_id or '-':<16} {row.model or '-':<24} "
            f"{row.requests:>8} {row.cost_usd:>14.6f}"
        )
    print(f"total ${total:.6f}" + (f"; {unpriced} unpriced requests" if unpriced else ""))
    return EXIT_OK


def _budgets(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.owner_database_url)
    try:
        if args.budgets_command == "list":
            for budget in list_budgets(engine, within(args.tenant, "cli budgets list")):
                print(
                    f"{budget.tenant} {budget.scope} {budget.subject} {budget.period} "
                    f"${budget.limit_usd}"
                )
            return EXIT_OK
        scope: Scope = "user" if args.user else "key" if args.key else "tenant"
        subject = args.user or args.key or args.tenant
        limit = Budget(scope, args.tenant, subject, args.period, args.limit_usd)
        with audit.transaction(engine, args.tenant) as session:
            set_budget(session, **vars(limit))
            entry = audit.Entry(
                request_id=f"cli-{datetime.now(UTC):%Y%m%dT%H%M%S%f}",
                tenant_id=args.tenant,
                principal="cli:budgets",
                action="budgets.set",
                route="cli budgets set",
                outcome="ok",
                decisions={
                    "scope": scope,
                    "subject": subject,
                    "period": args.period,
                    "limit_usd": str(args.limit_usd),
                },
            )
            audit.append(session, entry, audit.ContentPolicy.from_settings(settings))
    except ConfigError as exc:
        return fail(str(exc))
    except (SQLAlchemyError, AuditUnavailableError) as exc:
        cause = exc.__cause__ if isinstance(exc, AuditUnavailableError) else exc
        return fail(f"cannot write the budget ({type(cause).__name__}): {MIGRATE_HINT}?")
    finally:
        engine.dispose()
    print(f"budget set: {scope} {subject} of tenant {args.tenant}: ${args.limit_usd}/{args.period}")
    return EXIT_OK
