"""How much the generated service's gateway costs per request.

    uv run python benchmarks/bench_gateway.py [--requests N] [--seconds S]

Renders the default preset (working tree) into a temporary folder, then measures in one run:

(a) Overhead: the full pipeline (validation, cache lookup, gateway with breakers and retries,
    output checks, the interactions row and the log line) driven in-process through the ASGI
    app with the offline ``fake`` provider at zero latency, minus the provider call itself
    (timed around each call). p50 and p99 at concurrency 1, 16 and 64. A bare FastAPI endpoint
    returning the same JSON, driven the same way, gives the framework's own floor.
(b) Throughput: requests per second through uvicorn (one worker) for ``/v1/chat/completions``
    next to a bare FastAPI endpoint returning the same JSON, at concurrency 16, from an
    ``httpx2`` client on the same machine; the ratio is what the gateway keeps of the bare rate.

Results are printed and written as JSON to ``benchmarks/results/``. This measures; it asserts
nothing and is not part of the test suite. Goals (issue 3): overhead p50 <= 1 ms and p99 <= 5 ms
at concurrency <= 16; throughput >= 50% of the bare endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import copier

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
PACKAGE = "bench_app"
CONCURRENCY = (1, 16, 64)
BODY = {"model": "fast", "messages": [{"role": "user", "content": "Hello, how are you today?"}]}

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]

BARE_APP = """
import time
import uuid

from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/chat/completions")
async def chat(body: dict) -> dict:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
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
"""


def render(dst: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            str(REPO),
            str(dst),
            data={"project_name": "Bench App", "llm_providers": ["openai"]},
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
        )
    return dst


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def call(app: ASGIApp, body: bytes) -> int:
    """One POST through the ASGI app, no network, no client library."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(
    app: ASGIApp, concurrency: int, total: int, provider_time: dict[str, float]
) -> list[float]:
    """Per-request latency in ms minus the provider's time, ``concurrency`` requests in flight."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        for index in counter:
            tag = f"r{concurrency}-{index}"
            body = json.dumps({**BODY, "user": tag}).encode()
            started = time.perf_counter()
            status = await call(app, body)
            elapsed = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"HTTP {status}")
            latencies.append((elapsed - provider_time.pop(tag, 0.0)) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def overhead(project: Path, total: int) -> dict[str, Any]:
    sys.path.insert(0, str(project / "src"))
    os.chdir(project)
    from bench_app.core.app import create_app  # type: ignore[import-not-found]  # noqa: PLC0415
    from bench_app.core.database import make_engine, migrate  # type: ignore[import-not-found]  # noqa: PLC0415
    from bench_app.core.settings import Settings  # type: ignore[import-not-found]  # noqa: PLC0415

    database = f"sqlite:///{project / 'var' / 'bench.db'}"
    engine = make_engine(database)
    migrate(engine)
    engine.dispose()
    settings = Settings(
        _env_file=None,
        app_env="test",
        database_url=database,
        models_file=project / "config" / "models.offline.yaml",
        log_level="WARNING",
    )
    app = create_app(settings)
    provider_time: dict[str, float] = {}
    fake = app.state.services.gateway.providers["fake"]
    original = fake.complete

    async def timed(target: Any, request: Any, time_left: float) -> Any:
        started = time.perf_counter()
        try:
            return await original(target, request, time_left)
        finally:
            provider_time[request.user] = time.perf_counter() - started

    fake.complete = timed
    bare_namespace: dict[str, Any] = {}
    exec(compile(BARE_APP, "bare_app.py", "exec"), bare_namespace)  # noqa: S102 - our own code
    bare = bare_namespace["app"]

    results: dict[str, Any] = {}
    for name, subject, times in (("gateway", app, provider_time), ("bare", bare, {})):
        asyncio.run(drive(subject, 4, 200, times))  # warm-up
        for concurrency in CONCURRENCY:
            latencies = asyncio.run(drive(subject, concurrency, total, times))
            results[f"{name}@{concurrency}"] = {
                "concurrency": concurrency,
                "requests": len(latencies),
                "p50_ms": round(statistics.median(latencies), 3),
                "p99_ms": round(percentile(latencies, 0.99), 3),
                "mean_ms": round(statistics.fmean(latencies), 3),
            }
    app.state.services.engine.dispose()
    return results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *args, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"uvicorn did not start: {' '.join(command)}")


async def hammer(port: int, concurrency: int, seconds: float) -> dict[str, float]:
    import httpx2  # noqa: PLC0415 - only the throughput part needs a client

    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:
        for _ in range(50):
            (await client.post(url, json=BODY)).raise_for_status()
        done = 0
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                (await client.post(url, json=BODY)).raise_for_status()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"requests": done, "seconds": round(elapsed, 2), "rps": round(done / elapsed, 1)}


def throughput(project: Path, seconds: float) -> dict[str, Any]:
    (project / "bare_app.py").write_text(BARE_APP)
    database = f"sqlite:///{project / 'var' / 'bench.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": f"{project / 'src'}{os.pathsep}{project}",
        "APP_ENV": "test",
        "DATABASE_URL": database,
        "MODELS_FILE": str(project / "config" / "models.offline.yaml"),
        "LOG_LEVEL": "WARNING",
    }
    results: dict[str, Any] = {}
    subjects = {
        "gateway": ["--factory", f"{PACKAGE}.core.app:create_app"],
        "bare": ["bare_app:app"],
    }
    for name, args in subjects.items():
        process, port = serve(args, project, env)
        try:
            results[name] = asyncio.run(hammer(port, 16, seconds))
        finally:
            process.terminate()
            process.wait(timeout=10)
    results["ratio"] = round(results["gateway"]["rps"] / results["bare"]["rps"], 3)
    return results


def machine() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() + (" (edited)" if dirty.stdout.strip() else " (clean)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency")
    parser.add_argument("--seconds", type=float, default=10, help="throughput run per subject")
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC)
    before = machine()
    with tempfile.TemporaryDirectory() as tmp:
        project = render(Path(tmp) / "bench-app")
        cwd = Path.cwd()
        try:
            measured_overhead = overhead(project, args.requests)
        finally:
            os.chdir(cwd)
        measured_throughput = throughput(project, args.seconds)
    report = {
        "date": started.isoformat(timespec="seconds"),
        "template": commit(),
        "machine": before,
        "load_average_after": os.getloadavg(),
        "overhead_ms": measured_overhead,
        "throughput": measured_throughput,
    }
    print("overhead (ms, provider call excluded)")
    print(f"{'subject':<12}{'conc':>6}{'p50':>10}{'p99':>10}{'mean':>10}")
    for key, row in measured_overhead.items():
        name = key.split("@")[0]
        print(
            f"{name:<12}{row['concurrency']:>6}{row['p50_ms']:>10}{row['p99_ms']:>10}"
            f"{row['mean_ms']:>10}"
        )
    print("\nthroughput through uvicorn, concurrency 16")
    for name in ("gateway", "bare"):
        row = measured_throughput[name]
        print(f"{name:<12}{row['rps']:>10} req/s ({row['requests']} in {row['seconds']} s)")
    print(f"ratio {measured_throughput['ratio']:.0%}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"gateway-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
