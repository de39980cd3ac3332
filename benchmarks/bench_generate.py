"""How long generating a project takes.

    uv run python benchmarks/bench_generate.py [--repeat N] [--skip-make-test]

(a) Render time of every preset in ``presets/`` against copier's fixed cost, measured as the
    render time of a one-file template built in a temporary folder. Both go through the same
    path (a local git repository handed to ``copier.run_copy``, defaults, quiet, trusted), runs
    are interleaved so drift hits every subject alike, one warm-up run each is discarded, and the
    median of N runs is reported. Goal: every preset renders within 2x the one-file template.
(b) Time from ``copier copy`` to a green ``make test`` for the default preset: render, then
    ``uv sync``, then ``make test`` in the new project, each phase timed (one run; uv's cache
    is whatever this machine has, see the JSON's ``uv_cache`` note).

Results are printed as tables and written as JSON to ``benchmarks/results/``. This measures; it
asserts nothing and is not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import copier
import yaml

REPO = Path(__file__).resolve().parents[1]
PRESETS = REPO / "presets"
RESULTS = REPO / "benchmarks" / "results"
DEFAULT_PRESET = "minimal"
GOAL_RATIO = 2.0
BASELINE = "one-file template"
PLAIN_BASELINE = "one-file, plain folder"
PROJECT_NAME = "Bench App"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def one_file_template(root: Path, *, with_git: bool = True) -> Path:
    """A copier template with one question and one file, committed to git like the real one."""
    root.mkdir(parents=True)
    (root / "copier.yml").write_text(
        "_subdirectory: template\nproject_name:\n  type: str\n  help: Name\n  default: Demo\n",
        encoding="utf-8",
    )
    (root / "template").mkdir()
    (root / "template" / "README.md.jinja").write_text("# {{ project_name }}\n", encoding="utf-8")
    if with_git:
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "one-file template")
    return root


def plain_copy_of_repo(root: Path) -> Path:
    """The template's files without git: copier renders a plain folder in place, no clone."""
    root.mkdir(parents=True)
    shutil.copy2(REPO / "copier.yml", root / "copier.yml")
    shutil.copytree(REPO / "template", root / "template")
    return root


