"""Each rendered project passes its own checks: ruff, ruff format, mypy --strict, pytest, its
evals against the committed baseline and its red-team gates (all offline).

The projects are checked in this repo's environment, which holds the union of their
dependencies (tests/test_render.py keeps that true), instead of one `uv sync` per project.
``tests/test_newcomer.py`` does what a newcomer does, in a project of its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cases import CASE_IDS, CASES, Case

BIN = Path(sys.executable).parent
Rendered = Callable[[Case], Path]

pytestmark = pytest.mark.slow


def clean_env(project: Path) -> dict[str, str]:
    """The environment a developer has in the project: no pytest/xdist state from this run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_", "APP_", "DATABASE_"))
    }
    env["PYTHONPATH"] = str(project / "src")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(command: list[str], project: Path) -> str:
    result = subprocess.run(
        command,
        cwd=project,
        env=clean_env(project),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed in {project}:\n{output}"
    return output


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_ruff_check_passes(case: Case, rendered: Rendered) -> None:
    run([str(BIN / "ruff"), "check", "--no-cache", "."], rendered(case))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_ruff_format_finds_nothing_to_change(case: Case, rendered: Rendered) -> None:
    run([str(BIN / "ruff"), "format", "--check", "--no-cache", "."], rendered(case))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_mypy_strict_passes(
    case: Case, rendered: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # One cache per xdist worker: later projects reuse the third-party analysis, runs within a
    # worker are sequential so the cache is never written by two processes at once.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    cache = tmp_path_factory.getbasetemp().parent / f"mypy-cache-{worker}"
    run(
        [str(BIN / "python"), "-m", "mypy", "--strict", "--cache-dir", str(cache)],
        rendered(case),
    )


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_pytest_passes_with_nothing_skipped(case: Case, rendered: Rendered) -> None:
    output = run(
        [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"],
        rendered(case),
    )
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), summary
    # Services the options use (PostgreSQL) run in CI: a skip there would hide a broken test.
    assert "skipped" not in summary, output


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_evals_pass_against_the_committed_baseline(
    case: Case, rendered: Rendered, tmp_path: Path
) -> None:
    output = run(
        [str(BIN / "python"), "-m", "demo_app", "eval", "--report-dir", str(tmp_path)],
        rendered(case),
    )
    assert "pass rate 1.000" in output, output
    assert (tmp_path / "eval.json").is_file()
    assert (tmp_path / "eval.md").is_file()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_redteam_meets_its_block_and_false_positive_gates(
    case: Case, rendered: Rendered, tmp_path: Path
) -> None:
    output = run(
        [str(BIN / "python"), "-m", "demo_app", "redteam", "--report-dir", str(tmp_path)],
        rendered(case),
    )
    assert "attacks blocked" in output, output


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_prompt_lock_file_matches_the_prompts(case: Case, rendered: Rendered) -> None:
    run([str(BIN / "python"), "-m", "demo_app", "prompts", "check"], rendered(case))
