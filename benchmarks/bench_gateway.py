"""What the generated service's request pipeline costs, over HTTP, next to a bare endpoint.

    uv run python benchmarks/bench_gateway.py                      # 3 rounds x 10 s per point
    uv run python benchmarks/bench_gateway.py --rounds 1 --seconds 2 --warmup 1 --starts 1
    uv run --with py-spy python benchmarks/bench_gateway.py --profile
    uv run python benchmarks/bench_gateway.py --subjects service,bare --write-docs

Needs ``wrk`` (Debian: ``apt-get install -y wrk``), ``taskset``, ``uv`` and 2 CPUs or more;
the Redis and PostgreSQL variants need servers on 127.0.0.1:6379 and :5432 (trust auth), the
LiteLLM subject needs PyPI (``litellm[proxy]`` is installed into its own venv). A subject that
cannot be prepared is skipped with the reason in the results.

One run, every subject in it:

``service``               the default preset (``minimal``) rendered from this working tree,
                          installed with ``uv sync`` into its own venv, migrated, an API key
                          made with its CLI; every stage on (API key auth, tenant, rate
                          limits, database budget store, guardrails, flags, prompt, response
                          cache lookup and store, offline ``fake`` provider, output checks,
                          interactions + cost-ledger + audit rows, the request's log line)
``service-memory-budget`` the same with ``BUDGET_STORE=memory`` (what the database store costs)
``service-redis``         rendered with ``cache_backend=redis``: cache, rate-limit windows and
                          budget counters in Redis (``REDIS_URL``)
``service-postgres``      rendered with ``database=postgres``: SQLAlchemy on PostgreSQL
``bare``                  a FastAPI endpoint in the service's venv returning the service's own
                          answer (fresh id and timestamp): the framework's floor
``litellm``               the LiteLLM proxy (``--litellm-version``) with a ``mock_response``
                          model: no provider is called

Each server is ``uvicorn`` with one worker pinned to one CPU (``taskset -c 0``); ``wrk`` with
one thread is pinned to another (``taskset -c 1``), and so is this script. Every request has
a unique prompt with ``temperature: 0``, so the service looks up and stores a cache entry on
every request and never answers from the cache. Per subject: start-to-first-200 (process
spawn until ``/healthz``, and until the first chat completion, answer 200; median of
``--starts`` spawns), one warm-up, then ``--rounds`` rounds of ``--seconds`` at each
concurrency, interleaved across subjects so background load hits them alike; the medians of
the rounds are reported (requests per second, p50, p99), then the RSS after the load.
``--profile`` records a py-spy profile (speedscope) of ``service`` under concurrency 16 and
lists its top self-time frames.

Results: JSON in ``benchmarks/results/gateway-<UTC time>.json`` and a Markdown summary printed
(``--write-docs`` puts it between the markers in docs/benchmarks.md). This measures; it asserts
nothing. Targets: ``service`` keeps >= 25% of ``bare``'s requests per second at concurrency 16
(goal 50%), its p99 at concurrency 16 <= 10 x ``bare``'s, start-to-first-200 <= 1.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
DOCS = REPO / "docs" / "benchmarks.md"
DOCS_BEGIN = "<!-- bench_gateway:begin -->"
DOCS_END = "<!-- bench_gateway:end -->"
PRESET = "minimal"
SLUG, PACKAGE = "bench-app", "bench_app"
# A tenant of its own per run: the Redis keys it leaves are told apart from anyone else's.
TENANT, ROLE = f"bench-{uuid.uuid4().hex[:8]}", "user"
ALL_SUBJECTS = (
    "service",
    "service-memory-budget",
    "service-redis",
    "service-postgres",
    "bare",
    "litellm",
)
CHAT_PATH = "/v1/chat/completions"
# wrk's Lua fills in the run id and a request counter: every prompt differs.
BODY_FORMAT = (
    '{"model": "fast", "temperature": 0, "messages": [{"role": "user", '
    '"content": "Hello, how are you today? Request %s n%d."}]}'
)
# Targets of the issue, judged on `service` against `bare` at concurrency 16.
TARGET_RATIO, GOAL_RATIO = 0.25, 0.50
TARGET_P99_FACTOR = 10
TARGET_START_S = 1.5
UNLIMITED = str(10**12)  # rate limits stay on (the stage runs) but never refuse
LITELLM_KEY = "sk-bench-litellm-master"

BARE_APP = '''"""The floor: FastAPI returning the service's answer, nothing else."""

import json
import os
import time
import uuid
from pathlib import Path

from fastapi import FastAPI

