"""How updates reach the handlers and how their confirmation reaches Telegram.

* `ChatOrderedProcessor` (a python-telegram-bot `BaseUpdateProcessor`): the updates of one chat are handled one
  after another, in the order Telegram numbered them; different chats run concurrently.
* `UpdateLedger` + `LedgerBot` (polling) and `ConfirmingQueue` (webhook): at least once. An update is confirmed to
  Telegram only after its handling ended (the reply sent, or the error handler done): in polling the offset sent
  to getUpdates never passes an update still in flight; in webhook mode the HTTP answer waits for the handling.
  Only update ids are kept, never their content.
* `LedgerBot` also skips an update the library cannot parse (one logged record with its id) instead of fetching
  the same batch forever.
* `PatientRateLimiter` (an `AIORateLimiter`): a 429 is waited out as often as Telegram asks, until a deadline,
  instead of a fixed number of retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseUpdateProcessor, ExtBot

log = logging.getLogger(__name__)

# Updates handled at the same moment (across all chats).
DEFAULT_MAX_RUNNING = 64
# Updates accepted and waiting (mostly behind an earlier update of the same chat) before new ones wait in the queue.
DEFAULT_MAX_WAITING = 10_000
# getUpdates returns at most 100 updates (Bot API `limit`); the offset is held back at most this many ids, so the
# updates still in flight never fill a whole batch and hide new ones. Past it, the oldest are confirmed anyway.
HOLD_WINDOW = 80
# While updates are in flight, Telegram answers getUpdates at once with them again; the next poll then waits until
# one finishes or this many seconds pass, instead of spinning.
HELD_POLL_WAIT = 0.25
# Update ids answered in webhook mode and remembered to recognise Telegram's redelivery of the same update.
RECENT_DONE = 2000
# Telegram asks a bot over the flood limit to wait `retry_after` seconds; a reply keeps being retried for this long
# in total (python-telegram-bot's AIORateLimiter retries a fixed number of times instead). A minute is the order of
# the longest retry_after Telegram usually sends to a bot within its limits (core.telegram.org/bots/faq).
FLOOD_DEADLINE = 60.0


def chat_key(update: object) -> Hashable | None:
    """What must be handled in order: the chat (or, for inline queries, the person); None for anything else."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class UpdateLedger:
    """Ids of updates fetched and not yet handled, and what offset may be confirmed. Ids only, bounded."""

    def __init__(self, *, hold_window: int = HOLD_WINDOW, recent: int = RECENT_DONE) -> None:
        self.hold_window = hold_window
        self._in_flight: dict[int, asyncio.Event] = {}
        self._last_seen = -1
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._recent_max = recent
        self._progress: asyncio.Event | None = None
        self.polled = False

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def is_new(self, update_id: int) -> bool:
        """Polling: never fetched before (Telegram numbers updates in increasing order)."""
        return update_id > self._last_seen

    def begin(self, update_id: int) -> None:
        """The update was fetched and goes to the handlers."""
        self._in_flight.setdefault(update_id, asyncio.Event())
        self._last_seen = max(self._last_seen, update_id)

    def skip(self, update_id: int) -> None:
        """The update will never be handled (unreadable): confirm it with the next offset."""
        self._last_seen = max(self._last_seen, update_id)
        self._done(update_id)

    def finish(self, update_id: int) -> None:
        """The update's handling ended (answered, or failed for good)."""
        event = self._in_flight.pop(update_id, None)
        if event is not None:
            event.set()
        self._done(update_id)
        if self._progress is not None:
            self._progress.set()

    def _done(self, update_id: int) -> None:
        self._recent[update_id] = None
        while len(self._recent) > self._recent_max:
            self._recent.popitem(last=False)

    def offset(self) -> int | None:
        """The getUpdates offset that confirms exactly what was handled (None before anything was fetched)."""
        if self._last_seen < 0:
            return None
        after = self._last_seen + 1
        floor = min(self._in_flight) if self._in_flight else after
        return max(floor, after - self.hold_window)

    async def wait_progress(self, timeout: float) -> None:
        """Until some update finishes, or `timeout` seconds."""
        self._progress = self._progress or asyncio.Event()
        self._progress.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._progress.wait(), timeout)

    async def handled(self, update_id: int) -> None:
        """Webhook mode: return once the update was handled (at once if it already was: a redelivery)."""
        event = self._in_flight.get(update_id)
        if event is not None:
            await event.wait()

    def seen(self, update_id: int) -> bool:
        """Webhook mode: this update is being or was recently handled."""
        return update_id in self._in_flight or update_id in self._recent


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Per-chat serial, across chats concurrent (at most `max_running` handlers at once), and tells the ledger when
    each update's handling ended. Waiting behind the same chat does not take a running slot."""

    def __init__(self, ledger: UpdateLedger, max_running: int = DEFAULT_MAX_RUNNING,
                 max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        super().__init__(max_waiting)
        if max_running < 1:
            raise ValueError("max_running must be positive")
        self.ledger = ledger
        self.max_running = max_running
        self._running: asyncio.Semaphore | None = None
        self._chats: dict[Hashable, tuple[asyncio.Lock, int]] = {}  # only chats with updates in flight

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self.max_running)

    async def shutdown(self) -> None:
        self._chats.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        running = self._running or asyncio.Semaphore(self.max_running)
        self._running = running
        try:
            if key is None:
                async with running:
                    await coroutine
            else:
                await self._in_chat_order(key, running, coroutine)
        except asyncio.CancelledError:
            if isinstance(coroutine, Coroutine):
                coroutine.close()  # never started: stays unconfirmed, Telegram sends it again after a restart
            raise
        finally:
            if isinstance(update, Update) and not _cancelled():
                self.ledger.finish(update.update_id)

    async def _in_chat_order(self, key: Hashable, running: asyncio.Semaphore, coroutine: Awaitable[Any]) -> None:
        lock, users = self._chats.get(key) or (asyncio.Lock(), 0)
        self._chats[key] = (lock, users + 1)
        try:
            async with lock, running:
                await coroutine
        finally:
            lock, users = self._chats[key]
            if users <= 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, users - 1)


