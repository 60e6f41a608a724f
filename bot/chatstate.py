"""Per-chat memory of a chat front end: region, language, discreet mode, a pending /forget, and the ids of messages
exchanged (with when), which /forget and the quick exit may delete.

In memory only (never persisted), bounded (least recently active chats are dropped first) and forgotten
`ttl` seconds after a chat's last activity. Holds no message text: ids and timestamps only.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_MAX_CHATS = 50_000
# The privacy promise: a chat's state, its region included, is forgotten 48 hours after it was last touched.
DEFAULT_TTL = 48 * 3600.0
# Message ids remembered per chat at most (oldest dropped first).
DEFAULT_MAX_MESSAGES = 1000


@dataclass(slots=True)
class ChatState:
    """What awarebot remembers about one chat."""

    region: str | None = None
    region_set_at: float = 0.0
    # The chat's language: the person's choice (/language) or the language of the last reply; a prior for the next.
    language: str | None = None
    language_set_at: float = 0.0
    # Message id of the /forget confirmation waiting for an answer.
    pending_forget: int | None = None
    # Discreet use: silent, unforwardable replies whose first words name no topic (as long as the chat is remembered).
    discreet: bool = False
    # (message id, clock time) of messages in both directions, oldest first.
    messages: deque[tuple[int, float]] = field(default_factory=deque)
    # Ids of answers already voted on (one vote per answer), oldest first.
    voted: deque[int] = field(default_factory=deque)
    touched: float = 0.0


class ChatStates:
    """Chat id → ChatState, as a bounded LRU with a sliding TTL. The clock is injectable for tests."""

    def __init__(
        self,
        *,
        max_chats: int = DEFAULT_MAX_CHATS,
        ttl: float = DEFAULT_TTL,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_chats < 1 or ttl <= 0 or max_messages < 1:
            raise ValueError("max_chats, ttl and max_messages must be positive")
        self.max_chats = max_chats
        self.ttl = ttl
        self.max_messages = max_messages
        self._clock = clock
        self._chats: OrderedDict[int, ChatState] = OrderedDict()

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._chats)

    def __contains__(self, chat_id: object) -> bool:
        return isinstance(chat_id, int) and self.get(chat_id) is not None

    # -- reading (does not count as activity) ----------------------------------------------------------------

    def get(self, chat_id: int) -> ChatState | None:
        """The chat's state, or None when unknown or expired."""
        state = self._chats.get(chat_id)
        if state is not None and self._clock() - state.touched > self.ttl:
            del self._chats[chat_id]
            return None
        return state

    def region(self, chat_id: int) -> str | None:
        """The chat's region; forgotten `ttl` after it was chosen, however active the chat (privacy promise)."""
        state = self.get(chat_id)
        if state is None or state.region is None:
            return None
        if self._clock() - state.region_set_at > self.ttl:
            state.region = None
        return state.region

    def language(self, chat_id: int) -> str | None:
        """The chat's language (chosen or last used); forgotten `ttl` after it was set, like the region."""
        state = self.get(chat_id)
        if state is None or state.language is None:
            return None
        if self._clock() - state.language_set_at > self.ttl:
            state.language = None
        return state.language

    def is_discreet(self, chat_id: int) -> bool:
        """True when the chat asked for discreet replies (and is still remembered)."""
        state = self.get(chat_id)
        return state is not None and state.discreet

    def recent_messages(self, chat_id: int, max_age: float) -> list[int]:
        """Ids of this chat's remembered messages at most `max_age` seconds old, unique and ascending.

        The front end says how old a message it can still act on may be (e.g. a platform's deletion window)."""
        state = self.get(chat_id)
        if state is None:
            return []
        oldest = self._clock() - max_age
        return sorted({message_id for message_id, at in state.messages if at >= oldest})

    # -- writing (counts as activity: refreshes the TTL and the LRU position) -----------------------------

    def set_region(self, chat_id: int, region: str | None) -> None:
        """Choose (or with None clear) the chat's region code."""
        state = self._touch(chat_id)
        state.region, state.region_set_at = region, state.touched

    def set_language(self, chat_id: int, language: str | None) -> None:
        """Remember the chat's language (a code such as "uk"); only the code, never text."""
        state = self._touch(chat_id)
        if state.language != language:
            state.language, state.language_set_at = language, state.touched
    def set_discreet(self, chat_id: int, on: bool = True) -> None:
        self._touch(chat_id).discreet = on

    def migrate(self, old_chat_id: int, new_chat_id: int) -> bool:
        """A basic group became a supergroup (a new chat id): its memory moves to the new id, message ids
        excepted (they belong to the old chat). True when there was something to move; never overwrites a
        state the new id already has."""
        state = self.get(old_chat_id)
        if state is None or old_chat_id == new_chat_id:
            return False
        del self._chats[old_chat_id]
        if self.get(new_chat_id) is not None:
            return False
        state.messages.clear()
        state.voted.clear()
        state.pending_forget = None
        self._chats[new_chat_id] = state
        self._touch(new_chat_id)
        return True

    def remember_message(self, chat_id: int, message_id: int) -> None:
        """Remember the id (never the text) of a message sent or received in the chat, with the time now."""
        state = self._touch(chat_id)
        state.messages.append((message_id, state.touched))
        while len(state.messages) > self.max_messages:
            state.messages.popleft()

    def first_vote(self, chat_id: int, message_id: int) -> bool:
        """Record a vote on the answer `message_id`; True only the first time (a double tap counts once)."""
        state = self._touch(chat_id)
        if message_id in state.voted:
            return False
        state.voted.append(message_id)
        while len(state.voted) > self.max_messages:
            state.voted.popleft()
        return True

    def set_pending_forget(self, chat_id: int, message_id: int) -> None:
        """Remember the message id of a /forget confirmation waiting for an answer."""
        self._touch(chat_id).pending_forget = message_id

    def pop_pending_forget(self, chat_id: int) -> int | None:
        """The pending /forget confirmation's message id (cleared), or None when there is none."""
        state = self.get(chat_id)
        if state is None:
            return None
        pending, state.pending_forget = state.pending_forget, None
        return pending

    def forget(self, chat_id: int) -> bool:
        """Drop everything about the chat; True when there was something to drop."""
        return self._chats.pop(chat_id, None) is not None

    # -- sharing (bot.sharedchats: several workers keep chat memory in Redis) ------------------------------

    def now(self) -> float:
        """The time on this memory's clock (seconds; what `touched` and the message times are measured in)."""
        return self._clock()

    def install(self, chat_id: int, state: ChatState | None) -> None:
        """Replace the chat's state with one loaded from shared storage (None: drop it), as it is: neither its
        times nor the LRU order count this as activity beyond what `state.touched` says."""
        if state is None:
            self._chats.pop(chat_id, None)
            return
        self._chats[chat_id] = state
        self._chats.move_to_end(chat_id)
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)

    # -- internals -------------------------------------------------------------------------------------------

    def _touch(self, chat_id: int) -> ChatState:
        now = self._clock()
        self._expire(now)
        state = self._chats.get(chat_id)
        if state is None:
            state = self._chats[chat_id] = ChatState()
        else:
            self._chats.move_to_end(chat_id)
        state.touched = now
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        return state

    def _expire(self, now: float) -> None:
        # Touching moves a chat to the end, so the least recently active chats are first: stop at the first live one.
        while self._chats:
            chat_id, state = next(iter(self._chats.items()))
            if now - state.touched <= self.ttl:
                break
            del self._chats[chat_id]