def preset_answers(name: str) -> dict[str, Any]:
    data = yaml.safe_load((PRESETS / f"{name}.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"presets/{name}.yml is not a mapping"
    return {"project_name": PROJECT_NAME, **data}


def render(src: Path, dst: Path, data: dict[str, Any], vcs_ref: str | None = None) -> float:
    """Render ``src`` into ``dst`` the way users do non-interactively; return seconds taken."""
    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # "No git tags found" despite quiet=True
        copier.run_copy(
            str(src), str(dst), data=data, defaults=True, unsafe=True, quiet=True, vcs_ref=vcs_ref
        )
    return time.perf_counter() - start


def bench_render(repeat: int, work: Path, vcs_ref: str | None) -> dict[str, Any]:
    """Median render times; the goal compares each preset with the one-file template.

    Diagnostic rows (not part of the goal) render plain folders instead of git repositories,
    which separates copier's clone of the template from the rendering itself.
    """
    one_file = one_file_template(work / "one-file-template")
    one_file_plain = one_file_template(work / "one-file-plain", with_git=False)
    repo_plain = plain_copy_of_repo(work / "shipshape-plain")
    name_only = {"project_name": PROJECT_NAME}
    # name -> (template, answers, the subject its ratio is computed against)
    subjects: dict[str, tuple[Path, dict[str, Any], str]] = {BASELINE: (one_file, name_only, "")}
    presets = [path.stem for path in sorted(PRESETS.glob("*.yml"))]
    for name in presets:
        subjects[name] = (REPO, preset_answers(name), BASELINE)
    subjects[PLAIN_BASELINE] = (one_file_plain, name_only, "")
    subjects[f"{DEFAULT_PRESET}, plain folder"] = (
        repo_plain,
        preset_answers(DEFAULT_PRESET),
        PLAIN_BASELINE,
    )
    runs: dict[str, list[float]] = {name: [] for name in subjects}
    counter = 0
    for round_number in range(repeat + 1):  # round 0 warms caches and is discarded
        for name, (src, data, _) in subjects.items():
            counter += 1
            ref = vcs_ref if src == REPO else None
            seconds = render(src, work / "out" / f"{counter}-app", data, ref)
            if round_number:
                runs[name].append(seconds)
    results: dict[str, Any] = {}
    for name, (_, _, against) in subjects.items():
        times = runs[name]
        median = statistics.median(times)
        base = statistics.median(runs[against or name])
        results[name] = {
            "median_s": round(median, 4),
            "min_s": round(min(times), 4),
            "max_s": round(max(times), 4),
            "runs_s": [round(t, 4) for t in times],
            "ratio": round(median / base, 2),
            "ratio_against": against or name,
        }
    passed = all(results[name]["ratio"] <= GOAL_RATIO for name in presets)
    return {
        "subjects": results,
        "goal": f"every preset renders within {GOAL_RATIO:g}x the one-file template's time",
        "goal_passed": passed,
    }


class BenchError(Exception):
    """Part (b) could not reach a green `make test`; the message says which step failed."""


def newcomer_env() -> dict[str, str]:
    """The environment of a fresh shell: no virtualenv or uv settings of this process."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "UV_", "PYTEST_", "APP_", "DATABASE_"))
    }


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, env=newcomer_env(), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed after {seconds:.1f}s:\n{output[-3000:]}")
    return seconds, output


def resolve_uv(project: Path) -> str:
    """uv as the generated Makefile finds it: on PATH, else through pyenv when its shim fails."""
    check = subprocess.run(
        ["uv", "--version"], cwd=project, env=newcomer_env(), capture_output=True, check=False
    )
    if check.returncode == 0:
        return "uv"
    found = subprocess.run(
        ["pyenv", "whence", "--path", "uv"], capture_output=True, text=True, check=False
    ).stdout.split()
    if not found:
        raise BenchError("uv is not installed (or pass --skip-make-test)")
    return found[-1]


def bench_make_test(work: Path, vcs_ref: str | None) -> dict[str, Any]:
    """Seconds from `copier copy` to a green `make test` for the default preset."""
    if shutil.which("uv") is None or shutil.which("make") is None:
        raise SystemExit("part (b) needs uv and make on PATH (or pass --skip-make-test)")
    project = work / "bench-app"
    phases: dict[str, float] = {}
    phases["render"] = render(REPO, project, preset_answers(DEFAULT_PRESET), vcs_ref)
    if not (project / "Makefile").is_file():
        raise BenchError("the generated project has no Makefile yet (pass --skip-make-test)")
    phases["uv_sync"], _ = timed([resolve_uv(project), "sync"], project)
    phases["make_test"], output = timed(["make", "test"], project)
    summary = next(
        (line.strip("= ") for line in reversed(output.splitlines()) if " passed" in line), ""
    )
    return {
        "preset": DEFAULT_PRESET,
        "phases_s": {name: round(seconds, 2) for name, seconds in phases.items()},
        "total_s": round(sum(phases.values()), 2),
        "pytest_summary": summary,
        "uv_cache": "warm: the machine's uv cache as found (packages already downloaded)",
    }


def command_version(*command: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return "not installed"
    return (result.stdout or result.stderr).strip().splitlines()[0]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "copier": importlib.metadata.version("copier"),
        "uv": command_version("uv", "--version"),
        "git": command_version("git", "--version"),
        "load_average_1_5_15": [round(load, 2) for load in os.getloadavg()],
    }


def template_state() -> dict[str, Any]:
    return {
        "commit": git(REPO, "rev-parse", "HEAD"),
        "dirty": bool(git(REPO, "status", "--porcelain", "--", "copier.yml", "template")),
    }


def print_render_table(result: dict[str, Any], repeat: int) -> None:
    print(f"\n(a) render time, median of {repeat} runs (one warm-up run each discarded)")
    print(f"{'subject':<24} {'median s':>9} {'min s':>8} {'max s':>8} {'ratio':>6}  against")
    for name, row in result["subjects"].items():
        print(
            f"{name:<24} {row['median_s']:>9.3f} {row['min_s']:>8.3f} {row['max_s']:>8.3f}"
            f" {row['ratio']:>5.2f}x  {row['ratio_against']}"
        )
    verdict = "PASS" if result["goal_passed"] else "FAIL"
    print(f"goal: {result['goal']}: {verdict}")


def print_make_test(result: dict[str, Any]) -> None:
    print(f"\n(b) copier copy -> green make test, preset {result['preset']} (one run)")
    for name, seconds in result["phases_s"].items():
        print(f"{name:<10} {seconds:>8.2f} s")
    print(f"{'total':<10} {result['total_s']:>8.2f} s   ({result['pytest_summary']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per subject (5)")
    parser.add_argument(
        "--skip-make-test", action="store_true", help="skip (b), the copy-to-green-tests timing"
    )
    parser.add_argument(
        "--vcs-ref",
        metavar="REF",
        help="render this commit or tag of shipshape (default: the working tree, edits included)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    warnings.filterwarnings("ignore", module="copier")  # DirtyLocalWarning on a working tree
    started = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {
        "benchmark": "generate",
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "template": {**template_state(), "vcs_ref": args.vcs_ref},
        "repeat": args.repeat,
    }
    with tempfile.TemporaryDirectory(prefix="shipshape-bench-") as tmp:
        report["render"] = bench_render(args.repeat, Path(tmp), args.vcs_ref)
        print_render_table(report["render"], args.repeat)
        report["make_test"] = None
        if not args.skip_make_test:
            try:
                report["make_test"] = bench_make_test(Path(tmp), args.vcs_ref)
            except BenchError as error:
                report["make_test"] = {"error": str(error)}
                print(f"\n(b) no green make test: {error}", file=sys.stderr)
            else:
                print_make_test(report["make_test"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"generate-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(REPO)}")
    return 1 if report["make_test"] and "error" in report["make_test"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
