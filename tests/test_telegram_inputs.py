"""Bad input: media, captions, edits, channel posts, very long text, unknown commands — never a crash."""

from __future__ import annotations

import pytest
from fakebotapi import FakeBotAPI

from bot.markup import to_plain
from bot.referrals import referral_block

CHAT = 5150


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "location", "contact"])
async def test_media_without_words_asks_for_text_with_the_referral(tg, fake_api: FakeBotAPI, kind):
    fake_api.send_media(CHAT, kind)
    call = await fake_api.wait_for("sendMessage", chat_id=CHAT)
    assert call.text == tg.engine.respond("", None).plain
    assert "as text" in call.text
    assert to_plain(referral_block(tg.engine.referrals.get(None))) in call.text


async def test_a_caption_is_answered_as_a_question(tg, fake_api: FakeBotAPI):
    fake_api.send_media(CHAT, "photo", caption="what are the signs of trafficking")
    call = await fake_api.wait_for("sendMessage", chat_id=CHAT)
    assert call.text == tg.engine.respond("what are the signs of trafficking", None).plain


async def test_edited_messages_and_channel_posts_are_ignored_on_purpose(tg, fake_api: FakeBotAPI):
    question = fake_api.send_text(CHAT, "what is trafficking")["message"]["message_id"]
    await fake_api.wait_for("sendMessage", chat_id=CHAT)
    fake_api.edit_text(CHAT, question, "how do I report it")
    fake_api.edit_text(CHAT, fake_api.send_text(CHAT, "/start")["message"]["message_id"], "/hotline")
    await fake_api.wait_for("sendMessage", chat_id=CHAT)  # the /start
    fake_api.channel_post(-100999, "what is trafficking")
    fake_api.channel_post(-100999, "/start")
    await tg.handled_all()  # every update was handled: an absent reply is proved, not waited for
    assert len(fake_api.calls_of("sendMessage", chat_id=CHAT)) == 2
    assert not fake_api.calls_of("sendMessage", chat_id=-100999)


async def test_very_long_text_gets_an_answer(tg, fake_api: FakeBotAPI):
    text = ("how do traffickers recruit people online " * 120)[:4096]
    call = await tg.say(CHAT, text)
    assert call.text == tg.engine.respond(text, None).plain
    assert len(call.params["text"]) <= 4096


async def test_unknown_command_says_what_works(tg, fake_api: FakeBotAPI):
    call = await tg.say(CHAT, "/frobnicate now")
    assert call.text.startswith("I don't know that command.")
    assert tg.engine.help_reply(None).plain in call.text
    assert "frobnicate" not in call.text


@pytest.mark.parametrize("text", ["   ", "🙂🙂🙂", "<b>not html</b> & <script>", "a" * 3000, "\u202e\u0000x"])
async def test_odd_text_is_answered_and_escaped(tg, fake_api: FakeBotAPI, text):
    call = await tg.say(CHAT, text)  # the fake refuses HTML Telegram would refuse
    assert call.text == tg.engine.respond(text, None).plain
