"""`python -m bench.workers` (part of `make bench`): the distributed mode on this machine.

- Worker scaling: 1, 2 and 4 real `awarebot run` webhook workers on one PostgreSQL and one Redis (real servers,
  started here as the tests start them), behind the round-robin front of tests/webhookfront.py. Throughput is
  updates confirmed per second (each confirmed only after its reply was sent), the send cap off.
- Publish latency: a publish on worker 1 until worker 3 serves it (LISTEN/NOTIFY, then a rebuild), median of 5.
- Privacy canary: a fifth of the messages carry a canary; afterwards every Redis key and value, every PostgreSQL
  row and PostgreSQL's data folder (WAL included) are searched for it.

Writes bench/results/workers.md and workers.json. The fake Bot API and the front run in this process, on the same
2 cores as the workers, the servers and anything else running: read the figures as how the mode grows here, not as
a capacity figure for a real server.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
if str(TESTS) not in sys.path:  # the servers, the fake Bot API and the front are the tests' own
    sys.path.insert(0, str(TESTS))

from bench import RESULTS_DIR  # noqa: E402

CANARY = "CANARY my boss took my passport 5550123"
QUESTIONS = ("what is sex trafficking", "how do I report trafficking", "what are the signs of trafficking",
             "can a job offer be a trap", f"who can I call for help? {CANARY}")
WORKER_COUNTS = (1, 2, 4)
UPDATES = 600
CHATS = 100


async def _scaling_run(count: int, pg: Any, redis_server: Any, root: Path) -> dict[str, Any]:
    from fakebotapi import FakeBotAPI
    from webhookfront import WebhookFront
    from workerfleet import SECRET, WorkerProcess, answers_per_chat, flush, start_all

    flush(redis_server)
    database = f"bench_{count}_{os.getpid()}"
    await _admin(pg.url, f"CREATE DATABASE {database}")
    folder = root / f"run{count}"
    folder.mkdir()
    async with FakeBotAPI() as api:
        workers = [WorkerProcess(folder, f"worker{i}", api, database_url=pg.url_for(database),
                                 state_url=redis_server.url) for i in range(1, count + 1)]
        try:
            await start_all(workers)
            async with WebhookFront(api, [w.url for w in workers], secret=SECRET, timeout=30.0) as front:
                cpu_before = sum(w.cpu_seconds() for w in workers)
                own_before = time.process_time()
                started = time.monotonic()
                for i in range(UPDATES):
                    api.send_text(20_000 + i % CHATS, QUESTIONS[i % len(QUESTIONS)])
                await front.drained(timeout=600)
                elapsed = time.monotonic() - started
                worker_cpu = sum(w.cpu_seconds() for w in workers) - cpu_before
                own_cpu = time.process_time() - own_before
            answered = sum(answers_per_chat(api).values())
        finally:
            await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))
    return {"workers": count, "updates": UPDATES, "answered": answered, "seconds": round(elapsed, 2),
            "updates_per_second": round(UPDATES / elapsed, 1), "database": database,
            "worker_cpu_ms_per_update": round(worker_cpu * 1000 / UPDATES, 2),
            "front_cpu_ms_per_update": round(own_cpu * 1000 / UPDATES, 2),
            "load_average": round(os.getloadavg()[0], 2)}


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _publish_latency(pg: Any, repeats: int = 5) -> dict[str, Any]:
    """In-process workers (store + knowledge sync each, as in a worker): publish on 1, time until 3 serves it."""
    from bot.config import Config
    from bot.engine import Engine, LiveEngine
    from bot.pgstore import PgStore
    from bot.sync import KnowledgeSync

    database = f"bench_publish_{os.getpid()}"
    await _admin(pg.url, f"CREATE DATABASE {database}")
    url = pg.url_for(database)
    config = Config()
    engine = await asyncio.to_thread(Engine.load, config)
    entry = "what-is-sex-trafficking"
    stores = [PgStore(url) for _ in range(3)]
    syncs = []
    for store in stores:
        await store.open()
        sync = KnowledgeSync(config, LiveEngine(engine), lambda s=store: s, interval=3600)
        await sync.refresh(force=True, first=True)
        sync.start()
        syncs.append(sync)
    latencies = []
    try:
        for _ in range(50):  # until worker 3 listens
            if stores[2]._listener is not None:  # noqa: SLF001
                break
            await asyncio.sleep(0.05)
        base = engine.knowledge.entries[entry].to_data()
        for n in range(repeats):
            before = syncs[2].live.current
            started = time.monotonic()
            await stores[0].propose("entry", entry, {**base, "answer": f"{base['answer']} (edition {n})"},
                                    base_rev=n, publish=True, author_id=1, author_name="bench")
            while syncs[2].live.current is before:
                await asyncio.sleep(0.002)
            latencies.append(time.monotonic() - started)
    finally:
        for sync in syncs:
            await sync.stop()
        for store in stores:
            await store.close()
    return {"repeats": repeats, "median_ms": round(statistics.median(latencies) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1)}


async def _canary(pg: Any, redis_server: Any, databases: list[str]) -> dict[str, Any]:
    from workerfleet import everything_in_postgres, everything_in_redis

    redis_text = await everything_in_redis(redis_server.url)
    rows = "".join([await everything_in_postgres(pg.url_for(d)) for d in databases])
    files = b"".join(p.read_bytes() for p in pg.data.rglob("*") if p.is_file())
    needles = ("CANARY", "5550123")
    return {
        "redis_keys_scanned": redis_text.count("\n") + (1 if redis_text else 0),
        "postgres_rows_scanned": rows.count("\n") + (1 if rows else 0),
        "postgres_bytes_scanned": len(files),
        "hits": sum(n in redis_text for n in needles) + sum(n in rows for n in needles)
        + sum(n.encode() in files for n in needles),
    }


async def measure() -> dict[str, Any]:
    from servers import PostgresServer, RedisServer

    from bot.config import Config
    from bot.engine import Engine

    await asyncio.to_thread(Engine.load, Config())  # warms the model cache the workers read
    pg, redis_server = PostgresServer(), RedisServer()
    pg.start()
    redis_server.start()
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="awarebot-bench-workers-"))
    try:
        runs = [await _scaling_run(n, pg, redis_server, root) for n in WORKER_COUNTS]
        publish = await _publish_latency(pg)
        canary = await _canary(pg, redis_server, [r["database"] for r in runs])
    finally:
        pg.destroy()
        redis_server.destroy()
    return {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
            "scaling": runs, "publish": publish, "canary": canary}


def to_markdown(results: dict[str, Any]) -> str:
    one = results["scaling"][0]["updates_per_second"]
    lines = [
        "# awarebot distributed mode on this machine",
        "",
        f"{results['machine']['date']}, {results['machine']['cores']} cores, Python {results['machine']['python']}. "
        f"{UPDATES} updates over {CHATS} chats through a round-robin front to N webhook workers on one PostgreSQL and "
        "one Redis; an update counts when its worker confirmed it, which it does only after the reply was sent. "
        "Send cap off.",
        "",
        "| workers | updates/s | vs 1 worker | answered | worker CPU per update | front + fake API CPU per update "
        "| load average (1 min) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in results["scaling"]:
        lines.append(f"| {run['workers']} | {run['updates_per_second']} | "
                     f"{run['updates_per_second'] / one:.2f}x | {run['answered']}/{run['updates']} | "
                     f"{run['worker_cpu_ms_per_update']} ms | {run['front_cpu_ms_per_update']} ms | "
                     f"{run['load_average']} |")
    cpu = statistics.median(r["worker_cpu_ms_per_update"] for r in results["scaling"])
    publish = results["publish"]
    canary = results["canary"]
    lines += [
        "",
        "Limits of a 2-core machine: the workers, PostgreSQL, Redis, the fake Bot API and the front (both in the "
        "benchmark's own process) share two cores, so past two workers more processes only compete for them (on a "
        "real deployment the Bot API and the proxy are elsewhere). The load average column shows how busy the machine was with other work: when it is busy, more "
        "worker processes also win a larger share of the two cores from the other work (the scheduler shares by "
        "process), so the growth in this table measures that too. What carries over "
        f"is the CPU an update costs a worker, about {cpu} ms whatever the number of workers (handling, the Redis "
        "claim, the reply, counting): with a core per worker, N workers serve about N × "
        f"{1000 / cpu:.0f} updates a second before the database, Redis or Telegram's own 30 messages a second "
        "per bot become the limit.",
        "",
        f"Publish on worker 1 served by worker 3 (LISTEN/NOTIFY, then the rebuild): median {publish['median_ms']} ms, "
        f"max {publish['max_ms']} ms over {publish['repeats']} publishes (an answer edit; a change of questions "
        "also retrains the models).",
        "",
        f"Privacy canary (a fifth of the messages carried it): {canary['hits']} hits in "
        f"{canary['redis_keys_scanned']} Redis keys, {canary['postgres_rows_scanned']} PostgreSQL rows and "
        f"{canary['postgres_bytes_scanned'] / 1e6:.1f} MB of PostgreSQL data folder (WAL included).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    results = asyncio.run(measure())
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "workers.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text = to_markdown(results)
    (RESULTS_DIR / "workers.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if results["canary"]["hits"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
