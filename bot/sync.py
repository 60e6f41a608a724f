"""Keeping the engine in service equal to the published knowledge, in every worker.

One `KnowledgeSync` per process. `refresh()` reads the store's `published_version`; when it differs from the one
the live engine was built from, it reads the published revisions, builds a new engine off the event loop and swaps
it in whole (bot.engine.LiveEngine), so a question in flight keeps the snapshot it started with. Moderation calls
`refresh(force=True)` after its own writes; `run()` (started by the Telegram application) covers writes made by
other workers or processes:

- a push: PostgreSQL's LISTEN/NOTIFY (bot.pgstore), so a publish on any worker is served by every worker within a
  fraction of a second;
- a safety net: the version is checked every `interval` seconds anyway (a notification lost while a connection
  was down, or SQLite, which has no push).

The database being down is not an outage for people asking: the engine they are answered from stays as it is, one
warning is logged when the database goes away and one line when it is back, and the check is retried every
`retry` seconds. A store that could not be opened at start (server down) is opened here once it can be.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from bot.config import Config
from bot.engine import Engine, LiveEngine
from bot.errors import KnowledgeError
from bot.knowledge import Knowledge
from bot.referrals import ReferralDirectory
from bot.store import StoreBusy, StoreDown, StoreUnavailable

log = logging.getLogger(__name__)

SAFETY_NET_INTERVAL = 5.0  # seconds between version checks when notifications are up
RETRY_INTERVAL = 1.0  # seconds between attempts while the database is down

_FAILURES = (StoreDown, StoreUnavailable, StoreBusy)


class KnowledgeSync:
    """Rebuilds and swaps the live engine when the published knowledge changed (see the module docstring).

    `store()` returns the open store or None. `published` is the version the live engine serves (-1 = unknown).
    """

    def __init__(
        self,
        config: Config,
        live: LiveEngine,
        store: Callable[[], Any | None],
        *,
        interval: float = SAFETY_NET_INTERVAL,
        retry: float = RETRY_INTERVAL,
    ) -> None:
        self.config = config
        self.live = live
        self._store = store
        self.interval = interval
        self.retry = retry
        self._pending: Any | None = None
        self._adopt: Callable[[Any], None] | None = None
        self._lock = asyncio.Lock()
        self._poked = asyncio.Event()
        self._baseline: tuple[Knowledge, ReferralDirectory] | None = None
        self._task: asyncio.Task[None] | None = None
        self.published = -1
        self.down = False  # the database could not be reached at the last attempt

    def retry_open(self, store: Any, adopt: Callable[[Any], None]) -> None:
        """`store` could not be opened at start (server down): `run()` retries it and calls `adopt(store)` once
        it is open (the application then uses it), followed by a refresh."""
        self._pending = store
        self._adopt = adopt

    async def baseline(self) -> tuple[Knowledge, ReferralDirectory]:
        """The bundled (or configured) knowledge folder, loaded once, off the event loop."""
        if self._baseline is None:
            from bot.service import load_baseline

            self._baseline = await asyncio.to_thread(load_baseline, self.config)
        return self._baseline

    async def refresh(self, *, force: bool = False, first: bool = False) -> bool:
        """Swap in an engine built from what is published now, unless it is what is served already (or `force`).
        `first` (at start) keeps the engine's version number: the baseline it replaces was never served.

        Returns True when a new engine went live. Raises StoreDown / StoreBusy when the database cannot be read
        (the engine in service stays). One refresh at a time, so a later one always swaps in later knowledge.
        """
        from bot.service import apply_overrides

        store = self._store()
        if store is None:
            return False
        async with self._lock:
            version = await store.published_version()
            if version == self.published and not force:
                return False
            overrides = await store.effective_overrides()
            knowledge, referrals = await self.baseline()
            config = self.config
            engine_version = self.live.current.version + (0 if first else 1)

            def build() -> Engine:
                try:
                    merged, directory = apply_overrides(knowledge, referrals, overrides)
                except KnowledgeError as exc:
                    log.error("published revisions are invalid, serving the bundled knowledge: %s", exc.report())
                    merged, directory = knowledge, referrals
                return Engine.build(merged, directory, config.matching, config.default_region, version=engine_version)

            self.live.swap(await asyncio.to_thread(build))
            self.published = version
        log.info("knowledge: engine version %d is live (%d published revisions)", engine_version, version)
        return True

    def poke(self) -> None:
        """Something was published elsewhere: check now (the store's listener calls this)."""
        self._poked.set()

    async def _open_pending(self) -> bool:
        if self._pending is None:
            return True
        try:
            await self._pending.open()
        except StoreUnavailable:
            return False
        store, self._pending = self._pending, None
        if self._adopt is not None:
            self._adopt(store)
        log.warning("DATABASE AVAILABLE again: published revisions are served and editing works")
        return True

    async def step(self) -> float:
        """One round of `run()`: (re)listen, check the version, rebuild if needed. Returns the seconds to wait."""
        if not await self._open_pending():
            self._went_down()
            return self.retry
        store = self._store()
        if store is None:
            return self.interval
        try:
            await store.listen(self.poke)
            await self.refresh()
        except _FAILURES:
            self._went_down()
            return self.retry
        if self.down:
            self.down = False
            log.warning("DATABASE REACHABLE again: serving published revision %d; editing works again", self.published)
        return self.interval

    def _went_down(self) -> None:
        if not self.down:
            self.down = True
            log.warning("DATABASE UNREACHABLE: answering from the knowledge already loaded; editing is refused "
                        "until it is back (retrying every %g s)", self.retry)

    async def run(self) -> None:
        """Forever: wait for a notification or the safety-net interval, then `step()`. Cancel to stop."""
        while True:
            self._poked.clear()  # before the step: a notification arriving during it starts the next one at once
            wait = await self.step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), wait)

    def start(self) -> None:
        """Run `run()` as a background task of the current event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="knowledge-sync")

    async def stop(self) -> None:
        """Cancel the background task and wait for it."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
