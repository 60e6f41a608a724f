"""Per-chat memory: bounded LRU, sliding TTL, region forgotten 48 h after it was chosen, ids for /forget."""

from __future__ import annotations

import pytest

from bot.chatstate import DEFAULT_TTL, ChatStates
from handlers.forget import DELETE_WINDOW


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_unknown_chat_has_nothing(clock):
    chats = ChatStates(clock=clock)
    assert chats.get(1) is None and chats.region(1) is None and chats.recent_messages(1, DELETE_WINDOW) == []
    assert chats.pop_pending_forget(1) is None and not chats.forget(1)
    assert len(chats) == 0 and 1 not in chats


def test_region_is_per_chat(clock):
    chats = ChatStates(clock=clock)
    chats.set_region(1, "GB")
    chats.set_region(2, "US")
    assert (chats.region(1), chats.region(2)) == ("GB", "US")


def test_state_expires_after_ttl_of_inactivity(clock):
    chats = ChatStates(clock=clock, ttl=100)
    chats.remember_message(1, 10)
    clock.now += 60
    chats.remember_message(1, 11)  # activity slides the TTL
    clock.now += 60
    assert chats.get(1) is not None
    clock.now += 41
    assert chats.get(1) is None and len(chats) == 0


def test_region_is_forgotten_ttl_after_it_was_chosen_even_in_an_active_chat(clock):
    chats = ChatStates(clock=clock)
    chats.set_region(1, "GB")
    for _ in range(3):
        clock.now += DEFAULT_TTL / 3
        chats.remember_message(1, 1)
    assert chats.get(1) is not None
    clock.now += 1
    assert chats.region(1) is None


def test_lru_bound_drops_the_least_recently_active(clock):
    chats = ChatStates(clock=clock, max_chats=3)
    for chat in (1, 2, 3):
        chats.set_region(chat, "GB")
        clock.now += 1
    chats.remember_message(1, 5)  # 1 is active again: 2 is now the oldest
    chats.set_region(4, "US")
    assert 2 not in chats and all(c in chats for c in (1, 3, 4))
    assert len(chats) == 3


def test_expiry_sweeps_old_chats_on_write(clock):
    chats = ChatStates(clock=clock, ttl=10)
    for chat in range(100):
        chats.set_region(chat, "GB")
    clock.now += 11
    chats.set_region(1000, "US")
    assert len(chats._chats) == 1  # swept, not just hidden


def test_deletable_messages_are_young_enough_unique_and_sorted(clock):
    chats = ChatStates(clock=clock, ttl=1e9)
    chats.remember_message(1, 3)
    clock.now += DELETE_WINDOW + 1
    for message_id in (9, 7, 8, 8):
        chats.remember_message(1, message_id)
    assert chats.recent_messages(1, DELETE_WINDOW) == [7, 8, 9]


def test_message_ids_are_bounded_per_chat(clock):
    chats = ChatStates(clock=clock, max_messages=5)
    for message_id in range(1, 11):
        chats.remember_message(1, message_id)
    assert chats.recent_messages(1, DELETE_WINDOW) == [6, 7, 8, 9, 10]


def test_pending_forget_is_taken_once(clock):
    chats = ChatStates(clock=clock)
    chats.set_pending_forget(1, 42)
    assert chats.pop_pending_forget(1) == 42
    assert chats.pop_pending_forget(1) is None


def test_forget_drops_everything(clock):
    chats = ChatStates(clock=clock)
    chats.set_region(1, "GB")
    chats.remember_message(1, 5)
    assert chats.forget(1)
    assert 1 not in chats and chats.region(1) is None and chats.recent_messages(1, DELETE_WINDOW) == []


def test_no_text_is_kept():
    chats = ChatStates()
    chats.set_region(1, "GB")
    chats.remember_message(1, 5)
    state = chats.get(1)
    assert state is not None
    stored = [state.region, state.pending_forget, *[v for pair in state.messages for v in pair]]
    assert all(isinstance(v, (int, float, type(None))) or v == "GB" for v in stored)


@pytest.mark.parametrize("kwargs", [{"max_chats": 0}, {"ttl": 0}, {"max_messages": 0}])
def test_bad_bounds_are_refused(kwargs):
    with pytest.raises(ValueError):
        ChatStates(**kwargs)
