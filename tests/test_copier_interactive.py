"""Plain copier, no shipshape code: `copier copy --trust <repo> my-app` asks every question."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import REPO

COPIER = shutil.which("copier", path=str(Path(sys.executable).parent)) or "copier"


@pytest.mark.slow
def test_plain_copier_asks_every_unconditional_question_in_order(tmp_path: Path) -> None:
    questions = yaml.safe_load((REPO / "copier.yml").read_text())
    # Copier shows each question's help before its prompt; conditional questions (`when`) are
    # asked only when their condition holds on the defaults, so they are not required here.
    helps = {
        name: " ".join(spec["help"].split())[:30]
        for name, spec in questions.items()
        if isinstance(spec, dict) and "help" in spec and "when" not in spec
    }
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", NO_COLOR="1")
    child = pexpect.spawn(
        COPIER,
        # HEAD: the working tree, not the newest release tag copier would pick by default.
        ["copy", "--trust", "--vcs-ref", "HEAD", str(REPO), "my-app"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 250),
    )
    asked: list[str] = []
    pending = dict(helps)
    while True:
        names = list(pending)
        index = child.expect([*(re.escape(pending[name]) for name in names), pexpect.EOF])
        if index == len(names):
            break
        for name in names[: index + 1]:  # earlier helps scroll by as redraws, never re-asked
            del pending[name]
        asked.append(names[index])
        child.send("\r")  # accept the suggested default
    child.close()

    assert child.exitstatus == 0, child.before
    assert asked == list(helps)
    answers = yaml.safe_load((tmp_path / "my-app" / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "My App"  # derived from the destination folder
    assert answers["package_name"] == "my_app"
    assert (tmp_path / "my-app" / "src" / "my_app").is_dir()


@pytest.mark.slow
def test_plain_copier_refuses_a_forbidden_combination_picked_interactively(
    tmp_path: Path,
) -> None:
    """Copier skips validators of choice questions when it asks them: kubernetes with SQLite
    is refused at the next validated prompt, before anything is written."""
    questions = yaml.safe_load((REPO / "copier.yml").read_text())
    helps = {
        name: " ".join(spec["help"].split())[:30]
        for name, spec in questions.items()
        if isinstance(spec, dict) and "help" in spec and "when" not in spec
    }
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", NO_COLOR="1")
    child = pexpect.spawn(
        COPIER,
        ["copy", "--trust", "--vcs-ref", "HEAD", str(REPO), "my-app"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 250),
    )
    pending, transcript = dict(helps), []
    while pending:
        names = list(pending)
        index = child.expect([*(re.escape(pending[name]) for name in names), pexpect.EOF])
        transcript.append(child.before)
        if index == len(names):  # copier stopped at the refused answer
            break
        for name in names[: index + 1]:
            del pending[name]
        # Down to Kubernetes at the deployment question; every other answer (SQLite among
        # them) is the default.
        child.send("\x1b[B\r" if names[index] == "deploy_target" else "\r")
    child.close()
    output = " ".join(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", "".join(transcript)).split())

    assert child.exitstatus != 0
    assert "deploy_target=kubernetes needs database=postgres" in output
    assert not (tmp_path / "my-app" / "src").exists()
