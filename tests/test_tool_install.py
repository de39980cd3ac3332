"""The CLI installed as a tool (``uv tool install --from <checkout> shipshape``), as
docs/updating.md tells teams to, updates a project from inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_the_installed_tool_updates_a_project_from_inside_it(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv is not None, "uv is on PATH wherever this suite runs (.ci/run installs it)"
    tools = {"UV_TOOL_DIR": str(tmp_path / "tools"), "UV_TOOL_BIN_DIR": str(tmp_path / "bin")}
    env = os.environ | tools
    install = [uv, "tool", "install", "--quiet", "--from", str(REPO), "shipshape"]
    subprocess.run(install, env=env, check=True, capture_output=True, timeout=600)
    shipshape = tmp_path / "bin" / "shipshape"
    project = tmp_path / "team-app"
    new = [sys.executable, "-m", "shipshape", "new", str(project), "--preset", "minimal"]
    new += ["--defaults", "-d", "project_name=Team App"]
    subprocess.run(new, cwd=REPO, check=True, capture_output=True, timeout=600)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run(["git", *command], cwd=project, check=True, capture_output=True)

    version = subprocess.run(
        [str(shipshape), "--version"], env=env, capture_output=True, text=True, check=True
    )
    update = subprocess.run(
        [str(shipshape), "update"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert version.stdout.startswith("shipshape ")
    assert update.returncode == 0, update.stdout + update.stderr
    assert "up to date" in update.stdout + update.stderr
