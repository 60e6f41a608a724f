"""Worker processes for multi-worker tests and the benchmark: `awarebot run` in webhook mode with its own config
and port (WorkerProcess), plus helpers to read what Redis and PostgreSQL keep (for the privacy canary)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fakebotapi import FakeBotAPI
from servers import free_port

from bot.config import Config

ROOT = Path(__file__).resolve().parent.parent
SECRET = "kill-test-secret"
START_TIMEOUT = 120.0  # seconds for workers to load the knowledge and listen, on a busy 2-core machine


class WorkerProcess:
    """One `python -m bot run` in webhook mode with its own config file and port."""

    def __init__(self, root: Path, name: str, api: FakeBotAPI, *, database_url: str, state_url: str,
                 extra: tuple[str, ...] = ()) -> None:
        self.name = name
        self.extra = extra
        self.port = free_port()
        self.health_port = free_port()
        self.folder = root / name
        self.folder.mkdir()
        self.log = self.folder / "worker.log"
        # The model cache the test session warmed (bundled_engine), so a worker starts in seconds, not minutes.
        cache = (Path.cwd() / Config().matching.model_cache_dir).resolve()
        config = self.folder / "config.toml"
        config.write_text(
            "[awarebot]\n"
            f'database_url = "{database_url}"\n'
            f'state_url = "{state_url}"\n'
            'log_level = "WARNING"\n'
            "[matching]\n"
            f'model_cache_dir = "{cache}"\n'
            "[telegram]\n"
            f'token = "{api.token}"\n'
            f'base_url = "{api.base_url}"\n'
            'mode = "webhook"\n'
            # No proactive send cap: 1,000 answers at Telegram's 30 a second would take half a minute.
            "max_messages_per_second = 0\n"
            "[telegram.webhook]\n"
            f'url = "https://bot.example.org/telegram"\n'
            'listen = "127.0.0.1"\n'
            f"port = {self.port}\n"
            'path = "telegram"\n'
            f'secret_token = "{SECRET}"\n'
            # A killed worker's claims on updates expire this fast, so their redelivery is not held up long.
            "claim_seconds = 2.0\n"
            f"health_port = {self.health_port}\n"
        )
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 - the worker writes to it until it ends
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "--config", str(self.config), "run", *self.extra],
                cwd=self.folder, stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        finally:
            out.close()

    async def ready(self, deadline: float, port: int | None = None) -> None:
        """Until the worker (or, with --workers, the child on `port`) accepts connections."""
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
            if listening(port or self.port):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} did not listen in time: {self.log.read_text()[-3000:]}")

    async def health(self) -> tuple[int, dict[str, Any]]:
        """GET /healthz: (HTTP status, the JSON body)."""
        import httpx

        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(f"http://127.0.0.1:{self.health_port}/healthz")
        return response.status_code, response.json()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the worker process used so far, from /proc (Linux)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def start_all(workers: list[WorkerProcess]) -> None:
    """Start every worker, then wait until each listens (one START_TIMEOUT for all of them together)."""
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + START_TIMEOUT
    for worker in workers:
        await worker.ready(deadline)


def flush(redis_server: Any) -> None:
    """An empty Redis: every fake Bot API numbers its updates from 1, so claims of an earlier test would hide them."""
    import redis

    redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    try:
        client.flushdb()
    finally:
        client.close()


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


def answers_per_chat(api: FakeBotAPI) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.calls if c.method == "sendMessage" and c.ok)


async def everything_in_redis(url: str) -> str:
    """Every key and value in Redis, as text."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, decode_responses=True)
    parts: list[str] = []
    try:
        async for key in client.scan_iter():
            kind = await client.type(key)
            value: Any = {
                "string": client.get, "hash": client.hgetall, "set": client.smembers,
                "zset": lambda k: client.zrange(k, 0, -1, withscores=True), "list": lambda k: client.lrange(k, 0, -1),
            }[kind](key)
            parts.append(f"{key}={await value}")
    finally:
        await client.aclose()
    return "\n".join(parts)


async def everything_in_postgres(url: str) -> str:
    """Every row of every table of the database, as text."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        rows = [f"{t}: {tuple(r)}" for t in tables for r in await conn.fetch(f'SELECT * FROM "{t}"')]
    finally:
        await conn.close()
    return "\n".join(rows)


