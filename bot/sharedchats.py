"""Per-chat memory shared by webhook workers through Redis (`state_url = "redis://…"`).

Each worker keeps its `bot.chatstate.ChatStates` (the handlers read and write it synchronously, as in the embedded
mode). Around the handling of each update, `SharedChats` makes that memory the one all workers share:

- `load(chat_id)` before the handlers run: the chat's state in Redis replaces this worker's copy (none in Redis,
  i.e. expired, forgotten with /forget or the quick exit on another worker: the local copy is dropped too);
- `save(chat_id)` after: this worker's copy is written back, with `EXPIRE` set to the same TTL as in memory
  (48 hours after the chat's last activity), or deleted when the chat was forgotten.

Updates of one chat are handled one at a time within a worker (ChatOrderedProcessor); across workers, two updates of
the same chat handled at the same moment may race, and the later save wins (a person types one message at a time).

What is stored, under keys named by a keyed hash of the chat id (BLAKE2b keyed with the bot token: the chat id
itself is not in Redis, and the keys mean nothing without the token): a hash with the region and language and when they were chosen,
the discreet flag, the pending /forget confirmation's message id and the last activity time; and a sorted set of the
message ids /forget and the quick exit may delete (score: when). Never message text.

Redis unreachable: the worker goes on with its own copy (a chat whose earlier messages went to another worker gets
the default region), and one warning is logged a minute.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.chatstate import ChatState, ChatStates
from bot.shared import Throttled, connect

log = logging.getLogger(__name__)


class SharedChats:
    """Loads and saves single chats of `chats` (this worker's ChatStates) from and to Redis. `close()` when done."""

    def __init__(self, client: aioredis.Redis, chats: ChatStates, *, secret: str, prefix: str = "awarebot:chat:",
                 wall: Callable[[], float] = time.time) -> None:
        self.client = client
        self.chats = chats
        self.prefix = prefix
        self._secret = hashlib.blake2b(secret.encode(), digest_size=32).digest()
        self._wall = wall
        self.down = Throttled(log, "REDIS UNREACHABLE: chat memory is this worker's own until it is back (a chat "
                                   "may get the default region)")

    @classmethod
    def from_url(cls, url: str, chats: ChatStates, *, secret: str, prefix: str = "awarebot:chat:") -> SharedChats:
        return cls(connect(url), chats, secret=secret, prefix=prefix)

    async def close(self) -> None:
        await self.client.aclose()

    def key(self, chat_id: int) -> str:
        """The Redis key of a chat: a keyed hash of its id (the id itself never reaches Redis)."""
        digest = hashlib.blake2b(str(int(chat_id)).encode(), key=self._secret, digest_size=16).hexdigest()
        return f"{self.prefix}{digest}"

    def _to_local(self, wall_time: float) -> float:
        """A wall-clock time (shared by workers) on this ChatStates' clock."""
        return self.chats.now() - (self._wall() - wall_time)

    def _to_wall(self, local_time: float) -> float:
        return self._wall() - (self.chats.now() - local_time)

    async def load(self, chat_id: int) -> None:
        """Replace this worker's copy of the chat with the shared one (dropped when there is none)."""
        key = self.key(chat_id)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.hgetall(key)
                pipe.zrange(f"{key}:messages", 0, -1, withscores=True)
                fields, messages = await pipe.execute()
        except (RedisError, OSError) as exc:
            self.down.warn(type(exc).__name__)
            return
        if not fields:
            self.chats.install(chat_id, None)
            return
        state = ChatState(
            region=fields.get("region") or None,
            region_set_at=self._to_local(float(fields.get("region_set_at", 0))),
            language=fields.get("language") or None,
            language_set_at=self._to_local(float(fields.get("language_set_at", 0))),
            pending_forget=int(fields["pending_forget"]) if fields.get("pending_forget") else None,
            discreet=fields.get("discreet") == "1",
            messages=deque((int(member), self._to_local(score)) for member, score in messages),
            touched=self._to_local(float(fields.get("touched", 0))),
        )
        self.chats.install(chat_id, state)

    async def save(self, chat_id: int) -> None:
        """Write this worker's copy of the chat to Redis with the TTL, or delete it there when it is gone."""
        key = self.key(chat_id)
        state = self.chats.get(chat_id)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(key, f"{key}:messages")
                if state is not None:
                    ttl = max(1, int(self.chats.ttl - (self.chats.now() - state.touched)))
                    pipe.hset(key, mapping={
                        "region": state.region or "",
                        "region_set_at": self._to_wall(state.region_set_at),
                        "language": state.language or "",
                        "language_set_at": self._to_wall(state.language_set_at),
                        "pending_forget": "" if state.pending_forget is None else str(state.pending_forget),
                        "discreet": "1" if state.discreet else "0",
                        "touched": self._to_wall(state.touched),
                    })
                    pipe.expire(key, ttl)
                    if state.messages:
                        pipe.zadd(f"{key}:messages", {str(m): self._to_wall(at) for m, at in state.messages})
                        pipe.expire(f"{key}:messages", ttl)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self.down.warn(type(exc).__name__)
