"""Do exactly what a newcomer does in a freshly generated project: `uv sync`, `make test`, ...

This is the one place the generated project is installed the way its README says, with uv
resolving its dependencies from PyPI, so a broken pyproject.toml or Makefile shows up here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from shipshape.demo import find_uv
from tests.conftest import render_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed"),
]


def newcomer_env() -> dict[str, str]:
    """A shell as a newcomer has it: none of this test run's virtualenv or pytest state."""
    # PYENV_VERSION and PYENV_DIR are set by pyenv's shim when this suite runs under
    # `uv run`: they would pin every shim to the suite's Python, which a newcomer's shell doesn't.
    launched_by: tuple[str, ...] = ("PYTEST_", "VIRTUAL_ENV", "UV_", "APP_", "DATABASE_")
    launched_by += ("PYENV_VERSION", "PYENV_DIR")
    return {key: value for key, value in os.environ.items() if not key.startswith(launched_by)}


def sh(command: list[str], cwd: Path) -> str:
    if command[0] == "uv":
        # pyenv's `uv` shim resolves through the project's .python-version, which may name a
        # Python that uv was not installed into: run the real binary, as the Makefile does.
        command = [find_uv(), *command[1:]]
    result = subprocess.run(
        command,
        cwd=cwd,
        env=newcomer_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output}"
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local test server
                return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def post_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - local test server
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        payload: dict[str, Any] = json.load(response)
        return payload


def readme_dev_key(project: Path) -> str:
    """The bearer key the README's quickstart curl uses, which must be .env.example's."""
    readme = (project / "README.md").read_text()
    match = re.search(r"Authorization: Bearer (\S+?)'", readme)
    assert match, "the README's quickstart shows no Authorization header"
    assert f"DEV_API_KEY={match.group(1)}" in (project / ".env.example").read_text()
    return match.group(1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = render_project(tmp_path_factory.mktemp("newcomer") / "demo-app", preset="minimal")
    sh(["uv", "sync"], root)
    return root


def test_make_test_passes_after_uv_sync(project: Path) -> None:
    output = sh(["make", "test"], project)
    assert " passed" in output


def test_make_lint_passes(project: Path) -> None:
    sh(["make", "lint"], project)


def test_make_eval_passes_prompt_lock_evals_and_red_team(project: Path) -> None:
    output = sh(["make", "eval"], project)
    assert "match prompts/prompts.lock" in output
    assert "pass rate 1.000" in output
    assert "attacks blocked" in output


@pytest.mark.parametrize(
    "command",
    [["uv", "run", "demo-app", "--help"], ["uv", "run", "python", "-m", "demo_app", "--help"]],
    ids=["console-script", "python-m"],
)
def test_cli_lists_serve_and_migrate(project: Path, command: list[str]) -> None:
    output = sh(command, project)
    assert "serve" in output
    assert "migrate" in output


def test_make_dev_serves_a_chat_completion_from_the_fake_provider(project: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        ["make", "dev", f"PORT={port}"],
        cwd=project,
        env=newcomer_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", time.monotonic() + 60)
        answer = post_json(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            {"model": "fast", "messages": [{"role": "user", "content": "ping from a newcomer"}]},
            # What the generated README's curl sends: the development key of .env.example.
            {"Authorization": f"Bearer {readme_dev_key(project)}"},
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert answer["object"] == "chat.completion"
    assert "ping from a newcomer" in answer["choices"][0]["message"]["content"]
    assert answer["usage"]["total_tokens"] > 0