def _cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class LedgerBot(ExtBot[Any]):
    """ExtBot whose getUpdates confirms only handled updates and skips updates it cannot parse."""

    def __init__(self, *args: Any, ledger: UpdateLedger, held_poll_wait: float = HELD_POLL_WAIT,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ledger = ledger
        self._held_poll_wait = held_poll_wait

    @property
    def ledger(self) -> UpdateLedger:
        return self._ledger

    async def get_updates(self, offset: int | None = None, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Bot.get_updates with the ledger's offset instead of the caller's; marks what it returns as in flight."""
        self._ledger.polled = True
        held = self._ledger.offset()
        updates = await super().get_updates(held if held is not None else offset, *args, **kwargs)
        for update in updates:
            self._ledger.begin(update.update_id)
        return updates

    async def confirm_handled(self) -> None:
        """Polling only: confirm to Telegram every update handled so far (at shutdown, after the handlers ended)."""
        offset = self._ledger.offset()
        if not self._ledger.polled or offset is None:
            return
        try:
            await super().get_updates(offset=offset, limit=1, timeout=0)
        except Exception as exc:  # they come again after the restart: a duplicate answer, never a lost one
            log.warning("could not confirm the handled updates at shutdown: %s", type(exc).__name__)

    async def _do_post(self, endpoint: str, data: dict[str, Any], **kwargs: Any) -> Any:
        result = await super()._do_post(endpoint, data, **kwargs)
        if endpoint != "getUpdates" or not isinstance(result, list):
            return result
        fresh = []
        for raw in result:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                log.error("getUpdates returned an entry without an update id: skipped")
                continue
            if not self._ledger.is_new(update_id):
                continue  # still in flight, or handled: the offset was held back for it
            try:
                Update.de_json(raw, self)
            except Exception as exc:  # one unreadable update must not stop every chat
                log.error("update %d could not be read (%s): skipped", update_id, type(exc).__name__)
                self._ledger.skip(update_id)
                continue
            fresh.append(raw)
        if result and not fresh and self._ledger.in_flight:
            await self._ledger.wait_progress(self._held_poll_wait)
        return fresh


class ConfirmingQueue(asyncio.Queue[object]):
    """The application's update queue in webhook mode: `put` returns (and the webhook answers Telegram 200) only
    after the update was handled, so an update in flight when the process dies is sent again by Telegram.
    A redelivered update already handled is answered at once and not handled twice."""

    def __init__(self, ledger: UpdateLedger) -> None:
        super().__init__()
        self.ledger = ledger
        self.waiting = False  # set by run_bot in webhook mode; polling puts must not wait
        # Several workers (state_url = redis://…): claims on update ids shared by all of them (bot.shared), so an
        # update Telegram redelivers to another worker is answered once. None: this process only.
        self.shared: Any | None = None

    async def put(self, item: object) -> None:
        if not self.waiting or not isinstance(item, Update):
            await super().put(item)
            return
        update_id = item.update_id
        if not self.ledger.seen(update_id):
            if self.shared is not None and not await self.shared.claim(update_id):
                self.ledger.skip(update_id)  # another worker answered it: remember, answer Telegram 200
                return
            self.ledger.begin(update_id)
            await super().put(item)
            await self.ledger.handled(update_id)
            if self.shared is not None:
                await self.shared.done(update_id)
            return
        await self.ledger.handled(update_id)


class PatientRateLimiter(AIORateLimiter):
    """AIORateLimiter that honours every `retry_after` until `deadline` seconds in all have been spent waiting for
    one request, then raises the last RetryAfter. `min_wait` is added to each wait (Telegram's value is whole
    seconds); `sleep` is injectable so tests need not wait for real."""

    def __init__(self, *args: Any, deadline: float = FLOOD_DEADLINE, min_wait: float = 0.1,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, **kwargs: Any) -> None:
        kwargs["max_retries"] = 0  # this class retries flood replies itself, until `deadline`
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.min_wait = min_wait
        self._sleep = sleep

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        group: int | str | bool = False
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = chat_id
        waited = 0.0
        while True:
            try:
                return await self._run_request(
                    chat=chat_id is not None, group=group,
                    allow_paid_broadcast=bool(data.get("allow_paid_broadcast", False)),
                    callback=callback, args=args, kwargs=kwargs,
                )
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = (wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)) + self.min_wait
                if waited + seconds > self.deadline:
                    log.warning("%s: flood limit outlasts the %.0fs deadline; giving up", endpoint, self.deadline)
                    raise
                waited += seconds
                log.info("%s: flood limit, waiting %.1fs", endpoint, seconds)
                self._retry_after_event.clear()
                try:
                    await self._sleep(seconds)
                finally:
                    self._retry_after_event.set()


class SharedCapRateLimiter(PatientRateLimiter):
    """PatientRateLimiter whose bulk cap is shared by every worker (bot.shared.SharedSendCap, Redis + `limits`):
    each request to a chat first takes one slot of the common window, then goes through this worker's own
    python-telegram-bot limits (per-group cap, flood waits), which stay in force if Redis goes away."""

    def __init__(self, cap: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if data.get("chat_id") is not None:  # what Telegram's bulk limit counts (AIORateLimiter's rule too)
            await self.cap.acquire()
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
