"""`GET /healthz` on `[telegram.webhook] health_port`: is this worker ready to answer?

Ready (HTTP 200) when the knowledge and its models are loaded (always, once the worker listens: broken knowledge
stops start-up), the database is open and reachable, and Redis (when configured) answers a PING. Otherwise 503,
so a proxy's or orchestrator's health check takes the worker out of rotation until it is back. The body is JSON:
`{"ready": true, "knowledge_version": 3, "published": 12, "database": "up", "redis": "up"}` (no message data).

A separate port from the webhook on purpose: it serves no updates, needs no secret, and can stay on a private
interface when the webhook port is exposed to the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

READ_LIMIT = 8192  # bytes of request line and headers read at most


class HealthServer:
    """A tiny HTTP/1.0 server answering `GET /healthz` (404 for anything else) from `deps` (handlers.deps.BotDeps)
    and an optional async Redis client."""

    def __init__(self, deps: Any, *, listen: str, port: int, redis: Any | None = None) -> None:
        self.deps = deps
        self.listen = listen
        self.port = port
        self.redis = redis
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.listen, self.port)
        log.info("health check on http://%s:%d/healthz", self.listen, self.port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        if self.redis is not None:
            await self.redis.aclose()

    async def status(self) -> dict[str, Any]:
        """What /healthz reports; `ready` is the verdict."""
        deps = self.deps
        store = deps.store
        sync = deps.sync
        database = "up" if store is not None and (sync is None or not sync.down) else "down"
        redis = "none"
        if self.redis is not None:
            try:
                redis = "up" if await asyncio.wait_for(self.redis.ping(), 1.0) else "down"
            except Exception:  # noqa: BLE001 - any failure means "not up"; the kind is not needed here
                redis = "down"
        return {
            "ready": database == "up" and redis in ("up", "none"),
            "knowledge_version": deps.live.current.version,
            "published": sync.published if sync is not None else None,
            "database": database,
            "redis": redis,
        }

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            request = head[:READ_LIMIT].split(b"\r\n", 1)[0].split()
            if len(request) >= 2 and request[0] in (b"GET", b"HEAD") and request[1].split(b"?")[0] == b"/healthz":
                status = await self.status()
                code = "200 OK" if status["ready"] else "503 Service Unavailable"
                body = json.dumps(status).encode()
            else:
                code, body = "404 Not Found", b'{"error": "only GET /healthz"}'
            writer.write(f"HTTP/1.0 {code}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