ANSWER = json.loads(Path(os.environ["BARE_ANSWER_FILE"]).read_text())
app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.post("/v1/chat/completions")
async def chat(body: dict) -> dict:
    return {**ANSWER, "id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
'''

# Used by `bare` when no `service` answered (it is not in --subjects, or failed).
DEFAULT_ANSWER: dict[str, Any] = {
    "id": "chatcmpl-0",
    "object": "chat.completion",
    "created": 0,
    "model": "echo-fast",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello, how are you today?"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 7, "completion_tokens": 7, "total_tokens": 14},
}

LUA_SCRIPT = """-- Written by benchmarks/bench_gateway.py.
local run, counter = "0", 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{headers}
local body = [[{body}]]

function init(args)
  run = args[1] or "0"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format(body, run, counter))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {{"requests": %d, "duration_us": %d, "errors": {{"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}}, "latency_us": {{"p50": %d, "p90": %d, ' ..
    '"p99": %d, "max": %d, "mean": %.1f}}}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""

LITELLM_CONFIG = """# Written by benchmarks/bench_gateway.py: one model, answered by LiteLLM itself.
model_list:
  - model_name: fast
    litellm_params:
      model: openai/echo-fast
      api_key: sk-not-used
      mock_response: "Hello, how are you today?"
general_settings:
  master_key: {key}
litellm_settings:
  telemetry: false
"""


class BenchError(Exception):
    """A subject could not be prepared or served; the message says why."""


@dataclass
class Options:
    """The command line, checked."""

    subjects: list[str]
    concurrency: list[int]
    rounds: int
    seconds: float
    warmup: float
    starts: int
    server_cpu: int
    client_cpu: int
    python: str | None
    redis_url: str
    postgres_url: str
    litellm_version: str
    profile: bool
    profile_seconds: float
    write_docs: bool
    keep: bool


@dataclass
class Subject:
    """One server to measure: how to start it and how to call it."""

    name: str
    about: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    health_path: str
    headers: dict[str, str]
    log: Path
    packages: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Tools:
    """Programs the run needs, resolved once."""

    uv: str
    wrk: str
    taskset: str
    py_spy: str | None = None


# --- command line -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--subjects",
        default=",".join(ALL_SUBJECTS),
        help="comma-separated, from: %(default)s",
    )
    parser.add_argument("--concurrency", default="1,16,64", help="wrk -c values (%(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per point (%(default)s)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per round (%(default)s)")
    parser.add_argument("--warmup", type=float, default=5, help="warm-up seconds (%(default)s)")
    parser.add_argument("--starts", type=int, default=3, help="spawns timed (%(default)s)")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU of the servers")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU of wrk and this script")
    parser.add_argument("--python", help="interpreter for the generated venvs (default: as make)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a database the run may create (and drop) its own database from",
    )
    parser.add_argument("--litellm-version", default="1.108.7")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy profile of `service` at concurrency 16"
    )
    parser.add_argument("--profile-seconds", type=float, default=10)
    parser.add_argument(
        "--write-docs", action="store_true", help="put the summary into docs/benchmarks.md"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, venvs)")
    args = parser.parse_args(argv)
    subjects = [name.strip() for name in args.subjects.split(",") if name.strip()]
    unknown = sorted(set(subjects) - set(ALL_SUBJECTS))
    if unknown:
        parser.error(f"unknown subjects {unknown}; choose from {', '.join(ALL_SUBJECTS)}")
    if args.rounds < 1 or args.starts < 1 or args.seconds <= 0:
        parser.error("--rounds and --starts must be >= 1, --seconds > 0")
    concurrency = [int(value) for value in args.concurrency.split(",")]
    return Options(
        subjects=[name for name in ALL_SUBJECTS if name in subjects],
        concurrency=concurrency,
        rounds=args.rounds,
        seconds=args.seconds,
        warmup=args.warmup,
        starts=args.starts,
        server_cpu=args.server_cpu,
        client_cpu=args.client_cpu,
        python=args.python,
        redis_url=args.redis_url,
        postgres_url=args.postgres_url,
        litellm_version=args.litellm_version,
        profile=args.profile,
        profile_seconds=args.profile_seconds,
        write_docs=args.write_docs,
        keep=args.keep,
    )


# --- tools and environments ---------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """This process's environment without virtualenv, uv and service settings."""
    dropped = ("VIRTUAL_ENV", "UV_", "PYTHON", "APP_", "DATABASE_", "REDIS_", "BUDGET_", "CACHE_")
    return {key: value for key, value in os.environ.items() if not key.startswith(dropped)}


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    """Run a command to completion; its stdout, or BenchError with the end of its output."""
    try:
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{' '.join(command)}: {exc}") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise BenchError(f"{' '.join(command)} exited {result.returncode}:\n{output}")
    return result.stdout


def resolve_uv() -> str:
    """uv itself, not a pyenv shim (a shim fails in a folder whose .python-version it lacks)."""
    with contextlib.suppress(BenchError):
        run(["uv", "--version"], Path(tempfile.gettempdir()), clean_env())
        found = shutil.which("uv")
        if found and ".pyenv/shims" not in found:
            return found
    with contextlib.suppress(BenchError):
        paths = run(["pyenv", "whence", "--path", "uv"], REPO, clean_env()).split()
        if paths:
            return paths[-1]
    found = shutil.which("uv")
    if found is None:
        raise SystemExit("uv is not installed: https://docs.astral.sh/uv/")
    return found


def resolve_tools() -> Tools:
    missing = [name for name in ("wrk", "taskset") if shutil.which(name) is None]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: apt-get install -y wrk util-linux")
    return Tools(
        uv=resolve_uv(), wrk=str(shutil.which("wrk")), taskset=str(shutil.which("taskset"))
    )


def find_python(uv: str, project: Path, wanted: str | None) -> str:
    """The interpreter as the generated Makefile picks it: .python-version, else 3.13..3.11."""
    if wanted:
        return wanted
    pinned = project / ".python-version"
    versions = [pinned.read_text().strip()] if pinned.exists() else []
    versions += ["3.13", "3.12", "3.11"]
    for version in versions:
        with contextlib.suppress(BenchError):
            return run([uv, "python", "find", version], project, clean_env()).strip()
    return sys.executable


def find_py_spy(tools: Tools, work: Path) -> str:
    """py-spy from this environment (``uv run --with py-spy``), PATH, or a venv of the run."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    if shutil.which("py-spy"):
        return str(shutil.which("py-spy"))
    venv = work / "tools-venv"
    run([tools.uv, "venv", "--quiet", str(venv)], work, clean_env())
    run([tools.uv, "pip", "install", "--quiet", "py-spy"], work, venv_env(venv))
    return str(venv / "bin" / "py-spy")


def venv_env(venv: Path) -> dict[str, str]:
    return {**clean_env(), "VIRTUAL_ENV": str(venv)}


def package_versions(python: str, names: list[str]) -> dict[str, str]:
    """Installed versions in the interpreter's environment ("-" when absent)."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "def v(n):\n"
        "    try: return m.version(n)\n"
        "    except m.PackageNotFoundError: return '-'\n"
        "print(json.dumps({n: v(n) for n in sys.argv[1:]}))"
    )
    output = run([python, "-c", code, *names], REPO, clean_env())
    versions: dict[str, str] = json.loads(output)
    return versions


SERVER_PACKAGES = ["fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools"]


# --- the generated service ----------------------------------------------------------------


def render(dst: Path, data: dict[str, Any]) -> Path:
    """The preset's answers plus ``data``, rendered from this working tree (edits included)."""
    answers: dict[str, Any] = {"project_name": "Bench App"}
    answers.update(yaml.safe_load((REPO / "presets" / f"{PRESET}.yml").read_text()))
    answers.update(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning: the working tree, on purpose
        copier.run_copy(
            str(REPO),
            str(dst),
            data=answers,
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
        )
    return dst


def install(tools: Tools, project: Path, python: str | None) -> Path:
    """``uv sync`` the project's runtime dependencies into its own .venv; its interpreter."""
    interpreter = find_python(tools.uv, project, python)
    run([tools.uv, "sync", "--no-dev", "--python", interpreter], project, clean_env())
    return project / ".venv" / "bin" / "python"


def service_env(database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """Settings of a generated service under load: development, every stage on, no limits hit."""
    env = {
        **clean_env(),
        "APP_ENV": "development",
        "LOG_LEVEL": "INFO",
        "DATABASE_URL": database_url,
        "BUDGET_STORE": "database",
        "CACHE_TTL_S": "600",
        "RATE_LIMIT_KEY_REQUESTS": UNLIMITED,
        "RATE_LIMIT_KEY_TOKENS": UNLIMITED,
        "RATE_LIMIT_TENANT_REQUESTS": UNLIMITED,
        "RATE_LIMIT_TENANT_TOKENS": UNLIMITED,
    }
    env.update(extra)
    return {key: value for key, value in env.items() if value != ""}


def migrate_and_key(project: Path, env: dict[str, str]) -> str:
    """Apply the migrations and create an API key with the service's own CLI."""
    cli = str(project / ".venv" / "bin" / SLUG)
    run([cli, "migrate"], project, env)
    key = run([cli, "keys", "create", "--tenant", TENANT, "--role", ROLE], project, env).strip()
    if not key.startswith("sk-"):
        raise BenchError(f"`{SLUG} keys create` printed no key: {key!r}")
    return key


def uvicorn_command(python: Path | str, target: str, *, factory: bool) -> list[str]:
    command = [str(python), "-m", "uvicorn", target, "--workers", "1", "--no-access-log"]
    return [*command, "--log-level", "warning", *(["--factory"] if factory else [])]


def service_subject(
    name: str, about: str, project: Path, python: Path, *, env: dict[str, str], work: Path
) -> Subject:
    key = migrate_and_key(project, env)
    shown = ("DATABASE_URL", "BUDGET_STORE", "REDIS_URL", "APP_ENV", "LOG_LEVEL", "CACHE_TTL_S")
    return Subject(
        name=name,
        about=about,
        command=uvicorn_command(python, f"{PACKAGE}.app:create_app", factory=True),
        cwd=project,
        env=env,
        health_path="/healthz",
        headers={"Authorization": f"Bearer {key}"},
        log=work / f"{name}.log",
        packages=package_versions(str(python), SERVER_PACKAGES),
        settings={key: env[key] for key in shown if key in env},
    )


def create_postgres_database(python: Path, admin_url: str) -> str:
    """A fresh database for this run, created through the rendered project's psycopg."""
    name = f"bench_gateway_{uuid.uuid4().hex[:8]}"
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    code = (
        "import psycopg, sys\n"
        "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
        "    c.execute(f'CREATE DATABASE {sys.argv[2]}')"
    )
    run([str(python), "-c", code, plain, name], REPO, clean_env(), timeout=30)
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(python: Path, admin_url: str, url: str) -> None:
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    code = (
        "import psycopg, sys\n"
        "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
        "    c.execute(f'DROP DATABASE IF EXISTS {sys.argv[2]} WITH (FORCE)')"
    )
    run([str(python), "-c", code, plain, url.rsplit("/", 1)[1]], REPO, clean_env(), timeout=30)


def check_redis(python: Path, url: str) -> None:
    code = "import redis, sys\nredis.Redis.from_url(sys.argv[1]).ping()"
    run([str(python), "-c", code, url], REPO, clean_env(), timeout=30)


def clear_redis(python: Path, url: str) -> None:
    """Delete this run's cache entries and budget counters (its tenant's keys, nothing else:
    test suites may share the database). Its rate-limit windows expire within the minute."""
    code = (
        "import redis, sys\n"
        "r = redis.Redis.from_url(sys.argv[1])\n"
        "for pattern in sys.argv[2:]:\n"
        "    for key in r.scan_iter(match=pattern, count=1000):\n"
        "        r.delete(key)"
    )
    patterns = [f"{SLUG}:cache:{TENANT}:*", f"budget:\\{{{TENANT}\\}}:*"]
    run([str(python), "-c", code, url, *patterns], REPO, clean_env(), timeout=120)


# --- the other subjects -------------------------------------------------------------------


def bare_subject(work: Path, python: Path | str) -> Subject:
    """FastAPI in the service's venv; it answers with ``bare-answer.json`` (written later)."""
    (work / "bare_app.py").write_text(BARE_APP)
    env = {**clean_env(), "PYTHONPATH": str(work), "BARE_ANSWER_FILE": str(work / "answer.json")}
    return Subject(
        name="bare",
        about="FastAPI endpoint returning the service's answer (same venv as `service`)",
        command=uvicorn_command(python, "bare_app:app", factory=False),
        cwd=work,
        env=env,
        health_path="/healthz",
        headers={},
        log=work / "bare.log",
        packages=package_versions(str(python), SERVER_PACKAGES),
    )


def litellm_subject(tools: Tools, work: Path, version: str, python: str | None) -> Subject:
    """LiteLLM's proxy in a venv of its own, one ``mock_response`` model, master key auth.

    ``python``: the service's interpreter, so both run on the same Python.
    """
    venv = work / "litellm-venv"
    interpreter = python or find_python(tools.uv, work, None)
    run([tools.uv, "venv", "--quiet", "--python", interpreter, str(venv)], work, clean_env())
    run(
        [tools.uv, "pip", "install", "--quiet", f"litellm[proxy]=={version}"],
        work,
        venv_env(venv),
        timeout=1200,
    )
    config = work / "litellm.yaml"
    config.write_text(LITELLM_CONFIG.format(key=LITELLM_KEY))
    env = {
        **clean_env(),
        "CONFIG_FILE_PATH": str(config),
        # Offline: the bundled model price map instead of fetching it from GitHub at start.
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
    }
    python_path = venv / "bin" / "python"
    return Subject(
        name="litellm",
        about=f"LiteLLM proxy {version}, `mock_response` model, master key",
        command=uvicorn_command(python_path, "litellm.proxy.proxy_server:app", factory=False),
        cwd=work,
        env=env,
        health_path="/health/liveliness",
        headers={"Authorization": f"Bearer {LITELLM_KEY}"},
        log=work / "litellm.log",
        packages=package_versions(str(python_path), [*SERVER_PACKAGES, "litellm"]),
        settings={"LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )


@dataclass
class Prepared:
    """The subjects ready to serve, the ones skipped and why, and what to clean up."""

    subjects: list[Subject] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    cleanups: list[tuple[str, Any]] = field(default_factory=list)


def prepare_service_variants(
    options: Options, tools: Tools, work: Path, prepared: Prepared
) -> Path | None:
    """Render, install and configure the generated-service subjects; the minimal venv python."""
    wanted = set(options.subjects)
    minimal_python: Path | None = None
    about_full = "minimal preset, every stage on, SQLite, BUDGET_STORE=database"
    if wanted & {"service", "service-memory-budget", "bare"}:
        try:
            project = render(work / "minimal" / SLUG, {})
            minimal_python = install(tools, project, options.python)
            for name, store, about in (
                ("service", "database", about_full),
                ("service-memory-budget", "memory", "as `service`, BUDGET_STORE=memory"),
            ):
                if name in wanted:
                    database = f"sqlite:///{project / 'var' / f'{name}.db'}"
                    env = service_env(database, {"BUDGET_STORE": store})
                    prepared.subjects.append(
                        service_subject(name, about, project, minimal_python, env=env, work=work)
                    )
        except BenchError as exc:
            for name in wanted & {"service", "service-memory-budget"}:
                prepared.skipped[name] = f"preparing the minimal project failed: {exc}"
    if "service-redis" in wanted:
        try:
            project = render(work / "redis" / SLUG, {"cache_backend": "redis"})
            python = install(tools, project, options.python)
            check_redis(python, options.redis_url)
            prepared.cleanups.append(("redis", (python, options.redis_url)))
            database = f"sqlite:///{project / 'var' / 'redis.db'}"
            # BUDGET_STORE unset: redis, because REDIS_URL is set.
            env = service_env(database, {"REDIS_URL": options.redis_url, "BUDGET_STORE": ""})
            about = "cache_backend=redis: cache, rate limits, budget counters in Redis; SQLite"
            prepared.subjects.append(
                service_subject("service-redis", about, project, python, env=env, work=work)
            )
        except BenchError as exc:
            prepared.skipped["service-redis"] = str(exc)
    if "service-postgres" in wanted:
        try:
            project = render(work / "postgres" / SLUG, {"database": "postgres"})
            python = install(tools, project, options.python)
            url = create_postgres_database(python, options.postgres_url)
            prepared.cleanups.append(("postgres", (python, options.postgres_url, url)))
            about = "database=postgres: PostgreSQL, BUDGET_STORE=database"
            env = service_env(url, {})
            prepared.subjects.append(
                service_subject("service-postgres", about, project, python, env=env, work=work)
            )
        except BenchError as exc:
            prepared.skipped["service-postgres"] = str(exc)
    return minimal_python


def prepare(options: Options, tools: Tools, work: Path, prepared: Prepared) -> None:
    """Every subject asked for, into ``prepared`` (cleanups registered as soon as needed)."""
    minimal_python = prepare_service_variants(options, tools, work, prepared)
    if "bare" in options.subjects:
        try:
            prepared.subjects.append(bare_subject(work, minimal_python or sys.executable))
        except BenchError as exc:
            prepared.skipped["bare"] = str(exc)
    if "litellm" in options.subjects:
        try:
            prepared.subjects.append(
                litellm_subject(
                    tools,
                    work,
                    options.litellm_version,
                    options.python or (str(minimal_python) if minimal_python else None),
                )
            )
        except BenchError as exc:
            prepared.skipped["litellm"] = f"cannot install or configure LiteLLM: {exc}"


def clean_up(prepared: Prepared) -> None:
    """Drop the run's PostgreSQL database and its Redis keys; say so when that fails."""
    for kind, details in prepared.cleanups:
        try:
            if kind == "redis":
                clear_redis(*details)
            elif kind == "postgres":
                drop_postgres_database(*details)
        except BenchError as exc:
            print(f"warning: cleaning up {kind} failed: {exc}", file=sys.stderr)


# --- serving ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(
    method: str, url: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, bytes]:
    """One request; status 0 when nothing answers yet."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local URL
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def chat_body(tag: str) -> bytes:
    return (BODY_FORMAT.replace("%s", tag).replace("%d", "0")).encode()


def spawn(subject: Subject, options: Options, tools: Tools) -> subprocess.Popen[bytes]:
    subject.port = free_port()
    command = [tools.taskset, "-c", str(options.server_cpu), *subject.command]
    command += ["--host", "127.0.0.1", "--port", str(subject.port)]
    with subject.log.open("ab") as log:
        return subprocess.Popen(
            command, cwd=subject.cwd, env=subject.env, stdout=log, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_200(
    subject: Subject, process: subprocess.Popen[bytes], started: float, deadline: float
) -> tuple[float, float, bytes]:
    """Seconds from spawn to /healthz 200 and to the first chat completion 200; its body."""
    base = f"http://127.0.0.1:{subject.port}"
    headers = {"Content-Type": "application/json", **subject.headers}
    healthy: float | None = None
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{subject.name} exited {process.returncode}: {tail(subject.log)}")
        if healthy is None:
            status, _ = http("GET", f"{base}{subject.health_path}", {})
            if status == 200:
                healthy = time.perf_counter() - started
                continue
        else:
            body = chat_body(f"start-{uuid.uuid4().hex[:8]}")
            status, answer = http("POST", f"{base}{CHAT_PATH}", headers, body)
            if status == 200:
                return healthy, time.perf_counter() - started, answer
            if status not in (0, 502, 503):
                raise BenchError(f"{subject.name} answered {status}: {answer[:500]!r}")
        time.sleep(0.01)
    raise BenchError(f"{subject.name} gave no 200 in time: {tail(subject.log)}")


def tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start(subject: Subject, options: Options, tools: Tools) -> dict[str, Any]:
    """Spawn ``--starts`` times, timing each to its first 200s; the last process stays up."""
    health: list[float] = []
    first: list[float] = []
    answer = b""
    for attempt in range(options.starts):
        started = time.perf_counter()
        process = spawn(subject, options, tools)
        try:
            healthy, answered, answer = wait_for_200(subject, process, started, started + 180)
        except BaseException:
            stop(process)
            raise
        health.append(healthy)
        first.append(answered)
        if attempt < options.starts - 1:
            stop(process)
        else:
            subject.process = process
    return {
        "healthz_s": [round(value, 3) for value in health],
        "first_chat_s": [round(value, 3) for value in first],
        "healthz_median_s": round(statistics.median(health), 3),
        "first_chat_median_s": round(statistics.median(first), 3),
        "answer": json.loads(answer),
    }


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MiB."""
    figures: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[f"{name.lower()}_mib"] = round(int(value.split()[0]) / 1024, 1)
    return figures


# --- load ---------------------------------------------------------------------------------


def lua_script(subject: Subject, work: Path) -> Path:
    headers = "\n".join(
        f'wrk.headers["{name}"] = "{value}"' for name, value in subject.headers.items()
    )
    path = work / f"{subject.name}.lua"
    path.write_text(LUA_SCRIPT.format(headers=headers, body=BODY_FORMAT))
    return path


def load(
    subject: Subject,
    script: Path,
    options: Options,
    tools: Tools,
    *,
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    """One wrk run (one thread, ``connections`` in flight): its figures from the Lua ``done``."""
    url = f"http://127.0.0.1:{subject.port}{CHAT_PATH}"
    duration = f"{max(1, round(seconds))}s"
    command = [tools.taskset, "-c", str(options.client_cpu), tools.wrk, "-t1"]
    command += [f"-c{connections}", f"-d{duration}", "--timeout", "10s", "-s", str(script), url]
    command += ["--", uuid.uuid4().hex[:10]]
    output = run(command, REPO, clean_env(), timeout=seconds + 60)
    line = next((row for row in output.splitlines() if row.startswith("WRK_JSON ")), None)
    if line is None:
        raise BenchError(f"wrk printed no figures:\n{output[-2000:]}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    elapsed = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    return {
        "requests": raw["requests"],
        "seconds": round(elapsed, 2),
        "rps": round(raw["requests"] / elapsed, 1),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 2),
        "p90_ms": round(raw["latency_us"]["p90"] / 1000, 2),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 2),
        "max_ms": round(raw["latency_us"]["max"] / 1000, 2),
        "errors": errors,
        "error_kinds": {kind: count for kind, count in raw["errors"].items() if count},
    }


def medians(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rps": round(statistics.median(row["rps"] for row in rounds), 1),
        "p50_ms": round(statistics.median(row["p50_ms"] for row in rounds), 2),
        "p99_ms": round(statistics.median(row["p99_ms"] for row in rounds), 2),
        "errors": sum(row["errors"] for row in rounds),
    }


def measure(
    subjects: list[Subject],
    scripts: dict[str, Path],
    options: Options,
    tools: Tools,
    skipped: dict[str, str],
) -> dict[str, dict[str, Any]]:
    """Warm-up, then rounds interleaved across subjects: each point's rounds and medians.

    A subject whose wrk run fails (its server died, say) leaves the run, named in ``skipped``.
    """
    active = list(subjects)
    rounds: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))

    def point(subject: Subject, connections: int, seconds: float) -> dict[str, Any] | None:
        try:
            return load(
                subject,
                scripts[subject.name],
                options,
                tools,
                connections=connections,
                seconds=seconds,
            )
        except BenchError as exc:
            skipped[subject.name] = f"failed under load: {exc}"
            active.remove(subject)
            print(f"  {subject.name} leaves the run: {exc}", file=sys.stderr)
            return None

    if options.warmup > 0:
        for subject in list(active):
            point(subject, max(options.concurrency), options.warmup)
    for number in range(1, options.rounds + 1):
        for connections in options.concurrency:
            for subject in list(active):
                figures = point(subject, connections, options.seconds)
                if figures is None:
                    continue
                rounds[subject.name][connections].append(figures)
                print(
                    f"  round {number} c={connections:<3} {subject.name:<22} "
                    f"{figures['rps']:>8.1f} req/s  p50 {figures['p50_ms']:>7.2f} ms  "
                    f"p99 {figures['p99_ms']:>8.2f} ms  errors {figures['errors']}",
                    flush=True,
                )
    return {
        name: {
            str(connections): {"median": medians(points), "rounds": points}
            for connections, points in by_concurrency.items()
        }
        for name, by_concurrency in rounds.items()
    }


# --- profile ------------------------------------------------------------------------------


def profile(
    subject: Subject, script: Path, options: Options, tools: Tools, out: Path
) -> dict[str, Any]:
    """py-spy (speedscope) of the subject while wrk keeps 16 requests in flight."""
    assert subject.process is not None
    assert tools.py_spy is not None
    seconds = max(1, round(options.profile_seconds))
    command = [tools.taskset, "-c", str(options.client_cpu), tools.py_spy, "record"]
    command += ["--pid", str(subject.process.pid), "--duration", str(seconds)]
    # --gil: only the thread holding the GIL, i.e. where the one CPU's Python time goes (SQLite's
    # own C code runs with the GIL released and is not in it); --nonblocking: the service is
    # not paused for each sample, so it keeps (nearly) its unprofiled rate.
    command += ["--gil", "--nonblocking", "--rate", "250"]
    command += ["--format", "speedscope", "--output", str(out)]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    figures = load(subject, script, options, tools, connections=16, seconds=seconds)
    _, errors = recorder.communicate(timeout=seconds + 60)
    if recorder.returncode != 0 or not out.exists():
        raise BenchError(f"py-spy failed: {errors.decode(errors='replace')[-1500:]}")
    return {
        "file": str(out.relative_to(REPO)),
        "seconds": seconds,
        "load_during_profile": figures,
        **self_time(out),
    }


def frame_package(path: str) -> str:
    """Where a frame's code lives: a site-packages distribution, the service, or stdlib."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if f"/src/{PACKAGE}/" in path:
        parts = path.split(f"/src/{PACKAGE}/", 1)[1].split("/")
        return f"{PACKAGE}.{parts[0].removesuffix('.py')}"
    match = re.search(r"/python3\.\d+/(.+)$", path)
    if match:
        return "stdlib:" + match.group(1).split("/", 1)[0].removesuffix(".py")
    return path or "?"


def self_time(path: Path, top: int = 15) -> dict[str, Any]:
    """Top functions by self time (the leaf of each sample) and self time by package."""
    data = json.loads(path.read_text())
    frames = data["shared"]["frames"]
    by_function: dict[tuple[str, str], float] = defaultdict(float)
    by_package: dict[str, float] = defaultdict(float)
    total = 0.0
    for profile_ in data["profiles"]:
        for stack, weight in zip(profile_["samples"], profile_["weights"], strict=True):
            if not stack:
                continue
            leaf = frames[stack[-1]]
            file = leaf.get("file", "")
            by_function[leaf.get("name", "?"), f"{shorten(file)}:{leaf.get('line', '?')}"] += weight
            by_package[frame_package(file)] += weight
            total += weight
    functions = sorted(by_function.items(), key=lambda item: -item[1])[:top]
    packages = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    return {
        "samples_s": round(total, 2),
        "top_self": [
            {"share": round(weight / total, 4), "function": name, "where": where}
            for (name, where), weight in functions
        ],
        "self_by_package": [
            {"package": name, "share": round(weight / total, 4)} for name, weight in packages
        ],
        "top_service_inclusive": service_inclusive(data, total, top),
    }


def service_inclusive(data: dict[str, Any], total: float, top: int) -> list[dict[str, Any]]:
    """The service's own functions by inclusive time: which stages the time is spent under."""
    frames = data["shared"]["frames"]
    own = {
        index for index, frame in enumerate(frames) if f"/src/{PACKAGE}/" in frame.get("file", "")
    }
    spent: dict[tuple[str, str], float] = defaultdict(float)
    for profile_ in data["profiles"]:
        for stack, weight in zip(profile_["samples"], profile_["weights"], strict=True):
            names = {
                (frames[index]["name"], shorten(frames[index]["file"]))
                for index in stack
                if index in own
            }
            for name in names:
                spent[name] += weight
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:top]
    return [
        {"share": round(weight / total, 4), "function": name, "where": file}
        for (name, file), weight in ranked
    ]


def shorten(path: str) -> str:
    for marker in ("site-packages/", f"/src/{PACKAGE}/"):
        if marker in path:
            prefix = f"{PACKAGE}/" if marker.startswith("/src") else ""
            return prefix + path.split(marker, 1)[1]
    return re.sub(r"^.*/python3\.\d+/", "", path)


# --- report -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout + wrk.stderr).strip().splitlines()[0] if wrk.stdout else "?",
        "load_average_1_5_15": [round(load, 2) for load in os.getloadavg()],
    }


def template_state() -> dict[str, Any]:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "copier.yml", "template", "presets"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def judge(report: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, for `service` against `bare` at concurrency 16."""
    runs, starts = report["runs"], report["starts"]
    service = runs.get("service", {}).get("16", {}).get("median")
    bare = runs.get("bare", {}).get("16", {}).get("median")
    verdict: dict[str, Any] = {}
    if service and bare:
        ratio = service["rps"] / bare["rps"]
        verdict["rps_ratio_c16"] = {
            "value": round(ratio, 3),
            "target": TARGET_RATIO,
            "goal": GOAL_RATIO,
            "met": ratio >= TARGET_RATIO,
            "goal_met": ratio >= GOAL_RATIO,
        }
        limit = bare["p99_ms"] * TARGET_P99_FACTOR
        verdict["p99_c16_ms"] = {
            "value": service["p99_ms"],
            "target": round(limit, 2),
            "bare_p99_ms": bare["p99_ms"],
            "met": service["p99_ms"] <= limit,
        }
    service_one = runs.get("service", {}).get("1", {}).get("median")
    bare_one = runs.get("bare", {}).get("1", {}).get("median")
    if service_one and bare_one:
        verdict["added_p50_c1_ms"] = round(service_one["p50_ms"] - bare_one["p50_ms"], 2)
    if "service" in starts:
        first = starts["service"]["first_chat_median_s"]
        verdict["start_to_first_200_s"] = {
            "value": first,
            "healthz_s": starts["service"]["healthz_median_s"],
            "target": TARGET_START_S,
            "met": first <= TARGET_START_S,
        }
    return verdict


def yes(met: bool) -> str:
    return "**met**" if met else "**not met**"


def markdown(report: dict[str, Any]) -> str:
    """The summary tables: points, start and memory, targets, profile."""
    settings = report["settings"]
    lines = [
        f"Run {report['date']}, template `{report['template']['commit']}`"
        f"{' (edited)' if report['template']['dirty'] else ''}, "
        f"{report['machine']['cpus']} CPUs ({report['machine']['cpu_model']}), "
        f"load average {report['machine']['load_average_1_5_15'][0]} before and "
        f"{report['load_average_after'][0]} after; median of {settings['rounds']} x "
        f"{settings['seconds']} s rounds, `results/{report['file']}`.",
        "",
        "| subject | c | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, points in report["runs"].items():
        for connections, point in points.items():
            row = point["median"]
            lines.append(
                f"| {name} | {connections} | {row['rps']:.0f} | {row['p50_ms']:.2f} | "
                f"{row['p99_ms']:.2f} | {row['errors']} |"
            )
    lines += [
        "",
        "| subject | start to /healthz s | start to first chat 200 s | RSS after load MiB |",
    ]
    lines.append("|---|---:|---:|---:|")
    for name, start_ in report["starts"].items():
        rss = report["memory"].get(name, {}).get("vmrss_mib", "-")
        lines.append(
            f"| {name} | {start_['healthz_median_s']:.2f} | {start_['first_chat_median_s']:.2f}"
            f" | {rss} |"
        )
    lines += ["", *targets_lines(report["verdict"])]
    for name, reason in report["skipped"].items():
        lines.append(f"- skipped `{name}`: {headline(reason)}")
    if report.get("profile") and "top_self" in report["profile"]:
        lines += ["", *profile_lines(report["profile"])]
    return "\n".join(lines) + "\n"


def headline(reason: str) -> str:
    """A skip reason in one line: its first line, and the last error line of a log tail."""
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    errors = [line for line in lines[1:] if re.search(r"Error|Exception|error:", line)]
    first = lines[0][:200] if lines else "?"
    return f"{first} ... {errors[-1][:200]}" if errors else first


def targets_lines(verdict: dict[str, Any]) -> list[str]:
    lines = []
    if "rps_ratio_c16" in verdict:
        ratio = verdict["rps_ratio_c16"]
        lines.append(
            f"- `service` / `bare` req/s at c=16: {ratio['value']:.0%} (target >= "
            f"{ratio['target']:.0%}: {yes(ratio['met'])}; goal {ratio['goal']:.0%}: "
            f"{yes(ratio['goal_met'])})"
        )
        p99 = verdict["p99_c16_ms"]
        lines.append(
            f"- p99 at c=16: {p99['value']:.2f} ms against bare p99 x {TARGET_P99_FACTOR} = "
            f"{p99['target']:.2f} ms: {yes(p99['met'])}"
        )
    if "added_p50_c1_ms" in verdict:
        lines.append(f"- latency the pipeline adds at c=1 (p50): {verdict['added_p50_c1_ms']} ms")
    if "start_to_first_200_s" in verdict:
        start_ = verdict["start_to_first_200_s"]
        lines.append(
            f"- start to first chat completion 200: {start_['value']:.2f} s (/healthz "
            f"{start_['healthz_s']:.2f} s), target <= {start_['target']} s: {yes(start_['met'])}"
        )
    return lines


def profile_lines(result: dict[str, Any]) -> list[str]:
    load_ = result["load_during_profile"]
    lines = [
        f"py-spy, `service` at c=16 for {result['seconds']} s ({load_['rps']:.0f} req/s while "
        f"sampled), top self time (`{result['file']}`):",
        "",
        "| share | function | where |",
        "|---:|---|---|",
    ]
    lines += [
        f"| {row['share']:.1%} | `{row['function']}` | `{row['where']}` |"
        for row in result["top_self"]
    ]
    packages = ", ".join(
        f"{row['package']} {row['share']:.0%}" for row in result["self_by_package"][:10]
    )
    lines += ["", f"Self time by package: {packages}.", "", "The service's functions by time"]
    lines += ["spent in them and below (inclusive):", "", "| share | function | where |"]
    lines.append("|---:|---|---|")
    lines += [
        f"| {row['share']:.1%} | `{row['function']}` | `{row['where']}` |"
        for row in result["top_service_inclusive"]
    ]
    return lines


def write_docs(summary: str) -> None:
    text = DOCS.read_text()
    if DOCS_BEGIN not in text or DOCS_END not in text:
        raise SystemExit(f"{DOCS} has no {DOCS_BEGIN} ... {DOCS_END} markers")
    before, rest = text.split(DOCS_BEGIN, 1)
    after = rest.split(DOCS_END, 1)[1]
    DOCS.write_text(f"{before}{DOCS_BEGIN}\n{summary}{DOCS_END}{after}")


# --- the run ------------------------------------------------------------------------------


def pin_self(cpu: int) -> None:
    """This script (and the clients it starts) stays off the servers' CPU."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(0, {cpu})


def start_all(
    prepared: Prepared, options: Options, tools: Tools, work: Path, report: dict[str, Any]
) -> list[Subject]:
    """Start every subject in turn (services first: `bare` answers what `service` answered)."""
    running: list[Subject] = []
    answer = DEFAULT_ANSWER
    for subject in prepared.subjects:
        if subject.name == "bare":
            (work / "answer.json").write_text(json.dumps(answer))
        print(f"starting {subject.name} ...", flush=True)
        try:
            timing = start(subject, options, tools)
        except BenchError as exc:
            prepared.skipped[subject.name] = f"does not serve: {exc}"
            print(f"  skipped: {exc}", file=sys.stderr)
            continue
        if subject.name.startswith("service") and answer is DEFAULT_ANSWER:
            answer = timing["answer"]
        report["answers"][subject.name] = timing.pop("answer")
        report["starts"][subject.name] = timing
        running.append(subject)
        print(
            f"  /healthz {timing['healthz_median_s']:.2f} s, first chat 200 "
            f"{timing['first_chat_median_s']:.2f} s",
            flush=True,
        )
    return running


def benchmark(options: Options, tools: Tools, work: Path, report: dict[str, Any]) -> None:
    prepared = Prepared()
    report["skipped"] = prepared.skipped
    running: list[Subject] = []
    try:
        prepare(options, tools, work, prepared)
        running = start_all(prepared, options, tools, work, report)
        report["subjects"] = {
            subject.name: {
                "about": subject.about,
                "packages": subject.packages,
                "settings": subject.settings,
            }
            for subject in running
        }
        scripts = {subject.name: lua_script(subject, work) for subject in running}
        report["runs"] = measure(running, scripts, options, tools, prepared.skipped)
        report["memory"] = {
            subject.name: memory(subject.process.pid)
            for subject in running
            if subject.process is not None and subject.process.poll() is None
        }
        service = next((subject for subject in running if subject.name == "service"), None)
        if options.profile and service is not None:
            stamp = report["file"].removesuffix(".json")
            out = RESULTS / f"{stamp}-service.speedscope.json"
            try:
                tools.py_spy = find_py_spy(tools, work)
                report["profile"] = profile(service, scripts["service"], options, tools, out)
            except BenchError as exc:
                report["profile"] = {"error": str(exc)}
    finally:
        for subject in running:
            if subject.process is not None:
                stop(subject.process)
        clean_up(prepared)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    tools = resolve_tools()
    pin_self(options.client_cpu)
    started = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {
        "benchmark": "gateway",
        "date": started.isoformat(timespec="seconds"),
        "file": f"gateway-{started.strftime('%Y%m%dT%H%M%SZ')}.json",
        "template": template_state(),
        "machine": machine(),
        "settings": {
            "subjects": options.subjects,
            "concurrency": options.concurrency,
            "rounds": options.rounds,
            "seconds": options.seconds,
            "warmup_s": options.warmup,
            "starts": options.starts,
            "server_cpu": options.server_cpu,
            "client_cpu": options.client_cpu,
            "wrk": "1 thread, --timeout 10s, a unique prompt per request (Lua)",
            "body": BODY_FORMAT,
        },
        "starts": {},
        "answers": {},
        "runs": {},
        "memory": {},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="shipshape-bench-gateway-"))
    try:
        benchmark(options, tools, work, report)
    finally:
        if options.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
    report["verdict"] = judge(report)
    summary = markdown(report)
    out = RESULTS / report["file"]
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(summary)
    print(f"written to {out.relative_to(REPO)}")
    if options.write_docs:
        write_docs(summary)
        print(f"summary written into {DOCS.relative_to(REPO)}")
    return 0 if report["runs"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
