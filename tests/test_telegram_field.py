"""Telegram as it really behaves (issue 10): each failure kind seen by people who run bots, sent by the fake Bot API
as Telegram documents it, through the real Application."""

from __future__ import annotations

import asyncio
import logging

import pytest
from conftest import TelegramBot
from fakebotapi import FakeBotAPI

from bot.engine import Engine
from handlers.delivery import PatientRateLimiter

CHAT = 8080
QUESTION = "what are the signs of trafficking"
URGENT = "he took my passport and locks me in, I am scared"


def statuses(fake_api: FakeBotAPI, method: str, **match) -> list[int]:
    return [c.status for c in fake_api.calls_of(method, ok_only=False, **match)]


def errors_logged(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def handled(tg: TelegramBot, update: dict) -> None:
    """Wait until the bot finished handling `update` (its ledger confirms it to Telegram)."""
    ledger = tg.app.bot.ledger
    for _ in range(500):
        if ledger.seen(update["update_id"]) and not ledger.in_flight:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"update {update['update_id']} was not handled")


# -- 1. late button taps ----------------------------------------------------------------------------------------


async def test_a_late_tap_still_gets_what_was_tapped_for(tg, fake_api: FakeBotAPI, caplog):
    menu = await tg.say(CHAT, "/topics")
    update = fake_api.press(CHAT, tg.message_id(menu), menu.button_data()[0], late=True)
    edit = await fake_api.wait_for("editMessageText", chat_id=CHAT)
    assert edit.button_data()[-1] == "tc"  # the category's questions, with ◀ Back
    await handled(tg, update)
    assert statuses(fake_api, "answerCallbackQuery") == [400]
    assert not fake_api.calls_of("sendMessage", chat_id=CHAT)[1:]  # no "something went wrong"
    assert not errors_logged(caplog)


async def test_a_late_tap_on_a_suggested_entry_sends_the_card(tg, fake_api: FakeBotAPI, caplog):
    answer = await tg.say(CHAT, QUESTION)
    entry_button = next(d for d in answer.button_data() if d.startswith("e:"))
    fake_api.press(CHAT, tg.message_id(answer), entry_button, late=True)
    card = await fake_api.wait_for("sendMessage", chat_id=CHAT)
    assert card.text == tg.engine.entry_reply(entry_button[2:], None).plain
    assert not errors_logged(caplog)


# -- 2. blocked or removed ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("chat_id, description", [
    (CHAT, "Forbidden: bot was blocked by the user"),
    (-1009001, "Forbidden: bot was kicked from the supergroup chat"),
])
async def test_a_chat_that_blocked_the_bot_gets_one_attempt_and_is_forgotten(
    tg, fake_api: FakeBotAPI, caplog, chat_id, description
):
    caplog.set_level(logging.INFO)
    text = QUESTION if chat_id > 0 else f"@{fake_api.username} {QUESTION}"
    await tg.say(chat_id, "/region DE")
    assert tg.chats.region(chat_id) == "DE"
    fake_api.block(chat_id, description)
    update = fake_api.send_text(chat_id, text)
    await handled(tg, update)
    assert statuses(fake_api, "sendMessage", chat_id=chat_id) == [200, 403]  # one attempt, no error reply
    assert chat_id not in tg.chats
    assert not errors_logged(caplog)
    quiet = [r for r in caplog.records if r.name == "handlers.errors"]
    assert len(quiet) == 1 and quiet[0].levelno == logging.INFO
    assert description not in quiet[0].getMessage() and QUESTION not in quiet[0].getMessage()


# -- 16. flood limits never cost the answer -----------------------------------------------------------------------


