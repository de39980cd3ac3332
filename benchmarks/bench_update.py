"""How long `shipshape update` and `shipshape fleet` take.

    uv run python benchmarks/bench_update.py [--presets minimal,standard] [--copies 100]

(a) `shipshape update` for every preset from every release in releases.yml: render the preset
    (as that release's presets/ had it) at the release, commit it in a fresh git repository,
    then time `shipshape update --defaults` to the newest release (a subprocess, as a team runs
    it; from the newest release itself this is the no-op cost). Goal: <= 5 s per project.
(b) `shipshape fleet` over N copies of one generated project (copied, not rendered N times),
    each with its own answers file (names, budgets, a tenth with kubernetes + sqlite against
    today's policy, alternating releases): the default table, the JSON form, and `--drift`
    (the copies share four distinct (release, answers) pairs for the drift renders). Goal:
    <= 10 s for 100 projects.

Results are printed and written as JSON to benchmarks/results/. This measures; it asserts
nothing and is not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "generator"))

from shipshape import project, releases  # noqa: E402
from shipshape.template import locate  # noqa: E402

CLI = [sys.executable, "-m", "shipshape"]


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout


def preset_at(commit: str, name: str) -> dict[str, Any] | None:
    shown = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{commit}:presets/{name}.yml"],
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        return None
    data = yaml.safe_load(shown.stdout) or {}
    return data if isinstance(data, dict) else None


def generate(dst: Path, answers: dict[str, Any], ref: str) -> None:
    project.new(dst, locate(str(REPO)), answers, defaults=True, vcs_ref=ref, quiet=True)
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "x")


def bench_update(tmp: Path, names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for release in releases.load(REPO):
        for name in names:
            answers = preset_at(release.commit, name)
            row: dict[str, Any] = {"preset": name, "from": release.version}
            if answers is None:
                row["skipped"] = f"no presets/{name}.yml at {release.version}"
                rows.append(row)
                print(f"update {name:<10} from {release.version}: skipped ({row['skipped']})")
                continue
            dst = tmp / f"{name}-{release.version}"
            generate(dst, {"project_name": "Bench App", **answers}, release.tag)
            started = time.perf_counter()
            result = subprocess.run(
                [*CLI, "update", str(dst), "--defaults"],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            )
            row["seconds"] = round(time.perf_counter() - started, 2)
            row["exit"] = result.returncode
            row["to"] = (project.recorded_answers(dst).get("_commit") or "?").lstrip("v")
            rows.append(row)
            print(
                f"update {name:<10} from {release.version} -> {row['to']}: "
                f"{row['seconds']:.2f} s (exit {row['exit']})"
            )
    return rows


def bench_fleet(tmp: Path, copies: int) -> dict[str, Any]:
    known = releases.load(REPO)
    base = tmp / "base"
    generate(base, {"project_name": "Fleet Base"}, known[-1].tag)
    shutil.rmtree(base / ".git")
    fleet_dir = tmp / "fleet"
    recorded = yaml.safe_load((base / project.ANSWERS_FILE).read_text())
    for index in range(copies):
        dst = fleet_dir / f"svc-{index:03}"
        shutil.copytree(base, dst, symlinks=True)
        answers = dict(recorded)
        answers["_commit"] = known[index % 2 - 2].tag if len(known) > 1 else known[-1].tag
        if index % 2:
            answers["monthly_budget_usd"] = 250.0
        if index % 10 == 0:
            answers["deploy_target"] = "kubernetes"
        (dst / project.ANSWERS_FILE).write_text(yaml.safe_dump(answers))
    timings: dict[str, Any] = {"projects": copies}
    for label, extra in (("table", []), ("json", ["--json"]), ("drift", ["--drift"])):
        started = time.perf_counter()
        result = subprocess.run(
            [*CLI, "fleet", str(fleet_dir), *extra],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        timings[label] = {
            "seconds": round(time.perf_counter() - started, 2),
            "exit": result.returncode,
        }
        print(
            f"fleet {label:<6} over {copies} projects: {timings[label]['seconds']:.2f} s "
            f"(exit {result.returncode})"
        )
        if label == "table":
            print("\n".join(result.stdout.splitlines()[-1:]))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--presets", default=",".join(p.stem for p in sorted((REPO / "presets").glob("*.yml")))
    )
    parser.add_argument("--copies", type=int, default=100)
    args = parser.parse_args()
    releases.ensure_tags(REPO)
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        update_rows = bench_update(Path(tmp), args.presets.split(","))
        fleet_rows = bench_fleet(Path(tmp), args.copies)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = REPO / "benchmarks" / "results" / f"update-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "cpus": __import__("os").cpu_count(),
                },
                "update": update_rows,
                "fleet": fleet_rows,
            },
            indent=2,
        )
    )
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
