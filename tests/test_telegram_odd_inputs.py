"""Forged and odd input through the real Application (issue 10 items 8 and 18): one vote per answer, callback data
parsed strictly, and a kind reply for every odd input."""

from __future__ import annotations

import logging

import pytest
from fakebotapi import FakeBotAPI
from test_moderation_telegram import (  # noqa: F401 - `start` is a fixture
    ENTRY,
    PERSON,
    REVIEWER,
    Person,
    Start,
    ask,
    last,
    moderated,
    start,
)

from bot.config import Config


def errors_logged(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def raw_press(fake_api: FakeBotAPI, chat_id: int, message_id: int, data: str | None) -> dict:
    """A callback query as a forged or broken client could send it: any data, or none at all."""
    stored = fake_api.chats[chat_id][message_id]
    query_id = f"raw{len(fake_api.callback_queries)}"
    fake_api.callback_queries[query_id] = {"answered": False, "data": data}
    query = {"id": query_id, "from": fake_api.user(chat_id), "message": stored.to_api(), "chat_instance": "ci"}
    if data is not None:
        query["data"] = data
    return fake_api.push_update({"callback_query": query})


async def test_tapping_helpful_twice_quickly_counts_one_vote(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    person, mod = Person(bot, PERSON), Person(bot, REVIEWER)
    answer = await ask(person)
    message_id = int(answer.result["message_id"])
    for _ in range(3):  # all taps reach the bot before the buttons are taken away
        bot.server.press(PERSON, message_id, f"v:u:{ENTRY}")
    await bot.server.wait_for_many("answerCallbackQuery", 3)
    text = last(await mod.send("/kb_stats", "Usage in the last"), "Usage in the last").text
    assert f"({ENTRY}): served 1 · 👍 1 · 👎 0" in text


@pytest.mark.parametrize("data", ["", None, "f:y ", "F:Y", "f:y\n"])
async def test_a_press_with_empty_missing_or_odd_data_never_confirms_forget(tg, fake_api: FakeBotAPI, data, caplog):
    chat = 5151
    await tg.say(chat, "what is trafficking")
    prompt = await tg.say(chat, "/forget")
    update = raw_press(fake_api, chat, tg.message_id(prompt), data)
    ack = await fake_api.wait_for("answerCallbackQuery", callback_query_id=update["callback_query"]["id"])
    assert ack.params.get("text")  # a kind word: the button is not available
    assert not fake_api.calls_of("deleteMessages") and len(fake_api.visible(chat)) == 4
    assert not errors_logged(caplog)


@pytest.mark.parametrize("days, shown", [("1000000", 366), ("²", 30), ("-3", 30), ("0", 30), ("٣", 30)])
async def test_odd_stats_periods_get_a_kind_reply(start: Start, bot_config: Config, days, shown, caplog) -> None:
    bot = await start(moderated(bot_config))
    calls = await Person(bot, REVIEWER).send(f"/kb_stats {days}", "Usage in the last")
    assert f"Usage in the last {shown} day(s)" in last(calls, "Usage in the last").text
    assert not errors_logged(caplog)


@pytest.mark.parametrize("data", ["m:approve:²", "m:reject:¹²", "m:list:³:", "m:list:99999999999999999999:x",
                                  "m:approve:", "m:", "m:show:"])
async def test_odd_moderator_button_data_gets_a_kind_reply(start: Start, bot_config: Config, fake_api: FakeBotAPI,
                                                           data, caplog) -> None:
    bot = await start(moderated(bot_config))
    menu = last(await Person(bot, REVIEWER).send("/kb", "Moderation"), "Moderation")
    before = len(fake_api.calls)
    update = raw_press(fake_api, REVIEWER, int(menu.result["message_id"]), data)
    ack = await fake_api.wait_for("answerCallbackQuery", callback_query_id=update["callback_query"]["id"])
    await bot.handled_all()  # every call the bot makes for the press is made by then
    after = [c for c in fake_api.calls[before:] if c.method in ("sendMessage", "editMessageText") and c.ok]
    assert after or ack.params.get("text"), "no word at all"  # a message, or a toast on the button
    assert not any("something went wrong" in c.text for c in after)
    assert not errors_logged(caplog)


@pytest.mark.parametrize("data", ["r:²", "r:-1", "s:", "s:ZZ", "e:", "b:", "c:", "v:u:", "v:u:no-such-entry", "x "])
async def test_odd_public_button_data_gets_a_kind_reply(tg, fake_api: FakeBotAPI, data, caplog):
    chat = 5252
    answer = await tg.say(chat, "what is trafficking")
    update = raw_press(fake_api, chat, tg.message_id(answer), data)
    await fake_api.wait_for("answerCallbackQuery", callback_query_id=update["callback_query"]["id"])
    await tg.handled_all()
    assert not any("something went wrong" in c.text for c in fake_api.calls_of("sendMessage", chat_id=chat))
    assert not errors_logged(caplog)


# -- 10. moderator previews show typed text literally; 17. numbers only from the directory, however written ------


def visible_html_ok(call) -> bool:
    """The bot's message parses as Telegram HTML and its referral block is not swallowed by a stray bold."""
    from fakebotapi import check_html

    return check_html(call.params["text"]) is None


@pytest.mark.parametrize("typed", ["**oops", "<b>raw</b> and **", "a ** b ** c **"])
async def test_what_a_moderator_typed_is_shown_literally(start: Start, bot_config: Config, typed, caplog) -> None:
    bot = await start(moderated(bot_config))
    mod = Person(bot, REVIEWER)
    calls = await mod.send(f"/kb_show {typed}", "In danger right now?")
    reply = last(calls, "In danger right now?")
    assert visible_html_ok(reply)
    assert typed.split()[0] in reply.text  # shown as typed, asterisks and tags included
    # The referral block under it is intact: its first line is bold, nothing else swallowed it.
    assert "<b>In danger right now?" in reply.params["text"]
    assert not errors_logged(caplog)


async def test_the_edit_prompt_shows_its_example_asterisks(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    calls = await Person(bot, REVIEWER).send(f"/kb_edit {ENTRY}", "Send the new answer")
    assert "**like this**" in last(calls, "Send the new answer").text


@pytest.mark.parametrize("number", [
    "0800\u200b123\u200b456",  # zero-width spaces
    "**0800** 123 456",
    "0800_123_456",
    "0800/123/456",
    "\uff10\uff18\uff10\uff10 123 456",  # fullwidth digits
    "0\u2060800 1\u00ad23 456",  # word joiner, soft hyphen
])
async def test_a_phone_number_in_an_answer_is_refused_however_written(start: Start, bot_config: Config, number):
    bot = await start(moderated(bot_config))
    mod = Person(bot, REVIEWER)
    await mod.send(f"/kb_edit {ENTRY}", "Send the new answer")
    answer = f"Sex trafficking is exploitation for profit by force, fraud or coercion. Call {number} for advice."
    calls = await mod.send(answer, "phone number")
    assert any("phone number" in c.text for c in calls)
    assert not any("Preview" in c.text for c in calls)


# -- 18. confirmations mean it ------------------------------------------------------------------------------------


async def test_a_publish_into_a_removed_data_folder_is_not_confirmed_and_keeps_the_button(
    start: Start, bot_config: Config, fake_api: FakeBotAPI
) -> None:
    import shutil

    bot = await start(moderated(bot_config))
    mod = Person(bot, REVIEWER)
    await mod.send(f"/kb_edit {ENTRY}", "Send the new answer")
    calls = await mod.send("**Sex trafficking** is exploitation for profit by force, fraud or coercion. New.",
                           "Preview")
    preview = last(calls, "Preview")
    shutil.rmtree(bot.config.database_path.parent)  # the data folder is gone under the running bot
    calls = await mod.tap(preview, "Publish", "Not saved")
    said = last(calls, "Not saved")
    assert "Published" not in " ".join(c.text for c in calls)
    assert "database file is missing" in said.text
    assert any("Publish" in b["text"] for b in said.buttons)  # try again from here
    assert "New." not in bot.engine.respond("what is sex trafficking", None).text  # nothing went live
    # The draft survived: once the folder is back, the same button publishes it.
    bot.config.database_path.parent.mkdir(parents=True)
    await bot.app.bot_data["deps"].store.close()
    await bot.app.bot_data["deps"].store.open()
    calls = await mod.tap(said, "Publish", "Published")
    assert "New." in bot.engine.respond("what is sex trafficking", None).text
