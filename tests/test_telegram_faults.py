"""Faults: flood limits, server errors, timeouts, a failing handler, shutdown mid-reply, a slow chat."""

from __future__ import annotations

import asyncio
import logging
import time

from fakebotapi import FakeBotAPI

CHAT = 6060
QUESTION = "what are the signs of trafficking"


def statuses(fake_api: FakeBotAPI, method: str, **match) -> list[int]:
    return [c.status for c in fake_api.calls_of(method, ok_only=False, **match)]


async def test_flood_limit_429_is_waited_out_and_the_reply_arrives(tg, fake_api: FakeBotAPI):
    fake_api.fail("sendMessage", "429", retry_after=1, chat_id=CHAT)
    started = time.monotonic()
    call = await tg.say(CHAT, QUESTION)
    assert call.text == tg.engine.respond(QUESTION, None).plain
    assert statuses(fake_api, "sendMessage", chat_id=CHAT) == [429, 200]
    assert time.monotonic() - started >= 1.0  # retry_after honoured


async def test_server_errors_are_retried_with_backoff(tg, fake_api: FakeBotAPI):
    fake_api.fail("sendMessage", "500", times=2, chat_id=CHAT)
    call = await tg.say(CHAT, QUESTION)
    assert call.text == tg.engine.respond(QUESTION, None).plain
    assert statuses(fake_api, "sendMessage", chat_id=CHAT) == [500, 500, 200]


async def test_a_hung_request_times_out_and_is_retried(tg, fake_api: FakeBotAPI):
    fake_api.fail("sendMessage", "hang", seconds=4, chat_id=CHAT)
    call = await tg.say(CHAT, QUESTION)
    assert call.text == tg.engine.respond(QUESTION, None).plain
    assert statuses(fake_api, "sendMessage", chat_id=CHAT) == [0, 200]  # 0: never answered


async def test_callback_answers_and_edits_survive_faults_too(tg, fake_api: FakeBotAPI):
    menu = await tg.say(CHAT, "/topics")
    fake_api.fail("answerCallbackQuery", "500")
    fake_api.fail("editMessageText", "500")
    edit = await tg.tap(CHAT, tg.message_id(menu), menu.button_data()[0])
    assert edit.button_data()[-1] == "tc"


async def test_a_failing_update_gets_the_error_reply_and_the_bot_carries_on(tg, fake_api: FakeBotAPI, caplog):
    caplog.set_level(logging.ERROR, logger="handlers.errors")
    fake_api.fail("sendMessage", "400", chat_id=CHAT)
    update = fake_api.send_text(CHAT, QUESTION)
    error_reply = await fake_api.wait_for("sendMessage", chat_id=CHAT)
    assert error_reply.text == tg.engine.error_reply(None).plain  # kind, and with the referral
    records = [r for r in caplog.records if r.name == "handlers.errors"]
    assert len(records) == 1
    logged = records[0].getMessage()
    assert "BadRequest" in logged and str(update["update_id"]) in logged
    assert QUESTION not in logged and "injected fault" not in logged

    # The next question is answered as usual.
    call = await tg.say(CHAT, QUESTION)
    assert call.text == tg.engine.respond(QUESTION, None).plain


async def test_a_message_that_cannot_be_edited_is_sent_anew(tg, fake_api: FakeBotAPI):
    menu = await tg.say(CHAT, "/topics")
    category = menu.button_data()[0]
    fake_api.fail("editMessageText", "400")
    listing = await tg.tap(CHAT, tg.message_id(menu), category, method="sendMessage")
    assert listing.button_data()[-1] == "tc"


async def test_one_slow_chat_does_not_hold_up_another(tg, fake_api: FakeBotAPI):
    slow, fast = 7001, 7002
    # Longer than the ledger's held-poll wait (handlers.delivery.HELD_POLL_WAIT): new updates are fetched meanwhile.
    fake_api.fail("sendMessage", "delay", seconds=1.0, chat_id=slow)
    fake_api.send_text(slow, QUESTION)
    await fake_api.wait_received("sendMessage", chat_id=slow)
    fake_api.send_text(fast, QUESTION)
    await fake_api.wait_for("sendMessage", chat_id=fast)
    assert not fake_api.calls_of("sendMessage", chat_id=slow)  # still waiting
    await fake_api.wait_for("sendMessage", chat_id=slow)


async def test_stopping_finishes_a_reply_in_flight(tg, fake_api: FakeBotAPI):
    fake_api.fail("sendMessage", "delay", seconds=0.4, chat_id=CHAT)
    fake_api.send_text(CHAT, QUESTION)
    await fake_api.wait_received("sendMessage", chat_id=CHAT)
    await tg.stop()  # what run_polling does on SIGTERM / Ctrl-C
    assert statuses(fake_api, "sendMessage", chat_id=CHAT) == [200]


async def test_many_chats_at_once(tg, fake_api: FakeBotAPI):
    chats = list(range(8000, 8040))
    for chat in chats:
        fake_api.send_text(chat, QUESTION)
    calls = await asyncio.gather(*(fake_api.wait_for("sendMessage", chat_id=c) for c in chats))
    expected = tg.engine.respond(QUESTION, None).plain
    assert all(c.text == expected for c in calls)
