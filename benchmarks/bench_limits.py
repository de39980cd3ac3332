"""What the limits stage costs per request: admit + reserve + settle, in one process.

    uv run python benchmarks/bench_limits.py                  # 2000 requests per store
    uv run python benchmarks/bench_limits.py --requests 500 --stores memory,database

Renders the default preset with ``cache_backend=redis`` from this working tree, installs it
into its own venv, and times the generated service's own ``Limits`` (built by
``services.build_limits``, started and closed as the app does) for each budget store:
``memory`` and ``database`` (SQLite file) with in-process rate limits, ``redis`` with the
Redis rate limiter and lease store (needs Redis on 127.0.0.1:6379, database 15). Each store is
timed sequentially (one request after another) and with every request at once
(``asyncio.gather``), after a warm-up; the figure is microseconds per request. No provider,
no HTTP: only the stage itself.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench_gateway import clean_env, find_python, render, resolve_uv, run

STORES = ("memory", "database", "redis")
REDIS_URL = "redis://127.0.0.1:6379/15"

# Runs in the generated project's venv: argv = store, requests, SQLite path, Redis URL.
TIMER = """
import asyncio, json, sys, time, uuid
from decimal import Decimal
from pathlib import Path
from bench_app.chat.schemas import ChatCompletionRequest
from bench_app.foundation.database import make_engine, migrate
from bench_app.foundation.settings import Settings
from bench_app.gateway.catalog import load_catalog
from bench_app.gateway.router import Gateway
from bench_app.identity.principal import Principal
from bench_app.services import build_limits
from bench_app.spend.cost import PriceBook, load_price_table

store, count, database, redis_url = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
url = f"sqlite:///{database}"
engine = make_engine(url)
migrate(engine)
unlimited = 10**12
settings = Settings(
    _env_file=None, app_env="test", database_url=url, budget_store=store,
    models_file=Path("config/models.offline.yaml"), monthly_budget_usd=Decimal(10**6),
    rate_limit_key_requests=unlimited, rate_limit_key_tokens=unlimited,
    rate_limit_tenant_requests=unlimited, rate_limit_tenant_tokens=unlimited,
    redis_url=redis_url if store == "redis" else None,
)
catalog = load_catalog(settings.resolved_models_file)
limits = build_limits(settings, engine, PriceBook(catalog, load_price_table(settings.prices_file)))
route = Gateway(catalog, {}).route("fast")
body = {"model": "fast", "messages": [{"role": "user", "content": "Hello"}]}
request = limits.bounded(route, ChatCompletionRequest.model_validate(body))
principal = Principal(tenant=f"bench-{uuid.uuid4().hex[:8]}", user="ada", key_id="k1")

async def one():
    admission = await limits.admit(principal)
    reservation = await limits.reserve(admission, route, request)
    limits.settle(reservation, Decimal("0.0001"), 20)

async def main():
    await limits.start()
    for _ in range(100):
        await one()
    started = time.perf_counter()
    for _ in range(count):
        await one()
    sequential = (time.perf_counter() - started) / count
    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    concurrent = (time.perf_counter() - started) / count
    await limits.close()
    print(json.dumps({"sequential_us": sequential * 1e6, "concurrent_us": concurrent * 1e6}))

asyncio.run(main())
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--stores", default=",".join(STORES))
    args = parser.parse_args(argv)
    uv = resolve_uv()
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as folder:
        work = Path(folder)
        project = render(work / "bench-app", {"cache_backend": "redis"})
        interpreter = find_python(uv, project, None)
        run([uv, "sync", "--no-dev", "--python", interpreter], project, clean_env())
        python = project / ".venv" / "bin" / "python"
        for store in args.stores.split(","):
            command = [str(python), "-c", TIMER, store, str(args.requests)]
            command += [str(work / f"{store}.db"), REDIS_URL]
            figures = json.loads(run(command, project, clean_env()).splitlines()[-1])
            print(
                f"{store:9} sequential {figures['sequential_us']:7.0f} us/request   "
                f"{args.requests} at once {figures['concurrent_us']:7.0f} us/request"
            )


if __name__ == "__main__":
    main()
