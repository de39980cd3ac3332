"""The README starts with exactly two set-up commands, and CI runs the second one."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO


def setup_block() -> list[str]:
    match = re.search(r"\A# [^\n]+\n\n```sh\n(.*?)\n```", (REPO / "README.md").read_text(), re.S)
    assert match, "README.md must start with its title and then the set-up block"
    return match.group(1).splitlines()


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    demo, tests = setup_block()
    assert demo.endswith("uv run shipshape demo")
    assert "uv run pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text()
    extract = re.search(r'test_command="\$\((.*)\)"', script)
    assert extract, ".ci/run must read its test command from README.md"
    result = subprocess.run(
        ["bash", "-c", extract.group(1)], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == setup_block()[1]
