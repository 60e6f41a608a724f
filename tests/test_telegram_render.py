"""Rendering: splitting past 4,096 characters, escaping, keyboards and callback data."""

from __future__ import annotations

import pytest
from conftest import TelegramBot, small_knowledge
from fakebotapi import FakeBotAPI, check_html, utf16_len, visible_text

from bot.engine import Engine
from bot.knowledge import Entry
from bot.markup import to_html, to_plain
from bot.replies import Button
from handlers.render import callback_data, compose, keyboard, split_text

LIMIT = 4096


def fits(part: str) -> bool:
    return utf16_len(to_html(part)) <= LIMIT


def test_short_text_is_one_part():
    assert split_text("hello\n\nworld") == ["hello\n\nworld"]


def test_split_on_paragraphs_first():
    paragraphs = [f"Paragraph {i}. " + "word " * 150 for i in range(12)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_text(text)
    assert len(parts) > 1 and all(fits(p) for p in parts)
    assert "\n\n".join(parts) == text  # nothing lost, cut only at blank lines
    assert all(p.startswith("Paragraph") for p in parts)


def test_a_huge_paragraph_is_cut_on_lines_then_words_then_anywhere():
    lines = "\n".join("line " + "x" * 90 for _ in range(100))
    assert all(fits(p) for p in split_text(lines))
    assert "\n".join(split_text(lines)) == lines

    words = " ".join(["word"] * 3000)
    parts = split_text(words)
    assert all(fits(p) for p in parts) and " ".join(parts) == words

    blob = "&" * 5000  # every & becomes &amp;: measured on the HTML, not the text
    parts = split_text(blob)
    assert all(fits(p) for p in parts) and "".join(parts) == blob
    assert all(check_html(to_html(p)) is None for p in parts)


def test_emoji_count_double():
    parts = split_text("🙂" * 3000)
    assert len(parts) == 2 and all(utf16_len(p) <= LIMIT for p in parts)


@pytest.mark.parametrize(("action", "data"), [
    ("entry:how-to-report", "e:how-to-report"), ("hotline", "h"), ("topics", "t"), ("region", "R"), ("help", "?"),
    ("vote:up", None), ("entry:" + "x" * 63, None),
])
def test_callback_data(action, data):
    assert callback_data(action) == data


def test_keyboard_layout_entries_one_per_row_menu_side_by_side():
    markup = keyboard([Button("A long title", "entry:a"), Button("Topics", "topics"), Button("Hotline", "hotline"),
                       Button("Unknown", "nothing")])
    rows = [[b.callback_data for b in row] for row in markup.inline_keyboard]
    assert rows == [["e:a"], ["t", "h"]]
    assert keyboard([]) is None


def test_compose_keeps_the_engines_referral(bundled_engine: Engine):
    reply = compose(bundled_engine, "**Hi** <there> & you", "GB")
    assert reply.referral == bundled_engine.help_reply("GB").referral
    assert reply.html.startswith("<b>Hi</b> &lt;there&gt; &amp; you")


def long_engine(base: Engine) -> Engine:
    """Some bundled entries plus one far longer than a message, with characters HTML must escape (a small knowledge:
    rendering is under test, not what the models learn)."""
    answer = "\n\n".join(f"**Part {i}** <tags> & ampersands " + "detail " * 120 for i in range(10))
    entry = Entry(
        id="very-long-entry", title="A <very> long & odd entry", category="basics",
        questions=("tell me the very long entry",), answer=answer, related=("how-to-report",),
    )
    small = small_knowledge(base.knowledge, ("what-is-sex-trafficking", "how-to-report", "recruitment-tactics"))
    knowledge = small.with_entries({entry.id: entry})
    return Engine.build(knowledge, base.referrals, base.matching, base.default_region)


async def test_a_long_reply_arrives_in_parts_with_the_buttons_on_the_last(fake_api: FakeBotAPI, bot_config,
                                                                          bundled_engine):
    engine = long_engine(bundled_engine)
    bot = TelegramBot(fake_api, bot_config, engine)
    await bot.start()
    try:
        fake_api.send_text(1, "/start very-long-entry")
        expected = engine.entry_reply("very-long-entry")
        parts = split_text(expected.text)
        assert len(parts) >= 2
        calls = await fake_api.wait_for_many("sendMessage", len(parts), chat_id=1)
        assert all(len(visible_text(c.params["text"])) <= LIMIT for c in calls)
        assert [c.params["text"] for c in calls] == [to_html(p) for p in parts]  # in order
        assert all("reply_markup" not in c.params for c in calls[:-1])
        assert calls[-1].button_data() == ["e:how-to-report"]
        assert "&lt;tags&gt; &amp;" in calls[0].params["text"]
        assert to_plain(expected.referral) in calls[-1].text  # the referral ends the last part

        # Browsing to it edits the menu message with the first part and sends the rest.
        menu = await bot.say(1, "/topics")
        await bot.tap(1, bot.message_id(menu), "c:basics")
        first = await bot.tap(1, bot.message_id(menu), "b:very-long-entry")
        assert first.params["text"] == to_html(parts[0]) and "reply_markup" not in first.params
        rest = await fake_api.wait_for_many("sendMessage", len(parts) - 1, chat_id=1)
        assert rest[-1].button_data() == ["b:how-to-report", "c:basics"]
    finally:
        await bot.stop()
