"""The ``eval``, ``redteam`` and ``prompts`` subcommands of the service's CLI."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from ..features.prompts import check_lock, load_prompts, parse_ref, write_lock
from ..foundation.errors import ConfigError
from ..foundation.settings import Settings
from . import redteam
from .report import load_baseline, regressions, summarise, write_baseline, write_reports
from .runner import Runner, Variant, eval_services, load_cases
from .stats import compare

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EVALS = Path("evals")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("eval", help="run the eval datasets through the pipeline")
    run.add_argument("--suite", action="append", help="a dataset name (repeatable; default all)")
    run.add_argument("--prompt", metavar="NAME@VERSION", help="pin a prompt version")
    run.add_argument("--model", metavar="TIER", help="a tier or provider/model for every case")
    run.add_argument(
        "--compare", metavar="SPEC", help="A/B: a second NAME@VERSION or model to compare against"
    )
    run.add_argument("--report-dir", type=Path, default=EVALS / "reports", help="report folder")
    run.add_argument("--update-baseline", action="store_true", help="accept these scores")

    team = commands.add_parser("redteam", help="run the attack and benign corpora")
    team.add_argument("--report-dir", type=Path, default=EVALS / "reports", help="report folder")

    prompts = commands.add_parser("prompts", help="check or update prompts/prompts.lock")
    prompts.add_argument("action", choices=["check", "lock"])


def run(settings: Settings, args: argparse.Namespace) -> int | None:
    if args.command == "eval":
        return run_eval(settings, args)
    if args.command == "redteam":
        return run_redteam(settings, args)
    if args.command == "prompts":
        return run_prompts(settings, args)
    return None


def _quiet() -> None:
    """Per-request log lines would bury the summary; the reports hold the details."""
    root = logging.getLogger()
    root.setLevel(max(root.level, logging.ERROR))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_FAILED


def _variant(prompt: str | None, model: str | None) -> Variant:
    if prompt:
        parse_ref(prompt)
    return Variant(prompt=prompt, model=model)


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    try:
        base = _variant(args.prompt, args.model)
        other = None
        if args.compare:
            other = (
                _variant(args.compare, args.model) if "@" in args.compare
                else _variant(args.prompt, args.compare)
            )  # fmt: skip
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _quiet()
    try:
        cases = load_cases(EVALS / "datasets", args.suite)
    except ConfigError as exc:
        return _fail(str(exc))

    async def go() -> int:
        async with eval_services(settings) as services:
            runner = Runner(services)
            results = await runner.run(cases, base)
            comparison = None
            if other is not None:
                other_results = await runner.run(cases, other)
                stats = compare([r.score for r in results], [r.score for r in other_results])
                comparison = (other.label(), other_results, stats)
        baseline_path = EVALS / "baseline.json"
        baseline = load_baseline(baseline_path)
        summaries = summarise(results)
        problems = [] if args.update_baseline else regressions(summaries, baseline)
        json_path, md_path = write_reports(
            args.report_dir, base.label(), results, problems, comparison
        )
        for s in summaries:
            print(f"{s.suite}: score {s.score:.3f}, pass rate {s.pass_rate:.3f} ({s.cases} cases)")
        for note in sorted({sc.note for r in results for sc in r.scores if sc.score is None}):
            print(f"note: {note}")
        if comparison is not None:
            stats = comparison[2]
            print(
                f"A/B {base.label()} vs {comparison[0]}: {stats.mean_a:.3f} vs {stats.mean_b:.3f}, "
                f"sign test p = {stats.p_value:.4f}"
            )
        print(f"reports: {json_path}, {md_path}")
        if args.update_baseline:
            write_baseline(baseline_path, summaries, baseline)
            print(f"baseline updated: {baseline_path}")
            return EXIT_OK
        for problem in problems:
            print(f"REGRESSION {problem}", file=sys.stderr)
        return EXIT_FAILED if problems else EXIT_OK

    try:
        return asyncio.run(go())
    except ConfigError as exc:
        return _fail(str(exc))


def run_redteam(settings: Settings, args: argparse.Namespace) -> int:
    _quiet()
    folder = EVALS / "redteam"
    gates = load_baseline(EVALS / "baseline.json").get("redteam", {})
    min_block = float(gates.get("min_block_rate", 0.9))
    max_fp = float(gates.get("max_false_positive_rate", 0.03))

    async def go() -> dict[str, object]:
        async with eval_services(settings) as services:
            attacks = await redteam.run(
                services, redteam.load(folder / "attacks.jsonl"), attack=True
            )
            benign = await redteam.run(
                services, redteam.load(folder / "benign.jsonl"), attack=False
            )
        return redteam.rates(attacks + benign)

    try:
        result = asyncio.run(go())
    except (ConfigError, OSError) as exc:
        return _fail(str(exc))
    args.report_dir.mkdir(parents=True, exist_ok=True)
    path = args.report_dir / "redteam.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    block, fp = float(str(result["block_rate"])), float(str(result["false_positive_rate"]))
    attacks, benign = result["attacks"], result["benign"]
    print(f"attacks blocked: {block * 100:.1f}% of {attacks} (gate >= {min_block * 100:g}%)")
    print(f"benign blocked:  {fp * 100:.1f}% of {benign} (gate <= {max_fp * 100:g}%)")
    print(f"report: {path}")
    failed = block < min_block or fp > max_fp
    if failed:
        print("error: the red-team gate failed", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def run_prompts(settings: Settings, args: argparse.Namespace) -> int:
    try:
        registry = load_prompts(settings.prompts_dir)
    except ConfigError as exc:
        return _fail(str(exc))
    if args.action == "lock":
        print(f"wrote {write_lock(registry)}")
        return EXIT_OK
    problems = check_lock(registry)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"{len(registry.all())} prompt versions match {settings.prompts_dir}/prompts.lock")
    return EXIT_FAILED if problems else EXIT_OK