class FastSleep:
    """Records the waits the rate limiter asked for and waits a hundredth of them (tests never wait for real)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds / 100)


@pytest.fixture
async def flood_tg(fake_api: FakeBotAPI, bot_config, bundled_engine: Engine):
    sleep = FastSleep()
    bot = TelegramBot(fake_api, bot_config, bundled_engine, rate_limiter=PatientRateLimiter(sleep=sleep))
    bot.sleep = sleep
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def test_many_flood_limits_in_a_row_still_deliver_the_answer(flood_tg, fake_api: FakeBotAPI, caplog):
    fake_api.fail("sendMessage", "429", times=8, retry_after=5, chat_id=CHAT)
    call = await flood_tg.say(CHAT, QUESTION)
    assert call.text == flood_tg.engine.respond(QUESTION, None).plain  # the answer, never the error reply
    assert statuses(fake_api, "sendMessage", chat_id=CHAT) == [429] * 8 + [200]
    assert flood_tg.sleep.waits == [pytest.approx(5.1)] * 8  # each retry_after honoured (40 s < the deadline)
    assert not errors_logged(caplog)


async def test_a_flood_limit_past_the_deadline_sends_no_error_reply_in_its_place(
    fake_api: FakeBotAPI, bot_config, bundled_engine: Engine, caplog
):
    bot = TelegramBot(fake_api, bot_config, bundled_engine, rate_limiter=PatientRateLimiter(deadline=0.5))
    await bot.start()
    try:
        fake_api.fail("sendMessage", "429", times=1, retry_after=1, chat_id=CHAT)  # 1 s > the 0.5 s deadline
        update = fake_api.send_text(CHAT, QUESTION)
        await handled(bot, update)
    finally:
        await bot.stop()
    assert statuses(fake_api, "sendMessage", chat_id=CHAT) == [429]
    assert not errors_logged(caplog)
    assert any("flood" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# -- 6. order within a chat ---------------------------------------------------------------------------------------


async def test_two_messages_of_one_chat_are_answered_in_order_even_when_the_first_meets_a_flood_limit(
    flood_tg, fake_api: FakeBotAPI
):
    tg = flood_tg
    fake_api.fail("sendMessage", "429", times=1, retry_after=20, chat_id=CHAT)
    fake_api.send_text(CHAT, "/hotline")
    fake_api.send_text(CHAT, QUESTION)
    first, second = await fake_api.wait_for_many("sendMessage", 2, chat_id=CHAT)
    assert first.text == tg.engine.hotline_reply(None).plain
    assert second.text == tg.engine.respond(QUESTION, None).plain


async def test_many_messages_of_one_chat_keep_their_order_while_other_chats_are_answered(tg, fake_api: FakeBotAPI):
    fake_api.fail("sendMessage", "delay", seconds=0.3, chat_id=CHAT)
    for n in range(5):
        fake_api.send_text(CHAT, f"/region {['DE', 'FR', 'GB', 'US', 'NL'][n]}")
    other = await tg.say(CHAT + 1, QUESTION)  # not held up by CHAT's queue
    assert other.ok
    replies = await fake_api.wait_for_many("sendMessage", 5, chat_id=CHAT)
    names = [tg.engine.referrals.get(code).name for code in ("DE", "FR", "GB", "US", "NL")]
    assert [next(n for n in names if f"Region set: {n}" in r.text) for r in replies] == names
    assert tg.chats.region(CHAT) == "NL"


# -- 12. at least once ---------------------------------------------------------------------------------------------


async def test_an_update_is_confirmed_only_after_its_answer_went_out(tg, fake_api: FakeBotAPI):
    fake_api.fail("sendMessage", "delay", seconds=1.0, chat_id=CHAT)
    slow = fake_api.send_text(CHAT, QUESTION)
    await fake_api.wait_received("sendMessage", chat_id=CHAT)
    await tg.say(CHAT + 1, QUESTION)  # later updates are fetched and answered meanwhile…
    # …but the one in flight is not confirmed: were the process killed now, Telegram would send it again.
    assert fake_api.confirmed_update_id < slow["update_id"]
    await fake_api.wait_for("sendMessage", chat_id=CHAT)
    await confirmed(fake_api, slow["update_id"])  # the next poll confirms it


async def confirmed(fake_api: FakeBotAPI, update_id: int) -> None:
    for _ in range(500):
        if fake_api.confirmed_update_id >= update_id:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"update {update_id} was never confirmed (confirmed: {fake_api.confirmed_update_id})")


async def test_a_restart_after_a_crash_answers_the_question_in_flight(
    fake_api: FakeBotAPI, bot_config, bundled_engine: Engine
):
    first = TelegramBot(fake_api, bot_config, bundled_engine)
    await first.start()
    fake_api.fail("sendMessage", "hang", seconds=30, chat_id=CHAT)  # the answer never leaves: the process dies
    update = fake_api.send_text(CHAT, QUESTION)
    await fake_api.wait_received("sendMessage", chat_id=CHAT)
    await first.app.updater.stop()  # the poller is gone (as in a crash), the answer never went out
    for task in [t for t in asyncio.all_tasks() if "process_concurrent_update" in t.get_name()]:
        task.cancel()
    await asyncio.sleep(0)
    assert fake_api.confirmed_update_id < update["update_id"]

    second = TelegramBot(fake_api, bot_config, bundled_engine)
    await second.start()
    try:
        answer = await fake_api.wait_for("sendMessage", chat_id=CHAT)
        assert answer.text == second.engine.respond(QUESTION, None).plain
    finally:
        await second.stop()
        await first.stop()  # releases the dead process's connections


async def test_stopping_confirms_what_was_handled(fake_api: FakeBotAPI, bot_config, bundled_engine: Engine):
    bot = TelegramBot(fake_api, bot_config, bundled_engine)
    await bot.start()
    try:
        update = fake_api.send_text(CHAT, QUESTION)
        await fake_api.wait_for("sendMessage", chat_id=CHAT)
    finally:
        await bot.stop()
    assert fake_api.confirmed_update_id >= update["update_id"]  # not sent again after a clean restart


# -- 7. one unreadable update -------------------------------------------------------------------------------------


async def test_an_update_the_library_cannot_read_is_skipped_and_polling_carries_on(tg, fake_api: FakeBotAPI, caplog):
    bad = fake_api.push_update({"message": {"message_id": 1, "date": 0, "chat": "not a chat"}})
    answer = await tg.say(CHAT, QUESTION)
    assert answer.text == tg.engine.respond(QUESTION, None).plain
    await tg.say(CHAT, "/hotline")
    records = errors_logged(caplog)
    assert len(records) == 1 and str(bad["update_id"]) in records[0].getMessage()
    assert "not a chat" not in records[0].getMessage()
    assert fake_api.confirmed_update_id >= bad["update_id"]


# -- 15. bounded memory -------------------------------------------------------------------------------------------


async def test_python_telegram_bot_keeps_no_id_of_those_who_wrote(tg, fake_api: FakeBotAPI):
    for n in range(30):
        fake_api.send_text(10_000 + n, "/hotline")
    await fake_api.wait_for_many("sendMessage", 30)
    app = tg.app
    assert not app.chat_data and not app.user_data
    assert not app._chat_ids_to_be_updated_in_persistence  # noqa: SLF001 - the leak this guards against
    assert not app._user_ids_to_be_updated_in_persistence  # noqa: SLF001


async def test_a_blocked_chat_is_forgotten_by_python_telegram_bot_too(tg, fake_api: FakeBotAPI):
    await tg.say(CHAT, "/hotline")
    fake_api.block(CHAT)
    await handled(tg, fake_api.send_text(CHAT, QUESTION))
    assert CHAT not in tg.app.chat_data and CHAT not in tg.chats


# -- 3. supergroup migration --------------------------------------------------------------------------------------


async def test_a_region_chosen_in_a_basic_group_survives_the_upgrade(tg, fake_api: FakeBotAPI):
    old, new = -5001, -1005001
    await tg.say(old, "/region DE", chat_type="group")
    fake_api.upgrade_group(old, new)
    reply = await tg.say(new, f"@{fake_api.username} {QUESTION}")
    assert tg.chats.region(new) == "DE"
    assert reply.text == tg.engine.respond(QUESTION, "DE").plain


async def test_a_send_to_an_upgraded_group_is_resent_to_the_supergroup(tg, fake_api: FakeBotAPI, caplog):
    old, new = -5002, -1005002
    await tg.say(old, "/region FR", chat_type="group")
    fake_api.migrated[old] = new  # upgraded; the service messages have not arrived yet
    fake_api.send_text(old, f"@{fake_api.username} {QUESTION}", chat_type="group")
    reply = await fake_api.wait_for("sendMessage", chat_id=new)
    assert reply.text == tg.engine.respond(QUESTION, "FR").plain
    assert tg.chats.region(new) == "FR" and old not in tg.chats
    assert not errors_logged(caplog)


# -- 4. forum topics ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [QUESTION, URGENT, "/hotline"])
async def test_replies_land_in_the_topic_where_the_person_asked(tg, fake_api: FakeBotAPI, text):
    group = -1006001
    said = text if text.startswith("/") else f"@{fake_api.username} {text}"
    reply = await tg.say(group, said, thread_id=42)
    assert reply.params.get("message_thread_id") == 42


async def test_a_button_under_a_topic_reply_answers_in_that_topic(tg, fake_api: FakeBotAPI):
    group = -1006002
    answer = await tg.say(group, f"@{fake_api.username} {QUESTION}", thread_id=7)
    fake_api.press(group, tg.message_id(answer), answer.button_data()[0])
    card = await fake_api.wait_for("sendMessage", chat_id=group)
    assert card.params.get("message_thread_id") == 7


async def test_a_private_chat_reply_has_no_topic(tg, fake_api: FakeBotAPI):
    reply = await tg.say(CHAT, QUESTION)
    assert "message_thread_id" not in reply.params


# -- 5. captions --------------------------------------------------------------------------------------------------


async def test_a_photo_whose_caption_mentions_the_bot_in_a_group_is_answered(tg, fake_api: FakeBotAPI):
    group = -1007001
    fake_api.send_media(group, "photo", caption=f"@{fake_api.username} {QUESTION}")
    reply = await fake_api.wait_for("sendMessage", chat_id=group)
    assert reply.text == tg.engine.respond(QUESTION, None).plain


async def test_an_urgent_caption_in_a_group_gets_the_urgent_reply(tg, fake_api: FakeBotAPI):
    group = -1007002
    fake_api.send_media(group, "document", caption=f"@{fake_api.username} {URGENT}")
    reply = await fake_api.wait_for("sendMessage", chat_id=group)
    assert reply.text == tg.engine.respond(URGENT, None).plain


async def test_a_group_photo_without_a_mention_is_left_alone(tg, fake_api: FakeBotAPI):
    group = -1007003
    update = fake_api.send_media(group, "photo", caption=QUESTION)
    await handled(tg, update)
    assert not fake_api.calls_of("sendMessage", chat_id=group)


# -- 11. a message with no sender ---------------------------------------------------------------------------------


async def test_a_moderator_command_sent_on_behalf_of_a_channel_gets_the_refusal(tg, fake_api: FakeBotAPI, caplog):
    group = -1008001
    message = fake_api.message(group, "/kb_stats")
    del message["from"]
    message["sender_chat"] = {"id": -1009999, "type": "channel", "title": "A channel"}
    fake_api.push_update({"message": message})
    reply = await fake_api.wait_for("sendMessage", chat_id=group)
    assert reply.ok
    assert not errors_logged(caplog)


async def test_a_question_sent_on_behalf_of_a_channel_is_answered(tg, fake_api: FakeBotAPI, caplog):
    group = -1008002
    message = fake_api.message(group, f"@{fake_api.username} {QUESTION}")
    del message["from"]
    message["sender_chat"] = {"id": -1009998, "type": "channel", "title": "A channel"}
    fake_api.push_update({"message": message})
    reply = await fake_api.wait_for("sendMessage", chat_id=group)
    assert reply.text == tg.engine.respond(QUESTION, None).plain
    assert not errors_logged(caplog)


# -- 14. a reply never waits for the database ---------------------------------------------------------------------


async def test_replies_never_wait_for_a_locked_database(
    fake_api: FakeBotAPI, bot_config, bundled_engine: Engine, tmp_path, caplog
):
    from bot.store import Store
    from handlers.counting import CountBuffer
    from handlers.deps import deps_of

    store = Store(tmp_path / "counts.sqlite3")
    await store.open()
    locked = asyncio.Event()  # another process holds the lock: every count waits until the test ends

    async def stuck(*args, **kwargs):
        await locked.wait()

    store.count_event = stuck  # type: ignore[method-assign]
    bot = TelegramBot(fake_api, bot_config, bundled_engine, store=store)
    deps = deps_of(bot.app.bot_data)
    deps.counts = CountBuffer(lambda: deps.store, capacity=3)
    await bot.start()
    try:
        chats = list(range(9000, 9008))
        for chat in chats:
            fake_api.send_text(chat, QUESTION)
        fake_api.send_text(9100, URGENT)
        urgent = await fake_api.wait_for("sendMessage", chat_id=9100)
        assert urgent.text == bot.engine.respond(URGENT, None).plain
        for chat in chats:
            answer = await fake_api.wait_for("sendMessage", chat_id=chat)
            assert answer.text.startswith(bot.engine.respond(QUESTION, None).plain.split("\n")[0])
        # The next message of a chat whose first answer is still "being counted" is answered too.
        hotline = await bot.say(chats[0], "/hotline")
        assert hotline.text == bot.engine.hotline_reply(None).plain
        assert deps.counts.pending <= 3 and deps.counts.dropped >= 5  # bounded: the rest dropped…
        warnings = [r for r in caplog.records if r.name == "handlers.counting"]
        assert len(warnings) == 1  # …with one warning, not one per count
    finally:
        locked.set()
        await bot.stop()
        await store.close()
