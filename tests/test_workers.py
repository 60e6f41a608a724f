"""Three real `awarebot run` worker processes in webhook mode, on one PostgreSQL and one Redis (real servers),
behind a round-robin front that redelivers failed requests as Telegram does (tests/webhookfront.py).

The kill test: 1,000 updates over 100 chats, one worker killed with SIGKILL in the middle. Every update must be
answered (0 lost); answers given twice (updates in flight on the dead worker that had already replied) are
counted and reported, and must stay few. Redis is restarted and PostgreSQL stopped and started meanwhile. Then, on
the same fleet, another worker is stopped with SIGTERM with updates in flight: it finishes them and exits 0, none
lost, none answered twice (one fleet for both scenarios: starting workers is most of what these tests cost).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fakebotapi import FakeBotAPI
from webhookfront import WebhookFront
from workerfleet import (
    SECRET,
    START_TIMEOUT,
    WorkerProcess,
    answers_per_chat,
    everything_in_postgres,
    everything_in_redis,
    flush,
    listening,
    start_all,
)

from bot.config import Config
from bot.engine import Engine

CANARY = "CANARY my boss took my passport 5550123"
QUESTIONS = ("what is sex trafficking", "how do I report trafficking", "what are the signs of trafficking",
             "can a job offer be a trap", f"who can I call for help? {CANARY}")



@pytest.fixture
async def three_workers(tmp_path: Path, fake_api: FakeBotAPI, pg_url: str, redis_server: Any,
                        bundled_engine: Engine) -> AsyncIterator[list[WorkerProcess]]:
    """Three workers on one PostgreSQL database and one Redis, listening; stopped afterwards."""
    flush(redis_server)
    workers = [WorkerProcess(tmp_path, f"worker{i}", fake_api, database_url=pg_url, state_url=redis_server.url)
               for i in (1, 2, 3)]
    try:
        await start_all(workers)
        yield workers
    finally:
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))


async def test_kill_a_worker_mid_run_loses_no_update(
    fake_api: FakeBotAPI, three_workers: list[WorkerProcess], capsys: pytest.CaptureFixture[str],
    pg_url: str, redis_server: Any, postgres_server: Any,
) -> None:
    chats, per_chat = 100, 10
    front_urls = [w.url for w in three_workers]
    for worker in three_workers:  # ready: knowledge, models, database and Redis up
        status, body = await worker.health()
        assert status == 200 and body["ready"] and body["database"] == body["redis"] == "up", body
    async with WebhookFront(fake_api, front_urls, secret=SECRET, timeout=10.0) as front:
        started = time.monotonic()
        for round_ in range(per_chat):
            for chat in range(1, chats + 1):
                fake_api.send_text(10_000 + chat, QUESTIONS[(chat + round_) % len(QUESTIONS)])

        # Kill worker 2 once about a third of the answers went out: it has updates in flight.
        async def third_answered() -> None:
            while sum(answers_per_chat(fake_api).values()) < chats * per_chat // 3:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(third_answered(), 120)
        victim = three_workers[1]
        victim.kill()
        killed_at = time.monotonic()
        survivor = three_workers[2]

        async def health_says(ready: bool, **expected: str) -> None:
            while True:
                status, body = await survivor.health()
                if body["ready"] is ready and all(body[k] == v for k, v in expected.items()):
                    assert status == (200 if ready else 503)
                    return
                await asyncio.sleep(0.1)

        # While the updates keep coming: Redis restarted (empty: no persistence) ...
        await asyncio.to_thread(redis_server.stop)
        await asyncio.wait_for(health_says(False, redis="down"), 30)
        await asyncio.to_thread(redis_server.start)
        await asyncio.wait_for(health_says(True, redis="up"), 30)
        # ... and PostgreSQL stopped and started: answers go on, /healthz says what is down, then ready again.
        await asyncio.to_thread(postgres_server.stop)
        await asyncio.wait_for(health_says(False, database="down"), 30)
        await asyncio.to_thread(postgres_server.start)
        await asyncio.wait_for(health_says(True, database="up"), 30)
        outages_done = time.monotonic()
        await front.drained(timeout=180)
        finished = time.monotonic()

    answers = answers_per_chat(fake_api)
    lost = sum(max(0, per_chat - answers[10_000 + chat]) for chat in range(1, chats + 1))
    twice = sum(max(0, answers[10_000 + chat] - per_chat) for chat in range(1, chats + 1))
    redelivered = [d for d in front.deliveries.values() if d.failures]
    last_of_dead = max((d.confirmed_at or 0) for d in redelivered) if redelivered else killed_at
    with capsys.disabled():
        print(f"\nkill test: {chats * per_chat} updates over {chats} chats, worker 2 killed after "
              f"{killed_at - started:.1f} s; all confirmed after {finished - started:.1f} s; lost {lost}, answered "
              f"twice {twice}; {len(redelivered)} updates redelivered, the last of them answered "
              f"{last_of_dead - killed_at:.1f} s after the kill; Redis restart and PostgreSQL stop/start done "
              f"{outages_done - killed_at:.1f} s after the kill; confirmed by: "
              f"{dict(Counter(d.confirmed_by.rsplit(':', 1)[1].split('/')[0] for d in front.deliveries.values() if d.confirmed_by))}")
    assert len(front.deliveries) == chats * per_chat
    assert all(d.confirmed_by is not None for d in front.deliveries.values())
    assert lost == 0
    assert redelivered, "the killed worker had nothing in flight: the test did not test redelivery"
    assert all(d.confirmed_by != victim.url for d in redelivered)
    # Duplicates only come from updates the dead worker had answered but not yet confirmed.
    assert twice <= len(redelivered)

    # Then a deploy or a scale-down on the same fleet: worker 1 is stopped with SIGTERM while it has updates in
    # flight; it answers what it accepted before it exits (code 0), so nothing is lost and nothing answered twice.
    await sigterm_finishes_the_updates_in_flight(fake_api, three_workers[0], [three_workers[0].url, survivor.url],
                                                 capsys)

    # Privacy canary: 200 of the messages carried it; nothing of it is in Redis or PostgreSQL (tables, WAL, files).
    redis_text = await everything_in_redis(redis_server.url)
    postgres_text = await everything_in_postgres(pg_url)
    assert "update:" in redis_text and "daily_counts" in postgres_text  # the scans saw the data that is kept
    conn_files = b"".join(p.read_bytes() for p in postgres_server.data.rglob("*") if p.is_file())
    for needle in ("CANARY", "passport 5550123", "5550123"):
        assert needle not in redis_text and needle not in postgres_text
        assert needle.encode() not in conn_files
    # A chat id, looked for as a whole number: not the same digits inside a timestamp (1764550030.1004213) or a hash.
    chat_id = re.compile(r"(?<![0-9A-Za-z.])10042(?![0-9A-Za-z.])")
    assert not chat_id.search(redis_text) and not chat_id.search(postgres_text)
    assert not re.search(chat_id.pattern.encode(), conn_files)


def children_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_workers_option_supervises_restarts_and_stops_cleanly(
    tmp_path: Path, fake_api: FakeBotAPI, pg_url: str, redis_server: Any, bundled_engine: Engine
) -> None:
    """`awarebot run --workers 2`: two workers on consecutive ports; one killed is restarted; both answer through
    the front; SIGTERM stops all of them and the parent exits 0."""
    flush(redis_server)
    parent = WorkerProcess(tmp_path, "supervisor", fake_api, database_url=pg_url, state_url=redis_server.url,
                           extra=("--workers", "2"))
    ports = [parent.port, parent.port + 1]
    parent.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        for port in ports:
            await parent.ready(deadline, port)
        assert parent.process is not None
        first = children_of(parent.process.pid)
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        while listening(ports[0]) and time.monotonic() < deadline:  # the dead child's port closes ...
            await asyncio.sleep(0.05)
        while len(children_of(parent.process.pid)) < 2 and time.monotonic() < deadline:  # ... and it is replaced
            await asyncio.sleep(0.1)
        for port in ports:
            await parent.ready(deadline, port)
        assert set(children_of(parent.process.pid)) - set(first)

        urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
        async with WebhookFront(fake_api, urls, secret=SECRET) as front:
            for chat in (501, 502, 503, 504):
                fake_api.send_text(chat, "what is sex trafficking")
            await front.drained(timeout=60)
        assert sorted(answers_per_chat(fake_api)) == [501, 502, 503, 504]
        assert {d.confirmed_by for d in front.deliveries.values()} == set(urls)  # both workers answered

        parent.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(parent.process.wait, 60) == 0
        assert not any(listening(port) for port in ports)
    finally:
        parent.stop()


def test_workers_option_needs_webhook_mode_and_a_shared_secret() -> None:
    from dataclasses import replace

    from bot.cli import workers_problem
    from bot.config import TelegramConfig, WebhookConfig

    polling = Config()
    assert "webhook mode" in (workers_problem(polling) or "")
    no_secret = replace(Config(), telegram=TelegramConfig(mode="webhook", webhook=WebhookConfig(url="https://x/t")))
    assert "secret_token" in (workers_problem(no_secret) or "")
    ok = replace(no_secret, telegram=replace(no_secret.telegram, webhook=replace(
        no_secret.telegram.webhook, secret_token="shared-secret")))
    assert workers_problem(ok) is None


async def sigterm_finishes_the_updates_in_flight(fake_api: FakeBotAPI, stopping: WorkerProcess, urls: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A worker stopped with SIGTERM (a deploy, a scale-down) answers what it accepted before it exits: 300 updates
    over 50 new chats through the front to `urls` (`stopping` among them, at least one other worker running);
    `stopping` gets SIGTERM once a quarter of them are answered; it must exit with code 0, and every one of the
    300 is answered exactly once."""
    chats, per_chat, first_chat = 50, 6, 30_001
    chat_ids = range(first_chat, first_chat + chats)
    async with WebhookFront(fake_api, urls, secret=SECRET) as front:
        for round_ in range(per_chat):
            for chat in chat_ids:
                fake_api.send_text(chat, "what is sex trafficking" if round_ % 2 else "hotline")

        def answered() -> int:
            answers = answers_per_chat(fake_api)
            return sum(answers[chat] for chat in chat_ids)

        async def some_answered() -> None:
            while answered() < chats * per_chat // 4:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(some_answered(), 120)
        assert stopping.process is not None
        stopping.process.terminate()
        # Generous: it must finish what it accepted, and a busy 2-core machine can make that slow.
        code = await asyncio.to_thread(stopping.process.wait, 150)
        await front.drained(timeout=120)
    answers = answers_per_chat(fake_api)
    lost = sum(max(0, per_chat - answers[chat]) for chat in chat_ids)
    twice = sum(max(0, answers[chat] - per_chat) for chat in chat_ids)
    failed = sum(len(d.failures) for d in front.deliveries.values())
    with capsys.disabled():
        print(f"SIGTERM test: {chats * per_chat} updates, worker 1 stopped with exit code {code}; lost {lost}, "
              f"answered twice {twice}, failed deliveries {failed}")
    assert len(front.deliveries) == chats * per_chat
    assert all(d.confirmed_by is not None for d in front.deliveries.values())
    assert code == 0
    assert lost == 0
    assert twice == 0
