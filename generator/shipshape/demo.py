"""The demo: generate a project, run it, talk to it, run its tests, printing each step."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from shipshape import presets, project
from shipshape.errors import CheckFailed, UsageError
from shipshape.template import Template

#: Folder the demo renders into when none is given.
DEFAULT_DIR = Path("demo-app")

#: What the demo asks the generated service.
PROMPT = "Hello from shipshape"

_READY_TIMEOUT = 120.0
_VERSION = re.compile(r"^\d+\.\d+$")


def find_uv() -> str:
    """The path of the ``uv`` executable, seen through pyenv's shims.

    A pyenv shim picks its target from the ``.python-version`` of the folder it runs in, and
    the generated project's version may not be the one uv was installed into.
    """
    found = shutil.which("uv")
    if found is None:
        raise UsageError(
            "uv is not installed: the demo runs the project with uv "
            "(install it with `pip install uv` or see https://docs.astral.sh/uv/)"
        )
    if Path(found).parent.name != "shims" or shutil.which("pyenv") is None:
        return found
    for command in (["pyenv", "which", "uv"], ["pyenv", "whence", "--path", "uv"]):
        result = subprocess.run(
            command, cwd=Path.home(), capture_output=True, text=True, check=False
        )
        lines = result.stdout.strip().splitlines()
        if result.returncode == 0 and lines and Path(lines[0]).is_file():
            return lines[0]
    return found


def choose_python(
    version: str,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    uv: str = "uv",
) -> tuple[str, str | None]:
    """Pick the interpreter uv should use (``UV_PYTHON``) for a project on Python ``version``.

    In order: the user's ``UV_PYTHON``; what ``uv python find VERSION`` finds; pyenv's
    ``versions/VERSION.*/bin/pythonVERSION`` (uv does not see through pyenv's shims); else the
    running interpreter, with a note to print. Returns ``(interpreter, note or None)``.
    """
    environ = os.environ if environ is None else environ
    if environ.get("UV_PYTHON"):
        return environ["UV_PYTHON"], None
    if _VERSION.match(version):
        found = _uv_find(uv, version, environ)
        if found:
            return found, None
        pyenv_root = Path(environ.get("PYENV_ROOT") or (home or Path.home()) / ".pyenv")
        candidates = [
            path / "bin" / f"python{version}"
            for path in (pyenv_root / "versions").glob(f"{version}.*")
            if re.fullmatch(rf"{re.escape(version)}\.\d+", path.name)
        ]
        candidates.sort(key=lambda path: int(path.parent.parent.name.rsplit(".", 1)[1]))
        for candidate in reversed(candidates):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate), None
    running = ".".join(map(str, sys.version_info[:2]))
    return sys.executable, (
        f"note: Python {version} (the project's .python-version) was not found by uv or pyenv; "
        f"using the running Python {running} ({sys.executable}). "
        "Set UV_PYTHON to choose another interpreter."
    )


def _uv_find(uv: str, version: str, environ: Mapping[str, str]) -> str | None:
    env = {key: value for key, value in environ.items() if key != "VIRTUAL_ENV"}
    try:
        result = subprocess.run(
            [uv, "python", "find", "--no-project", version],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.strip().splitlines()
    return lines[-1] if result.returncode == 0 and lines else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run(
    dst: Path,
    template: Template,
    *,
    force: bool = False,
    out: IO[str] | None = None,
) -> None:
    """Run the whole demo in ``dst``; raise :class:`CheckFailed` naming the step that failed."""
    out = out or sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    if dst.exists() and not dst.is_dir():
        raise UsageError(f"{dst} exists and is not a folder: choose another DIR")
    if dst.is_dir() and any(dst.iterdir()) and not force:
        raise UsageError(
            f"{dst} is not empty: choose another DIR, or pass --force to render over it"
        )
    preset = presets.find(presets.DEFAULT, template.presets_dir)
    say(f"==> Generating {dst} from the {preset.name!r} preset")
    # A local checkout demos what it holds (HEAD plus uncommitted edits), not its newest tag.
    vcs_ref = "HEAD" if template.root is not None else None
    project.new(
        dst, template, preset.answers(), defaults=True, overwrite=force, quiet=True, vcs_ref=vcs_ref
    )
    answers = project.recorded_answers(dst)
    slug = str(answers.get("project_slug") or dst.name)
    version_file = dst / ".python-version"
    version = (
        version_file.read_text(encoding="utf-8").strip()
        if version_file.is_file()
        else str(answers.get("python_version", ""))
    )
    uv = find_uv()
    python, note = choose_python(version, uv=uv)
    if note:
        say(note)
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["UV_PYTHON"] = python

    def step(*command: str) -> None:
        say(f"==> $ {_shown(command)}")
        _check(subprocess.run(command, cwd=dst, env=env, check=False).returncode, command)

    step(uv, "sync")
    step(uv, "run", slug, "migrate")
    api_key = _api_key(uv, slug, dst, env, say)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = (uv, "run", slug, "serve", "--host", "127.0.0.1", "--port", str(port))
    say(f"==> $ {_shown(serve)} (in the background)")
    with tempfile.TemporaryFile(mode="w+", prefix="shipshape-demo-") as log:
        server = subprocess.Popen(
            serve, cwd=dst, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_ready(f"{base}/readyz", server, log)
            say(f"==> Service ready at {base}; POST /v1/chat/completions")
            reply = _chat(base, api_key)
            message = reply["choices"][0]["message"]["content"]
            say(f"    answer: {message}")
            say(f"    usage:  {json.dumps(reply.get('usage', {}))}")
        finally:
            say("==> Stopping the service")
            _stop(server)
    step(uv, "run", "pytest", "-q")
    say(f"==> Demo finished. Your project is in {dst}: cd {dst} && make dev")


def _api_key(uv: str, slug: str, dst: Path, env: dict[str, str], say: Callable[[str], None]) -> str:
    """An API key for the demo request: created the way the generated README says.

    A project without API keys (OIDC only) gets its development key instead, set for the
    service through ``DEV_API_KEY`` exactly as ``.env.example`` does for ``make dev``.
    """
    auth = project.recorded_answers(dst).get("auth", "api_key")
    if auth == "oidc":
        env["DEV_API_KEY"] = f"sk-demo-{secrets.token_hex(8)}"
        say("==> OIDC-only project: using a development key (DEV_API_KEY) for the demo request")
        return env["DEV_API_KEY"]
    command = (uv, "run", slug, "keys", "create", "--tenant", "demo", "--role", "user")
    say(f"==> $ {_shown((*command, '--name', 'shipshape demo'))}")
    result = subprocess.run(
        (*command, "--name", "shipshape demo"),
        cwd=dst,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    _check(result.returncode, command)
    key = result.stdout.strip().splitlines()[-1]
    say(f"    {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'key created'}")
    return key


def _shown(command: Sequence[str]) -> str:
    """The command as a user would type it (``uv``, not the resolved path of uv)."""
    first = "uv" if Path(command[0]).name == "uv" else command[0]
    return shlex.join([first, *command[1:]])


def _check(returncode: int, command: Sequence[str]) -> None:
    if returncode != 0:
        raise CheckFailed(f"step `{_shown(command)}` failed with exit code {returncode}")


def _wait_ready(url: str, server: subprocess.Popen[bytes], log: IO[str]) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CheckFailed(
                f"the service exited with code {server.returncode} before it was ready:\n"
                + _tail(log)
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http URL we build)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise CheckFailed(f"{url} did not answer 200 within {_READY_TIMEOUT:.0f}s:\n" + _tail(log))


def _chat(base: str, api_key: str) -> dict[str, Any]:
    body = json.dumps({"model": "fast", "messages": [{"role": "user", "content": PROMPT}]}).encode()
    request = urllib.request.Request(  # noqa: S310 (http URL we build)
        f"{base}/v1/chat/completions",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            reply: dict[str, Any] = json.load(response)
            return reply
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise CheckFailed(f"POST /v1/chat/completions answered {error.code}: {detail}") from error
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        raise CheckFailed(f"POST /v1/chat/completions failed: {error}") from error


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


def _tail(log: IO[str], lines: int = 30) -> str:
    log.flush()
    log.seek(0)
    return "\n".join(log.read().splitlines()[-lines:])
