"""Counting off the reply path: usage counts and votes go to a bounded buffer that one background task writes to
the store. A reply never waits for the database: while the store is slow (another process holds the SQLite lock)
or unavailable, counts wait in the buffer, and when it is full they are dropped with one warning per outage.
Counts are best-effort statistics; answering people is not."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

# Counts waiting for the store. At a few hundred replies a second this is a minute of a stalled database.
DEFAULT_CAPACITY = 10_000
# How long shutdown (and /kb_stats) waits for the buffer to reach the store.
DRAIN_TIMEOUT = 5.0

Write = Callable[[Any], Awaitable[None]]  # given the store, writes one count


class CountBuffer:
    """A bounded FIFO of pending writes and the task that applies them to `store()` one at a time."""

    def __init__(self, store: Callable[[], Any | None], *, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._store = store
        self._queue: asyncio.Queue[Write] = asyncio.Queue(capacity)
        self._task: asyncio.Task[None] | None = None
        self._warned = False  # one warning per outage, not one per count
        self.dropped = 0

    def add(self, write: Write) -> None:
        """Queue a write; never waits. Dropped (with one warning until the store catches up) when full."""
        if self._store() is None:
            return
        try:
            self._queue.put_nowait(write)
        except asyncio.QueueFull:
            self.dropped += 1
            self._warn("the count buffer is full (the database is slow or unavailable); counts are dropped")
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="awarebot:counts")

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> bool:
        """Wait until every queued count was written (or dropped); False when `timeout` seconds passed first."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Write what is queued (up to `timeout` seconds), then stop the task."""
        if not await self.drain(timeout):
            log.warning("%d count(s) not written at shutdown", self._queue.qsize())
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            write = await self._queue.get()
            try:
                store = self._store()
                if store is not None:
                    await write(store)
                    self._warned = False
            except Exception as exc:  # a stats hiccup (locked, full disk, gone) must not reach anyone
                self.dropped += 1
                self._warn(f"a count could not be written ({type(exc).__name__}); counts are dropped until it can")
            finally:
                self._queue.task_done()

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning(message)
