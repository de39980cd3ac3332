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


def unconditional_helps() -> dict[str, str]:
    """The start of each unconditional question's help, by name, in copier.yml's order.

    Copier shows each question's help before its prompt; conditional questions (`when`) are
    asked only when their condition holds on the defaults, so they are not expected.
    """
    questions = yaml.safe_load((REPO / "copier.yml").read_text())
    return {
        name: " ".join(spec["help"].split())[:30]
        for name, spec in questions.items()
        if isinstance(spec, dict) and "help" in spec and "when" not in spec
    }


def spawn_copier(tmp_path: Path) -> pexpect.spawn:
    """`copier copy` of this repository into tmp_path/my-app, in a terminal."""
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", NO_COLOR="1")
    return pexpect.spawn(
        COPIER,
        # HEAD: the working tree, not the newest release tag copier would pick by default.
        ["copy", "--trust", "--vcs-ref", "HEAD", str(REPO), "my-app"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 250),
    )


@pytest.mark.slow
def test_plain_copier_asks_every_unconditional_question_in_order(tmp_path: Path) -> None:
    helps = unconditional_helps()
    child = spawn_copier(tmp_path)
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
    helps = unconditional_helps()
    child = spawn_copier(tmp_path)
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
