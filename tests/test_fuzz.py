"""Schema fuzzing: schemathesis sends generated and edge-case requests to every operation of a
running generated service (its own OpenAPI document, an admin key) and no response may be a 5xx.

Rate limits are off so that the fuzzer reaches every stage; the seed is fixed so a failure
reproduces (``schemathesis run ... --seed``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.cases import Case
from tests.test_generated import clean_env

BIN = Path(sys.executable).parent
ADMIN_KEY = "sk-dev-fuzzing-admin"
SEED = "20261202"
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Presets covering every route: eu-gdpr (PostgreSQL, API keys and OIDC, data-subject routes)
# and minimal (SQLite, API keys only).
FUZZED = [Case(id="preset=eu-gdpr", preset="eu-gdpr"), Case(id="preset=minimal")]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _database(case: Case, project: Path) -> Iterator[str]:
    """A fresh database for the service: PostgreSQL for PostgreSQL presets, else SQLite."""
    if case.preset == "minimal":
        yield f"sqlite:///{project / 'var' / f'fuzz-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"fuzz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_until_up(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the service exited with {server.returncode}"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 - local server
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"the service did not answer at {url} within 60 s")


@pytest.mark.parametrize("case", FUZZED, ids=[case.id for case in FUZZED])
def test_schema_fuzzing_finds_no_server_error(
    case: Case, rendered: Callable[[Case], Path], tmp_path: Path
) -> None:
    # A copy: the fuzzed service writes its database, log and schemathesis state into the
    # project, and other tests read the shared rendering file by file.
    project = tmp_path / "project"
    shutil.copytree(rendered(case), project)
    package = "demo_app"
    with _database(case, project) as database_url:
        env = clean_env(project) | {
            "DATABASE_URL": database_url,
            "DEV_API_KEY": ADMIN_KEY,
            **{
                f"RATE_LIMIT_{scope}_{kind}": "0"
                for scope in ("KEY", "TENANT")
                for kind in ("REQUESTS", "TOKENS")
            },
        }
        python = str(BIN / "python")
        migrate = [python, "-m", package, "migrate"]
        subprocess.run(migrate, cwd=project, env=env, check=True, capture_output=True)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        # The log goes to a file: a pipe nobody reads while the fuzzer runs fills up and
        # blocks the server on its next log line.
        log_file = project / "var" / f"fuzz-{port}.log"
        log_file.parent.mkdir(exist_ok=True)
        with log_file.open("w") as output:
            server = subprocess.Popen(
                [python, "-m", package, "serve", "--port", str(port)],
                cwd=project,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        try:
            _wait_until_up(url, server)
            fuzz = subprocess.run(
                [
                    str(BIN / "schemathesis"),
                    "run",
                    f"{url}/openapi.json",
                    "--header",
                    f"Authorization: Bearer {ADMIN_KEY}",
                    "--checks",
                    "not_a_server_error",
                    "--max-examples",
                    "60",
                    "--seed",
                    SEED,
                    "--no-color",
                    # A request that hangs is a failure too, not a stalled test.
                    "--request-timeout",
                    "30",
                ],
                cwd=project,  # schemathesis keeps its state in .schemathesis/ there
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    log = log_file.read_text()
    report = fuzz.stdout + fuzz.stderr
    assert fuzz.returncode == 0, f"{report}\n--- service log ---\n{log[-5000:]}"
    operations = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", report)
    cases = re.search(r"(\d+) generated, (\d+) passed", report)
    assert operations is not None, report
    assert cases is not None, report
    selected, total, tested = map(int, operations.groups())
    assert selected == total == tested > 0, report
    generated, passed = map(int, cases.groups())
    assert generated == passed > 0, report
