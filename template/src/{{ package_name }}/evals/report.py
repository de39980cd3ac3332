"""Eval reports (JSON and Markdown) and the baseline gate (``evals/baseline.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..foundation.errors import ConfigError
from .runner import CaseResult
from .stats import Comparison


@dataclass(frozen=True)
class SuiteSummary:
    suite: str
    cases: int
    score: float
    pass_rate: float
    cost_usd: float
    latency_ms_p50: int
    skipped: int


def summarise(results: list[CaseResult]) -> list[SuiteSummary]:
    summaries: list[SuiteSummary] = []
    for suite in sorted({r.case.suite for r in results}):
        rows = [r for r in results if r.case.suite == suite]
        latencies = sorted(r.latency_ms for r in rows)
        summaries.append(
            SuiteSummary(
                suite=suite,
                cases=len(rows),
                score=round(sum(r.score for r in rows) / len(rows), 4),
                pass_rate=round(sum(r.passed for r in rows) / len(rows), 4),
                cost_usd=round(sum(r.cost_usd for r in rows), 6),
                latency_ms_p50=latencies[len(latencies) // 2],
                skipped=sum(s.score is None for r in rows for s in r.scores),
            )
        )
    return summaries


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"max_drop": 0.0, "suites": {}}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc.msg}") from exc
    return data


def regressions(summaries: list[SuiteSummary], baseline: dict[str, Any]) -> list[str]:
    """Suites whose score or pass rate fell more than ``max_drop`` below the baseline."""
    allowed = float(baseline.get("max_drop", 0.0))
    found: list[str] = []
    for summary in summaries:
        base = baseline.get("suites", {}).get(summary.suite)
        if base is None:
            continue
        for metric in ("score", "pass_rate"):
            was, now = float(base[metric]), float(getattr(summary, metric))
            if now < was - allowed:
                found.append(
                    f"{summary.suite}: {metric} {now:.3f} < baseline {was:.3f} - {allowed}"
                )
    return found


def write_baseline(path: Path, summaries: list[SuiteSummary], baseline: dict[str, Any]) -> None:
    suites = dict(baseline.get("suites", {}))
    for s in summaries:
        suites[s.suite] = {"score": s.score, "pass_rate": s.pass_rate}
    data = {**baseline, "suites": dict(sorted(suites.items()))}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _case(result: CaseResult) -> dict[str, Any]:
    return {
        "suite": result.case.suite,
        "id": result.case.id,
        "prompt": result.prompt,
        "model": result.model,
        "score": round(result.score, 4),
        "passed": result.passed,
        "error": result.error,
        "answer": result.answer,
        "latency_ms": result.latency_ms,
        "cost_usd": result.cost_usd,
        "scores": [s.__dict__ for s in result.scores],
    }


def write_reports(
    folder: Path,
    label: str,
    results: list[CaseResult],
    problems: list[str],
    comparison: tuple[str, list[CaseResult], Comparison] | None = None,
) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    summaries = summarise(results)
    notes = sorted({s.note for r in results for s in r.scores if s.score is None})
    data: dict[str, Any] = {
        "variant": label,
        "suites": [s.__dict__ for s in summaries],
        "regressions": problems,
        "notes": notes,
        "cases": [_case(r) for r in results],
    }
    lines = [f"# Eval report: {label}", "", "| suite | cases | score | pass rate | cost (USD) "
             "| p50 latency (ms) | skipped scorers |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    lines += [
        f"| {s.suite} | {s.cases} | {s.score:.3f} | {s.pass_rate:.3f} | {s.cost_usd:.6f} "
        f"| {s.latency_ms_p50} | {s.skipped} |"
        for s in summaries
    ]
    lines += ["", "## Gate", ""]
    lines += [f"- REGRESSION {p}" for p in problems] or ["- no regression against the baseline"]
    if notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in notes]]
    if comparison is not None:
        other, other_results, stats = comparison
        data["comparison"] = {
            "a": label,
            "b": other,
            **stats.__dict__,
            "cases": [_case(r) for r in other_results],
        }
        lines += [
            "", f"## A/B: {label} (A) vs {other} (B)", "",
            f"- cases: {stats.cases}; mean score A {stats.mean_a:.3f}, B {stats.mean_b:.3f}",
            f"- B better on {stats.wins_b}, A better on {stats.wins_a}, tied on {stats.ties}",
            f"- exact sign test p = {stats.p_value:.4f}; 95% bootstrap CI of mean(B - A): "
            f"[{stats.ci_low:+.3f}, {stats.ci_high:+.3f}]",
            "", "| case | A | B |", "|---|---|---|",
        ]  # fmt: skip
        lines += [
            f"| {a.case.suite}/{a.case.id} | {a.score:.2f} | {b.score:.2f} |"
            for a, b in zip(results, other_results, strict=True)
        ]
    lines += ["", "## Cases", "", "| case | prompt | model | score | passed | error |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    lines += [
        f"| {r.case.suite}/{r.case.id} | {r.prompt} | {r.model} | {r.score:.2f} | "
        f"{'yes' if r.passed else 'no'} | {r.error or ''} |"
        for r in results
    ]
    json_path, md_path = folder / "eval.json", folder / "eval.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return json_path, md_path
