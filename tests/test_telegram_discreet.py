"""Discreet use and the quick exit (issue 10), through the real Application and the fake Bot API."""

from __future__ import annotations

import re

import pytest
from fakebotapi import Call, FakeBotAPI

CHAT = 7070
QUESTION = "what are the signs of trafficking"
URGENT = "he took my passport and locks me in, I am scared"
# Words that would tell someone glancing at a lock screen or a chat list what the conversation is about.
TOPIC_WORDS = re.compile(
    r"traffick|exploit|slave|sex|forced|abuse|danger|victim|hotline|police|violence|passport|escape|help|emergency"
    r"|report|coerc|smuggl|trapped",
    re.IGNORECASE,
)
PREVIEW = 60  # characters shown by lock-screen notifications and chat-list previews


async def idle(bot) -> None:
    """Until the bot has finished every update it fetched (the reply's id is remembered after the send returns)."""
    import asyncio

    for _ in range(500):
        if not bot.app.bot.ledger.in_flight:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot never became idle")


def preview(call: Call) -> str:
    return " ".join(call.text.split())[:PREVIEW]


async def test_discreet_mode_makes_every_reply_silent_protected_and_neutral_at_first_sight(tg, fake_api: FakeBotAPI):
    on = await tg.say(CHAT, "/discreet")
    assert on.params.get("disable_notification") is True and on.params.get("protect_content") is True
    await tg.say(CHAT, "/region DE")
    for text in (QUESTION, "/hotline", "/help", "/topics", "qwxz blorb", "/privacy"):
        reply = await tg.say(CHAT, text)
        assert reply.params.get("disable_notification") is True, text
        assert reply.params.get("protect_content") is True, text
        assert not TOPIC_WORDS.search(preview(reply)), (text, preview(reply))
        assert tg.engine.respond(QUESTION, "DE").plain in reply.text or text != QUESTION  # the answer is all there


async def test_a_discreet_urgent_reply_still_starts_with_the_numbers(tg, fake_api: FakeBotAPI):
    await tg.say(CHAT, "/region DE")
    await tg.say(CHAT, "/discreet")
    reply = await tg.say(CHAT, URGENT)
    assert reply.text.startswith("Numbers: 110")  # the emergency number first, as in every urgent reply
    assert "116 016" in preview(reply)
    assert not TOPIC_WORDS.search(preview(reply)), preview(reply)
    assert reply.params.get("protect_content") is True and reply.params.get("disable_notification") is True
    assert tg.engine.respond(URGENT, "DE").plain in reply.text


async def test_the_discreet_button_under_an_urgent_reply_turns_it_on(tg, fake_api: FakeBotAPI):
    urgent = await tg.say(CHAT, URGENT)
    assert "d" in urgent.button_data() and "q" in urgent.button_data()
    assert "protect_content" not in urgent.params  # not discreet until asked
    fake_api.press(CHAT, tg.message_id(urgent), "d")
    on = await fake_api.wait_for("sendMessage", chat_id=CHAT)
    assert on.params.get("protect_content") is True
    answer = await tg.say(CHAT, QUESTION)
    assert answer.params.get("disable_notification") is True


async def test_discreet_mode_ends_with_off_and_when_the_chat_is_forgotten(tg, fake_api: FakeBotAPI):
    await tg.say(CHAT, "/discreet")
    off = await tg.say(CHAT, "/discreet off")
    assert "protect_content" not in off.params
    await tg.say(CHAT, "/discreet")
    tg.chats.forget(CHAT)  # what the TTL does (bot.chatstate)
    reply = await tg.say(CHAT, QUESTION)
    assert "protect_content" not in reply.params and not reply.text.startswith("A reply is below")


async def test_discreet_mode_is_per_chat(tg, fake_api: FakeBotAPI):
    await tg.say(CHAT, "/discreet")
    other = await tg.say(CHAT + 1, QUESTION)
    assert "protect_content" not in other.params and "disable_notification" not in other.params


@pytest.mark.parametrize("how", ["button", "command"])
async def test_the_quick_exit_deletes_the_whole_conversation_at_once_and_says_nothing(tg, fake_api: FakeBotAPI, how):
    await tg.say(CHAT, "/region DE")
    await tg.say(CHAT, QUESTION)
    urgent = await tg.say(CHAT, URGENT)
    assert len(fake_api.visible(CHAT)) == 6
    sent_before = len(fake_api.calls_of("sendMessage", chat_id=CHAT))
    if how == "button":
        update = fake_api.press(CHAT, tg.message_id(urgent), "q")
        ack = await fake_api.wait_for("answerCallbackQuery", callback_query_id=update["callback_query"]["id"])
        assert not TOPIC_WORDS.search(ack.params.get("text", ""))
    else:
        fake_api.send_text(CHAT, "/exit")
    await fake_api.wait_for("deleteMessages", chat_id=CHAT)
    await tg.handled_all()
    assert fake_api.visible(CHAT) == []  # the person's messages and the bot's, the /exit itself included
    assert len(fake_api.calls_of("sendMessage", chat_id=CHAT)) == sent_before  # nothing said afterwards
    assert CHAT not in tg.chats and tg.chats.region(CHAT) is None


async def test_the_quick_exit_leaves_messages_older_than_48_hours_to_the_person(fake_api: FakeBotAPI, bot_config,
                                                                                  bundled_engine):
    from conftest import TelegramBot

    from bot.chatstate import ChatStates

    now = [1000.0]
    bot = TelegramBot(fake_api, bot_config, bundled_engine, chats=ChatStates(clock=lambda: now[0]))
    await bot.start()
    try:
        await bot.say(CHAT, "/hotline")  # ids 1, 2
        await idle(bot)
        now[0] += 47 * 3600  # within the TTL (sliding), past Telegram's 48-hour delete window by the exit
        await bot.say(CHAT, QUESTION)  # ids 3, 4
        await idle(bot)
        now[0] += 2 * 3600
        fake_api.send_text(CHAT, "/exit")  # id 5
        call = await fake_api.wait_for("deleteMessages", chat_id=CHAT)
    finally:
        await bot.stop()
    assert call.params["message_ids"] == [3, 4, 5]


async def test_exit_in_a_group_wipes_nothing_and_names_nothing(tg, fake_api: FakeBotAPI):
    group = -1003030
    await tg.say(group, f"@{fake_api.username} {QUESTION}")
    reply = await tg.say(group, "/exit")
    assert not TOPIC_WORDS.search(reply.text)
    assert not fake_api.calls_of("deleteMessages")


async def test_leave_now_in_a_group_deletes_the_urgent_reply_only(tg, fake_api: FakeBotAPI):
    group = -1003031
    answer = await tg.say(group, f"@{fake_api.username} {QUESTION}")
    urgent = await tg.say(group, f"@{fake_api.username} {URGENT}")
    fake_api.press(group, tg.message_id(urgent), "q", user_id=555)
    await fake_api.wait_for("deleteMessage", chat_id=group)
    visible = [m.message_id for m in fake_api.visible(group)]
    assert tg.message_id(urgent) not in visible and tg.message_id(answer) in visible
