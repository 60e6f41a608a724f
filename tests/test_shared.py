"""bot.shared against a real redis-server: a redelivered update is answered by one worker only, a dead worker's
claim expires so nothing is lost, and Redis going away costs no update (one warning a minute)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.shared import SharedUpdates, Throttled

_prefixes = itertools.count(1)


@pytest.fixture
async def workers(redis_server: Any) -> AsyncIterator[Any]:
    """make(**kwargs) → a SharedUpdates of one more worker on the session's Redis (own key prefix per test)."""
    redis_server.start()
    prefix = f"test{next(_prefixes)}:update:"
    made: list[SharedUpdates] = []

    def make(**kwargs: Any) -> SharedUpdates:
        shared = SharedUpdates.from_url(redis_server.url, **kwargs)
        shared.prefix = prefix
        made.append(shared)
        return shared

    yield make
    for shared in made:
        await shared.close()


async def test_a_redelivered_update_is_answered_once(workers: Any) -> None:
    one, two = workers(), workers()
    assert await one.claim(7)
    # Telegram redelivers update 7 to worker two while worker one is still answering it: two waits ...
    second = asyncio.ensure_future(two.claim(7))
    await asyncio.sleep(0.2)
    assert not second.done()
    await one.done(7)
    # ... and skips it once one has answered.
    assert await asyncio.wait_for(second, 5) is False
    assert await two.claim(7) is False  # and later redeliveries too
    assert await two.claim(8)  # other updates are its own


async def test_a_dead_workers_claim_expires_so_nothing_is_lost(workers: Any) -> None:
    dead, alive = workers(claim_ttl=0.3), workers(claim_ttl=0.3)
    assert await dead.claim(11)  # ... and the worker is killed before answering
    assert await asyncio.wait_for(alive.claim(11), 5) is True  # taken over once the claim expired
    await alive.done(11)
    assert await dead.claim(11) is False


async def test_only_update_ids_are_stored(workers: Any, redis_server: Any) -> None:
    import redis.asyncio as aioredis

    one = workers()
    assert await one.claim(5)
    await one.done(5)
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        keys = [k async for k in client.scan_iter(match=one.prefix + "*")]
        assert keys == [one.prefix + "5"]
        assert await client.get(keys[0]) == "done"
        assert 0 < await client.ttl(keys[0]) <= one.done_ttl
    finally:
        await client.aclose()


async def test_redis_down_every_update_is_handled_one_warning(
    workers: Any, redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    shared = workers()
    assert await shared.claim(1)
    await asyncio.to_thread(redis_server.stop)
    caplog.set_level(logging.WARNING, logger="bot.shared")
    try:
        for update_id in range(2, 12):
            assert await shared.claim(update_id) is True  # handled: a duplicate is better than a loss
            await shared.done(update_id)
        warnings = [r for r in caplog.records if "REDIS UNREACHABLE" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        await asyncio.to_thread(redis_server.start)
    # Redis is back (empty: no persistence): claims are shared again, without reconnecting by hand.
    assert await shared.claim(100) is True
    await shared.done(100)
    assert await workers().claim(100) is False


def test_throttled_warning_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    throttled = Throttled(logging.getLogger("t"), "DOWN", every=60, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="t")
    for second in range(0, 130, 5):
        now[0] = float(second)
        throttled.warn("ConnectionError")
    assert [r.getMessage() for r in caplog.records] == [
        "DOWN (ConnectionError; 0 more since the last warning)",
        "DOWN (ConnectionError; 11 more since the last warning)",
        "DOWN (ConnectionError; 11 more since the last warning)",
    ]


def busiest(times: list[float], window: float) -> int:
    """The most events inside any `window` seconds."""
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_send_cap_is_shared_by_all_workers(redis_server: Any) -> None:
    """Two workers' rate limiters (python-telegram-bot's mechanism) draw from one Redis window of 10 a second."""
    from bot.shared import SharedSendCap
    from handlers.delivery import SharedCapRateLimiter

    redis_server.start()
    name = f"cap-test-{next(_prefixes)}"
    limiters = []
    for _ in range(2):
        cap = SharedSendCap(redis_server.url, 10, name=name)
        limiter = SharedCapRateLimiter(cap, overall_max_rate=10)
        await limiter.initialize()
        limiters.append(limiter)
    sent: list[float] = []
    loop = asyncio.get_running_loop()

    async def send(*_args: Any, **_kwargs: Any) -> bool:
        sent.append(loop.time())
        return True

    started = loop.time()
    await asyncio.gather(*(
        limiters[i % 2].process_request(send, (), {}, "sendMessage", {"chat_id": 1000 + i}, None)
        for i in range(35)
    ))
    # 35 messages at 10 a second, whichever worker sent them: at least 2.5 s, never more than 10 close together
    # (a window a little under a second, since each send is seen a moment after Redis allowed it).
    assert len(sent) == 35
    assert sent[-1] - started >= 2.4
    assert busiest(sent, 0.75) <= 10
    # Requests without a chat (getMe, setWebhook) are not what the bulk limit counts.
    before = loop.time()
    await limiters[0].process_request(send, (), {}, "getMe", {}, None)
    assert loop.time() - before < 0.5
    for limiter in limiters:
        await limiter.shutdown()
        await limiter.cap.close()


async def test_send_cap_redis_down_sends_and_warns_once(
    redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.shared import SharedSendCap

    redis_server.start()
    cap = SharedSendCap(redis_server.url, 1000, name=f"cap-test-{next(_prefixes)}")
    await cap.acquire()
    await asyncio.to_thread(redis_server.stop)
    caplog.set_level(logging.WARNING, logger="bot.shared")
    try:
        for _ in range(5):
            await asyncio.wait_for(cap.acquire(), 5)  # never stuck behind a dead Redis
    finally:
        await asyncio.to_thread(redis_server.start)
        await cap.close()
    assert len([r for r in caplog.records if "REDIS UNREACHABLE" in r.getMessage()]) == 1


def test_shared_keys_are_per_bot() -> None:
    from handlers.app import bot_id

    assert bot_id("123456:ABC-secret-part") == "123456"  # the public bot id, never the secret part
    assert bot_id("not-a-token") == "bot"


async def test_one_warning_a_minute_for_the_whole_worker(redis_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    """run_bot gives its three Redis users one shared warning: Redis down is one line a minute, not three."""
    from bot.chatstate import ChatStates
    from bot.shared import SharedSendCap, redis_down_warning
    from bot.sharedchats import SharedChats

    redis_server.start()
    down = redis_down_warning()
    updates = SharedUpdates.from_url(redis_server.url)
    cap = SharedSendCap(redis_server.url, 30, name=f"cap-test-{next(_prefixes)}")
    chats = SharedChats.from_url(redis_server.url, ChatStates(), secret="1:x")
    updates.down = cap.down = chats.down = down
    await asyncio.to_thread(redis_server.stop)
    caplog.set_level(logging.WARNING, logger="bot.shared")
    try:
        for update_id in range(3):
            assert await updates.claim(update_id)
            await chats.load(update_id)
            await cap.acquire()
            await chats.save(update_id)
            await updates.done(update_id)
    finally:
        await asyncio.to_thread(redis_server.start)
        await updates.close()
        await cap.close()
        await chats.close()
    lines = [r.getMessage() for r in caplog.records if "REDIS UNREACHABLE" in r.getMessage()]
    assert len(lines) == 1 and "default region and language" in lines[0]
