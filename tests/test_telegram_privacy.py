"""What people write reaches no log record, no file in the data directory and no temporary file."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from pathlib import Path

from conftest import TelegramBot
from fakebotapi import FakeBotAPI
from telegram import Chat, Message, Update, User

from handlers import logprivacy

ALL_LOGGERS = ("", "telegram", "telegram.ext", "httpx", "httpcore", "apscheduler", "asyncio", "aiosqlite", "bot",
               "handlers")


def files_containing(root: Path, needle: bytes, since: float | None = None) -> list[Path]:
    found = []
    for dirpath, _dirs, names in os.walk(root, onerror=lambda _e: None):
        for name in names:
            path = Path(dirpath, name)
            try:
                stat = path.stat()
                if since is not None and stat.st_mtime < since:
                    continue
                if not path.is_file() or stat.st_size > 50_000_000:
                    continue
                if needle in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


async def test_a_canary_leaves_no_trace(fake_api: FakeBotAPI, bot_config, bundled_engine, caplog, capfd):
    started = time.time() - 1
    for name in ALL_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    canary = f"canary{uuid.uuid4().hex}"
    bot = TelegramBot(fake_api, bot_config, bundled_engine, open_store=True)
    await bot.start()
    try:
        assert bot.app.bot_data["deps"].store is not None  # the real database, in the data directory
        await bot.say(1, f"my name is {canary}, what is trafficking?")
        await bot.say(1, f"{canary} they took my passport and I can't leave")
        await bot.say(-1002, f"@{fake_api.username} {canary} how do I report it")
        fake_api.send_media(1, "photo", caption=f"{canary} signs of trafficking")
        await fake_api.wait_for("sendMessage", chat_id=1)
        fake_api.edit_text(1, 1, f"{canary} edited")
        update = fake_api.inline_query(f"{canary} what is trafficking")
        await fake_api.wait_for("answerInlineQuery", inline_query_id=update["inline_query"]["id"])
        # Faults log too: a failed handler, a retried server error.
        fake_api.fail("sendMessage", "400", chat_id=2)
        await bot.say(2, f"{canary} what is trafficking")  # the error reply
        fake_api.fail("sendMessage", "500", chat_id=3)
        await bot.say(3, f"{canary} what is trafficking")
        await bot.say(1, f"/region {canary}")
        await bot.handled_all()  # every update above was handled (and logged) before the log is read
    finally:
        await bot.stop()

    text = caplog.text
    assert "getUpdates" in text and "reply kind=" in text and "update " in text  # the capture did work
    for record in caplog.records:
        assert canary not in record.getMessage()
        assert canary not in (record.exc_text or "")
        assert canary not in repr(record.args)
    assert canary not in text
    out, err = capfd.readouterr()
    assert canary not in out and canary not in err
    data_dir = bot_config.database_path.parent
    assert any(data_dir.iterdir())
    assert files_containing(data_dir, canary.encode()) == []
    assert files_containing(Path(tempfile.gettempdir()), canary.encode(), since=started) == []


def make_record(msg, *args, exc_info=None) -> logging.LogRecord:
    logger = logging.getLogger("telegram.ext.test")
    return logger.makeRecord(logger.name, logging.DEBUG, __file__, 1, msg, args, exc_info)


def test_records_are_scrubbed_of_telegram_objects_containers_and_long_text():
    logprivacy.install("999999:SECRET-token-value-for-the-test-abc")
    secret = "please help me, secret words"
    chat = Chat(1, "private")
    message = Message(5, date=__import__("datetime").datetime.now(), chat=chat, text=secret,
                      from_user=User(1, "A", False))
    update = Update(42, message=message)
    record = make_record("Processing update %s with %s and %s / %s / %s / %r", update, message,
                         {"text": secret}, [secret], secret.encode(), "x" * 500)
    rendered = record.getMessage()
    assert secret not in rendered
    assert "Update(id=42)" in rendered and "<Message>" in rendered and "<dict of 1>" in rendered
    assert "<text of 500 chars>" in rendered

    kept = make_record("retry %d of %d in %.1fs (%s)", 1, 3, 0.5, "sendMessage").getMessage()
    assert kept == "retry 1 of 3 in 0.5s (sendMessage)"

    url = make_record("HTTP Request: %s", "https://api.telegram.org/bot999999:SECRET-token-value-for-the-test-abc/x")
    assert "SECRET" not in url.getMessage() and "<token>" in url.getMessage()

    assert make_record(update).getMessage() == "<Update>"


def test_exception_messages_are_dropped_but_the_traceback_kept():
    secret = "they hurt me"
    try:
        try:
            raise ValueError(secret)
        except ValueError as inner:
            raise RuntimeError(f"while answering {secret}") from inner
    except RuntimeError:
        import sys

        record = make_record("failed", exc_info=sys.exc_info())
    formatted = logging.Formatter().format(record)
    assert secret not in formatted
    assert "ValueError" in formatted and "RuntimeError" in formatted
    assert "test_exception_messages_are_dropped_but_the_traceback_kept" in formatted


def test_telegram_error_descriptions_are_kept():
    from telegram.error import Forbidden

    record = make_record("error: %s", Forbidden("Forbidden: bot was blocked by the user"))
    assert "bot was blocked by the user" in record.getMessage()
