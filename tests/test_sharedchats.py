"""Chat memory shared by workers through a real redis-server (bot.sharedchats): what one worker remembers about a
chat (region, discreet flag, message ids, a pending /forget) the next worker sees; /forget on one forgets on all;
the keys hold no chat id and no text and expire like the memory; Redis down costs no answer."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from fakebotapi import FakeBotAPI

from bot.chatstate import DEFAULT_TTL, ChatStates
from bot.engine import Engine
from bot.sharedchats import SharedChats

TOKEN = "123456:TEST-token-secret-part"
CHAT = 987_654_321
_prefixes = itertools.count(1)


@pytest.fixture
async def two_workers(redis_server: Any) -> AsyncIterator[tuple[SharedChats, SharedChats]]:
    """Two workers' memories (own ChatStates each) over one Redis, under a key prefix of this test."""
    redis_server.start()
    prefix = f"test{next(_prefixes)}:chat:"
    one = SharedChats.from_url(redis_server.url, ChatStates(), secret=TOKEN, prefix=prefix)
    two = SharedChats.from_url(redis_server.url, ChatStates(), secret=TOKEN, prefix=prefix)
    yield one, two
    await one.close()
    await two.close()


async def test_what_one_worker_remembers_the_next_one_sees(two_workers: tuple[SharedChats, SharedChats]) -> None:
    one, two = two_workers
    await one.load(CHAT)
    one.chats.set_region(CHAT, "GB")
    one.chats.set_language(CHAT, "fr")
    one.chats.set_discreet(CHAT)
    one.chats.remember_message(CHAT, 41)
    one.chats.remember_message(CHAT, 42)
    one.chats.set_pending_forget(CHAT, 43)
    await one.save(CHAT)

    await two.load(CHAT)
    assert two.chats.region(CHAT) == "GB"
    assert two.chats.language(CHAT) == "fr"
    assert two.chats.is_discreet(CHAT)
    assert two.chats.recent_messages(CHAT, max_age=3600) == [41, 42]
    assert two.chats.pop_pending_forget(CHAT) == 43
    await two.save(CHAT)
    await one.load(CHAT)
    assert one.chats.pop_pending_forget(CHAT) is None  # taken on the other worker

    # /forget (or the quick exit) on worker two: worker one forgets too, even its own copy.
    await two.load(CHAT)
    two.chats.forget(CHAT)
    await two.save(CHAT)
    await one.load(CHAT)
    assert CHAT not in one.chats and one.chats.region(CHAT) is None


async def test_keys_hold_no_chat_id_and_no_text_and_expire(two_workers: tuple[SharedChats, SharedChats],
                                                            redis_server: Any) -> None:
    one, _ = two_workers
    await one.load(CHAT)
    one.chats.set_region(CHAT, "GB")
    one.chats.remember_message(CHAT, 41)
    await one.save(CHAT)
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        keys = sorted([k async for k in client.scan_iter(match=one.prefix + "*")])
        assert keys == [one.key(CHAT), one.key(CHAT) + ":messages"]
        dump = " ".join(keys) + str(await client.hgetall(keys[0])) + str(await client.zrange(keys[1], 0, -1))
        assert str(CHAT) not in dump
        # Codes, flags and times only (the chosen language came with the translations): never text or ids.
        assert set(await client.hgetall(keys[0])) == {"region", "region_set_at", "language", "language_set_at",
                                                      "pending_forget", "discreet", "touched"}
        for key in keys:
            assert DEFAULT_TTL - 60 < await client.ttl(key) <= DEFAULT_TTL  # the memory's 48 hours
    finally:
        await client.aclose()
    # Another bot (another token) cannot even find the chat's keys.
    other = SharedChats(one.client, ChatStates(), secret="999:other", prefix=one.prefix)
    assert other.key(CHAT) != one.key(CHAT)


async def test_redis_down_the_worker_goes_on_with_its_own_memory(
    two_workers: tuple[SharedChats, SharedChats], redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    one, _ = two_workers
    one.chats.set_region(CHAT, "GB")
    await asyncio.to_thread(redis_server.stop)
    caplog.set_level(logging.WARNING, logger="bot.sharedchats")
    try:
        for _ in range(5):
            await one.load(CHAT)
            assert one.chats.region(CHAT) == "GB"  # kept, not dropped, when Redis cannot say
            await one.save(CHAT)
    finally:
        await asyncio.to_thread(redis_server.start)
    assert len([r for r in caplog.records if "REDIS UNREACHABLE" in r.getMessage()]) == 1


async def test_telegram_region_chosen_on_one_worker_is_used_by_the_other(
    redis_server: Any, fake_api: FakeBotAPI, bot_config: Any, bundled_engine: Engine
) -> None:
    """The real application twice (two workers), one Redis: /region gb sent to worker one; the next question,
    handled by worker two, is answered with the United Kingdom's numbers."""
    from dataclasses import replace

    from conftest import TelegramBot

    from bot.markup import to_plain
    from bot.referrals import referral_block

    redis_server.start()
    prefix = f"test{next(_prefixes)}:chat:"
    async with FakeBotAPI() as other_api:
        bots = []
        for api in (fake_api, other_api):
            config = replace(bot_config, telegram=replace(bot_config.telegram, token=api.token,
                                                          base_url=api.base_url))
            chats = ChatStates()
            shared = SharedChats.from_url(redis_server.url, chats, secret=api.token, prefix=prefix)
            bots.append(TelegramBot(api, config, bundled_engine, chats=chats, shared_chats=shared))
        for bot in bots:
            await bot.start()
        try:
            chosen = await bots[0].say(CHAT, "/region gb")
            assert "Region set: United Kingdom" in chosen.text
            answer = await bots[1].say(CHAT, "what is sex trafficking")
            gb = bundled_engine.referrals.get("GB")
            assert to_plain(referral_block(gb)) in answer.text
        finally:
            for bot in bots:
                await bot.stop()
                await bot.app.update_processor.shared.close()
