"""What webhook workers share through Redis (`state_url = "redis://…"`): which updates were handled.

Telegram sends an update again when its webhook request failed or timed out, and behind a reverse proxy that
second delivery may reach another worker. `SharedUpdates` makes a redelivered update be answered once:

- `claim(update_id)` before handling: `SET awarebot:update:<id> busy NX PX claim_ttl`. The first worker gets it.
  Another worker receiving the same update waits while it is `busy` (the first one is still answering) and
  skips it once it is `done`. A claim whose worker died expires after `claim_ttl`, and the update is handled
  again: a possible duplicate, never a loss.
- `done(update_id)` after the reply went out: the key becomes `done` for `done_ttl` (a day: Telegram gives up
  redelivering long before).

Only update ids (numbers Telegram assigns) are stored; never text, user or chat ids. Redis should run without
persistence (README: Deployment); losing these keys costs at most a duplicate answer.

Redis down: every update is handled (local duplicate detection still works in each worker) and one warning is
logged a minute, not one per update.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "awarebot:update:"
CLAIM_TTL = 30.0  # seconds a worker may take to answer one update before another may take it over
DONE_TTL = 24 * 3600  # seconds a handled update is remembered
WARN_EVERY = 60.0  # seconds between two warnings while Redis is down
POLL = 0.05  # seconds between checks while another worker holds the claim
REDIS_TIMEOUT = 1.0  # seconds for one Redis command: a worker never waits long on a dead Redis


class Throttled:
    """A warning logged at most once per `every` seconds (clock injectable for tests)."""

    def __init__(self, logger: logging.Logger, message: str, every: float = WARN_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.message = message
        self.every = every
        self.clock = clock
        self._last: float | None = None
        self.suppressed = 0

    def warn(self, kind: str) -> None:
        """Log the message with the error kind (a class name, never exception text), unless logged recently."""
        now = self.clock()
        if self._last is not None and now - self._last < self.every:
            self.suppressed += 1
            return
        self._last = now
        self.logger.warning("%s (%s; %d more since the last warning)", self.message, kind, self.suppressed)
        self.suppressed = 0


def redis_down_warning() -> Throttled:
    """One warning a minute for a whole worker while Redis is down, shared by its Redis users (run_bot gives it
    to SharedUpdates, SharedSendCap and SharedChats), saying what goes on meanwhile."""
    return Throttled(log, "REDIS UNREACHABLE: answering goes on: chats last seen by another worker get the default "
                          "region and language, a redelivered update may be answered twice, the send cap is per "
                          "worker")


def connect(url: str) -> aioredis.Redis:
    """A Redis client for `url` with short timeouts (no connection is made until the first command)."""
    return aioredis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT,
                                   decode_responses=True)


class SharedUpdates:
    """Claims on update ids shared by all workers (see the module docstring). `close()` when done."""

    def __init__(self, client: aioredis.Redis, *, claim_ttl: float = CLAIM_TTL, done_ttl: int = DONE_TTL,
                 prefix: str = PREFIX) -> None:
        self.client = client
        self.claim_ttl = claim_ttl
        self.done_ttl = done_ttl
        self.prefix = prefix
        self.down = Throttled(log, "REDIS UNREACHABLE: handling every update (a redelivered one may be answered "
                                   "twice); answers go on")

    @classmethod
    def from_url(cls, url: str, **kwargs: float) -> SharedUpdates:
        return cls(connect(url), **kwargs)  # type: ignore[arg-type]

    async def close(self) -> None:
        await self.client.aclose()

    def _key(self, update_id: int) -> str:
        return f"{self.prefix}{int(update_id)}"

    async def claim(self, update_id: int) -> bool:
        """True: this worker handles the update. False: another worker already answered it.

        Waits while another worker holds a live claim (it is answering right now), at most `claim_ttl` seconds
        after which the claim has expired and this worker takes over. Redis unreachable: True.
        """
        key = self._key(update_id)
        try:
            while True:
                if await self.client.set(key, "busy", nx=True, px=int(self.claim_ttl * 1000)):
                    return True
                state = await self.client.get(key)
                if state == "done":
                    return False
                if state is None:
                    continue  # expired between the two commands: try to claim again
                await asyncio.sleep(POLL)
        except (RedisError, OSError) as exc:
            self.down.warn(type(exc).__name__)
            return True

    async def done(self, update_id: int) -> None:
        """The update was answered: remember it for `done_ttl` seconds."""
        try:
            await self.client.set(self._key(update_id), "done", ex=self.done_ttl)
        except (RedisError, OSError) as exc:
            self.down.warn(type(exc).__name__)


class SharedSendCap:
    """Telegram's bulk limit for one bot (about 30 messages a second, core.telegram.org/bots/faq) shared by all
    workers: a moving one-second window counted in Redis by the `limits` library (MovingWindowRateLimiter).

    `acquire()` returns when one more message may be sent. Redis unreachable: returns at once (each worker's own
    python-telegram-bot limiter still caps it) and warns once a minute.
    """

    def __init__(self, url: str, per_second: float, *, name: str = "awarebot-send") -> None:
        from limits import RateLimitItemPerSecond
        from limits.aio.storage import RedisStorage
        from limits.aio.strategies import MovingWindowRateLimiter

        uri = url.replace("rediss://", "async+rediss://", 1).replace("redis://", "async+redis://", 1)
        # Our own pool (limits uses it as given), so close() can release its connections.
        self.pool = aioredis.ConnectionPool.from_url(url, socket_timeout=REDIS_TIMEOUT,
                                                     socket_connect_timeout=REDIS_TIMEOUT)
        # limits types **options as scalars; a connection pool is what its redispy implementation accepts.
        self.storage = RedisStorage(uri, implementation="redispy", connection_pool=self.pool)  # type: ignore[arg-type]
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.item = RateLimitItemPerSecond(max(1, round(per_second)))
        self.name = name
        self.down = Throttled(log, "REDIS UNREACHABLE: the send cap is per worker until it is back")

    async def close(self) -> None:
        await self.pool.aclose()

    async def acquire(self) -> None:
        """Wait until the shared window has room for one more message, and take it."""
        while True:
            try:
                if await self.limiter.hit(self.item, self.name):
                    return
                stats = await self.limiter.get_window_stats(self.item, self.name)
                wait = stats.reset_time - time.time()
            except Exception as exc:  # noqa: BLE001 - limits wraps the client's errors in its own types
                self.down.warn(type(exc).__name__)
                return
            await asyncio.sleep(min(max(wait, 0.005), 0.25))
