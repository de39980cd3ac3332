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

from tests.cases import CASE_IDS, CASES, LINT_CASE_IDS, LINT_CASES, Case

BIN = Path(sys.executable).parent
Rendered = Callable[[Case], Path]

# Lint and types run on every case (LINT_CASES: presets, one option at a time, the pairwise
# covering array, the project-name sweep): a few seconds each. The project's own tests, evals
# and red team run on CASES only (about a minute per project; see tests/cases.py).

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


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_ruff_check_passes(case: Case, rendered: Rendered) -> None:
    run([str(BIN / "ruff"), "check", "--no-cache", "."], rendered(case))


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_ruff_format_finds_nothing_to_change(case: Case, rendered: Rendered) -> None:
    run([str(BIN / "ruff"), "format", "--check", "--no-cache", "."], rendered(case))


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
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
        [str(BIN / "python"), "-m", case.package, "eval", "--report-dir", str(tmp_path)],
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
        [str(BIN / "python"), "-m", case.package, "redteam", "--report-dir", str(tmp_path)],
        rendered(case),
    )
    assert "attacks blocked" in output, output


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_prompt_lock_file_matches_the_prompts(case: Case, rendered: Rendered) -> None:
    run([str(BIN / "python"), "-m", case.package, "prompts", "check"], rendered(case))


#: What a developer's shell may hold: the service's own settings, pointing somewhere else.
EXPORTED_SETTINGS = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/elsewhere",
    "DEV_API_KEY": "sk-from-the-developers-shell",
    "BUDGET_STORE": "redis",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "LOG_LEVEL": "DEBUG",
}
#: The generated tests that build Settings, run the CLI in subprocesses or read the environment.
SETTINGS_TESTS = [
    "tests/foundation/test_settings.py",
    "tests/test_app.py",
    "tests/test_cli.py",
    "tests/observability",
    "tests/gateway/providers/test_lazy.py",
]


def test_generated_tests_ignore_settings_exported_in_the_developers_shell(
    rendered: Rendered,
) -> None:
    """Every variable Settings reads is exported (a value no field accepts, or a plausible one
    pointing elsewhere): the generated tests/conftest.py must clear them, so the tests pass."""
    case = next(case for case in CASES if case.id == "preset=enterprise-sso")  # every server
    project = rendered(case)
    fields = run(
        [
            str(BIN / "python"),
            "-c",
            f"from {case.package}.foundation.settings import Settings; "
            "print(' '.join(Settings.model_fields))",
        ],
        project,
    ).split()
    assert {"app_env", "database_url", "dev_api_key", "redis_url"} <= set(fields)
    exported = {name.upper(): "from-the-developers-shell" for name in fields} | EXPORTED_SETTINGS
    result = subprocess.run(
        [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SETTINGS_TESTS],
        cwd=project,
        env=clean_env(project) | exported,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^\d+ passed in", result.stdout, re.MULTILINE), output
