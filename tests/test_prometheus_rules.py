"""Every preset's alert rules pass `promtool check rules` and their unit tests.

promtool comes from Debian's `prometheus` package, unpacked (not installed) by
`.ci/fetch-promtool` into `.cache/promtool/`; this module fetches it itself when missing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cases import CASES, Case
from tests.conftest import REPO

PRESET_CASES = [case for case in CASES if case.id.startswith("preset=")]
CACHED = REPO / ".cache" / "promtool" / "promtool"


@pytest.fixture(scope="session")
def promtool() -> Path:
    found = shutil.which("promtool")
    if found:
        return Path(found)
    if not CACHED.is_file():
        fetched = subprocess.run(
            [str(REPO / ".ci" / "fetch-promtool")], capture_output=True, text=True, check=False
        )
        assert fetched.returncode == 0, f".ci/fetch-promtool failed:\n{fetched.stderr}"
    return CACHED


def promtool_run(promtool: Path, project: Path, *args: str) -> str:
    result = subprocess.run(
        [str(promtool), *args],
        cwd=project / "deploy" / "prometheus",
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


@pytest.mark.parametrize("case", PRESET_CASES, ids=[case.id for case in PRESET_CASES])
def test_alert_rules_pass_promtool_check(
    case: Case, rendered: Callable[[Case], Path], promtool: Path
) -> None:
    output = promtool_run(promtool, rendered(case), "check", "rules", "alerts.yml")
    assert "SUCCESS" in output


@pytest.mark.parametrize("case", PRESET_CASES, ids=[case.id for case in PRESET_CASES])
def test_alert_rule_unit_tests_pass(
    case: Case, rendered: Callable[[Case], Path], promtool: Path
) -> None:
    output = promtool_run(promtool, rendered(case), "test", "rules", "alerts.test.yml")
    assert "SUCCESS" in output
