"""Telegram's webhook delivery and a round-robin reverse proxy, in one, for multi-worker tests.

`WebhookFront` takes the updates a FakeBotAPI has queued (`take_updates`) and POSTs each, as JSON with the
`X-Telegram-Bot-Api-Secret-Token` header, to the next worker in turn. As Telegram does, an update whose request
failed (connection refused or reset, an error status, or no answer within `timeout`) is sent again, here at once
to the next worker (what a reverse proxy with passive health checks does). An update counts as delivered only on
a 2xx answer, which awarebot gives only after the update was handled.

Records per update id: how many attempts it took and which worker confirmed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from fakebotapi import FakeBotAPI


@dataclass
class Delivery:
    """One update's way through the front."""

    update_id: int
    attempts: int = 0
    failures: list[str] = field(default_factory=list)  # error kinds of failed attempts
    confirmed_by: str | None = None
    confirmed_at: float | None = None


class WebhookFront:
    """Round-robin delivery of a fake Bot API's updates to worker URLs, with Telegram-like redelivery."""

    def __init__(self, api: FakeBotAPI, urls: list[str], *, secret: str, timeout: float = 10.0,
                 max_connections: int = 40) -> None:
        self.api = api
        self.urls = urls
        self.secret = secret
        self.timeout = timeout
        # Telegram's setWebhook max_connections defaults to 40 simultaneous requests.
        self._slots = asyncio.Semaphore(max_connections)
        self._next = itertools.cycle(range(len(urls)))
        self.deliveries: dict[int, Delivery] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        # One connection pool per worker, each keeping all its connections alive: httpcore scans every connection of
        # a pool for each request, and one pool of 40 connections to three workers (closing idle ones above its
        # default 20 kept alive, to open them again) cost the test process more CPU than the fake Bot API did.
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._clients = {url: httpx.AsyncClient(timeout=timeout, limits=limits) for url in dict.fromkeys(urls)}

    async def __aenter__(self) -> WebhookFront:  # noqa: PYI034
        self._runner = asyncio.get_running_loop().create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()

    @property
    def pending(self) -> int:
        """Updates taken from the fake and not yet confirmed by a worker."""
        return sum(1 for d in self.deliveries.values() if d.confirmed_by is None)

    async def _run(self) -> None:
        while True:
            for update in self.api.take_updates():
                delivery = self.deliveries.setdefault(update["update_id"], Delivery(update["update_id"]))
                task = asyncio.get_running_loop().create_task(self._deliver(update, delivery))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(0.005)

    async def _deliver(self, update: dict[str, Any], delivery: Delivery) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        while True:
            url = self.urls[next(self._next)]
            delivery.attempts += 1
            async with self._slots:
                try:
                    response = await self._clients[url].post(url, json=update, headers=headers)
                except httpx.HTTPError as exc:
                    delivery.failures.append(type(exc).__name__)
                else:
                    if 200 <= response.status_code < 300:
                        delivery.confirmed_by = url
                        delivery.confirmed_at = time.monotonic()
                        return
                    delivery.failures.append(f"HTTP {response.status_code}")
            await asyncio.sleep(0.01)  # Telegram waits before retrying; a short pause keeps the test fast

    async def drained(self, timeout: float) -> None:
        """Until every update taken so far was confirmed (and none is left in the fake's queue)."""
        async def loop() -> None:
            while self.pending or self.api._pending_updates:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(loop(), timeout)
