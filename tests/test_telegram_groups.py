"""Groups: only commands, mentions and replies to the bot are answered; words are never quoted back."""

from __future__ import annotations

from fakebotapi import FakeBotAPI

from bot.replies import ReplyKind

GROUP = -1001234
URGENT = "my boss took my passport and locks me in, help"


def no_quote(call) -> bool:
    return "reply_parameters" not in call.params and "reply_to_message_id" not in call.params


async def test_plain_group_messages_are_ignored(tg, fake_api: FakeBotAPI):
    fake_api.send_text(GROUP, "what is trafficking")
    fake_api.send_text(GROUP, URGENT)  # not addressed to the bot: it never sees it on Telegram (privacy mode)
    fake_api.send_media(GROUP, "sticker")
    await tg.handled_all()
    assert len(tg.handled) >= 3  # the three updates reached the application and were handled  # every update was handled: an absent reply is proved, not waited for
    assert not fake_api.calls_of("sendMessage", chat_id=GROUP)


async def test_mention_is_answered_without_quoting(tg, fake_api: FakeBotAPI):
    question = "what are the signs of trafficking"
    call = await tg.say(GROUP, f"@{fake_api.username} {question}")
    assert call.text == tg.engine.respond(question, None).plain  # the mention is not part of the question
    assert no_quote(call)
    assert question not in call.text


async def test_reply_to_the_bot_is_answered(tg, fake_api: FakeBotAPI):
    first = await tg.say(GROUP, "/help")
    call = await tg.say(GROUP, "how do traffickers recruit people", reply_to=tg.message_id(first))
    assert call.text == tg.engine.respond("how do traffickers recruit people", None).plain
    assert no_quote(call)


async def test_reply_to_someone_else_is_ignored(tg, fake_api: FakeBotAPI):
    other = fake_api.send_text(GROUP, "hi all", user_id=5)["message"]["message_id"]
    fake_api.send_text(GROUP, "what is trafficking", user_id=6, reply_to=other)
    await tg.handled_all()  # every update was handled: an absent reply is proved, not waited for
    assert not fake_api.calls_of("sendMessage", chat_id=GROUP)


async def test_commands_work_in_groups_and_commands_for_other_bots_do_not(tg, fake_api: FakeBotAPI):
    hotline = await tg.say(GROUP, f"/hotline@{fake_api.username}")
    assert hotline.text == tg.engine.hotline_reply(None).plain
    fake_api.send_text(GROUP, "/hotline@some_other_bot")
    fake_api.send_text(GROUP, "/nosuchcommand")
    await tg.handled_all()  # every update was handled: an absent reply is proved, not waited for
    assert len(fake_api.calls_of("sendMessage", chat_id=GROUP)) == 1


async def test_urgent_mention_gets_the_emergency_route_and_a_private_door(tg, fake_api: FakeBotAPI):
    expected = tg.engine.respond(URGENT, None)
    assert expected.kind is ReplyKind.URGENT
    call = await tg.say(GROUP, f"@{fake_api.username} {URGENT}")
    assert call.text == expected.plain  # the urgent reply: referral block first
    assert "passport" not in call.text and no_quote(call)
    urls = [b["url"] for b in call.buttons if "url" in b]
    assert urls == [f"https://t.me/{fake_api.username}?start=hotline"]

    # Following the link opens the private chat with /start hotline: the full card.
    person = 9001
    card = await tg.say(person, "/start hotline")
    assert card.text == tg.engine.hotline_reply(None).plain


async def test_group_region_is_per_chat(tg, fake_api: FakeBotAPI):
    await tg.say(GROUP, "/region US")
    call = await tg.say(GROUP, f"@{fake_api.username} how do I report it")
    assert "Region: United States" in call.text
    private = await tg.say(31337, "how do I report it")
    assert "Region: United States" not in private.text
