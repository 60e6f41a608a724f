"""/forget: the right message ids deleted (deleteMessages, ≤ 100 a batch), state gone, one neutral line."""

from __future__ import annotations

from conftest import TelegramBot
from fakebotapi import FakeBotAPI

from bot.chatstate import ChatStates

CHAT = 777


async def test_forget_deletes_both_sides_forgets_the_chat_and_leaves_one_neutral_line(tg, fake_api: FakeBotAPI):
    await tg.say(CHAT, "/region GB")
    await tg.say(CHAT, "what are the signs of trafficking")
    fake_api.send_media(CHAT, "sticker")
    await fake_api.wait_for("sendMessage", chat_id=CHAT)
    prompt = await tg.say(CHAT, "/forget")
    assert "Delete this conversation?" in prompt.text
    assert prompt.button_data() == ["f:y", "f:n"]
    assert "Region: United Kingdom" in prompt.text  # even the prompt carries the referral block
    conversation = [m.message_id for m in fake_api.visible(CHAT)]
    assert len(conversation) == 8  # 4 from the person, 4 from the bot

    done = await tg.tap(CHAT, tg.message_id(prompt), "f:y", method="sendMessage")

    deletions = fake_api.calls_of("deleteMessages", chat_id=CHAT)
    assert [sorted(c.params["message_ids"]) for c in deletions] == [conversation]
    # Deliberately neutral and without the referral: this line is all that stays on a phone that may be checked.
    assert done.text == "Done."
    assert done.params.get("reply_markup") is None
    assert [m.text for m in fake_api.visible(CHAT)] == ["Done."]
    assert CHAT not in tg.chats
    assert tg.chats.region(CHAT) is None
    # Later replies use the default region again.
    after = await tg.say(CHAT, "/hotline")
    assert after.text == tg.engine.hotline_reply(None).plain


async def test_forget_cancel_deletes_nothing(tg, fake_api: FakeBotAPI):
    await tg.say(CHAT, "/help")
    prompt = await tg.say(CHAT, "/forget")
    edit = await tg.tap(CHAT, tg.message_id(prompt), "f:n")
    assert "nothing was deleted" in edit.text
    assert not fake_api.calls_of("deleteMessages")
    assert tg.chats.get(CHAT) is not None and tg.chats.get(CHAT).pending_forget is None


async def test_an_old_confirmation_button_does_nothing(tg, fake_api: FakeBotAPI):
    first = await tg.say(CHAT, "/forget")
    await tg.say(CHAT, "/forget")  # a newer prompt replaces the pending one
    update = fake_api.press(CHAT, tg.message_id(first), "f:y")
    answer = await fake_api.wait_for("answerCallbackQuery", callback_query_id=update["callback_query"]["id"])
    assert "expired" in answer.params["text"]
    await tg.handled_all()  # the tap was handled completely: no deletion can still come
    assert not fake_api.calls_of("deleteMessages")


async def test_long_conversations_are_deleted_in_batches_of_100(fake_api: FakeBotAPI, bot_config, bundled_engine):
    bot = TelegramBot(fake_api, bot_config, bundled_engine, chats=ChatStates())
    await bot.start()
    try:
        # 230 earlier messages known to the chat state (as if exchanged today).
        for _ in range(230):
            message_id = fake_api.next_message_id(CHAT)
            bot.chats.remember_message(CHAT, message_id)
        prompt = await bot.say(CHAT, "/forget")
        await bot.tap(CHAT, bot.message_id(prompt), "f:y", method="sendMessage")
        batches = [c.params["message_ids"] for c in fake_api.calls_of("deleteMessages", chat_id=CHAT)]
        assert [len(b) for b in batches] == [100, 100, 32]
        assert sorted(i for b in batches for i in b) == list(range(1, 233))
    finally:
        await bot.stop()


async def test_messages_older_than_48_hours_are_not_sent_for_deletion(fake_api: FakeBotAPI, bot_config,
                                                                      bundled_engine):
    now = [1_000_000.0]
    chats = ChatStates(clock=lambda: now[0], ttl=1e9)
    bot = TelegramBot(fake_api, bot_config, bundled_engine, chats=chats)
    await bot.start()
    try:
        old = await bot.say(CHAT, "/help")
        await bot.handled_all()  # the bot notes the id once sendMessage returns, inside the handler
        now[0] += 49 * 3600
        prompt = await bot.say(CHAT, "/forget")
        await bot.tap(CHAT, bot.message_id(prompt), "f:y", method="sendMessage")
        deleted = fake_api.calls_of("deleteMessages", chat_id=CHAT)[0].params["message_ids"]
        assert bot.message_id(old) not in deleted and bot.message_id(old) - 1 not in deleted
        assert bot.message_id(prompt) in deleted
    finally:
        await bot.stop()


async def test_forget_in_a_group_deletes_only_the_bots_messages(tg, fake_api: FakeBotAPI):
    group = -100555
    reply = await tg.say(group, "/hotline")
    prompt = await tg.say(group, "/forget")
    await tg.tap(group, tg.message_id(prompt), "f:y", method="sendMessage")
    deleted = fake_api.calls_of("deleteMessages", chat_id=group)[0].params["message_ids"]
    assert sorted(deleted) == [tg.message_id(reply), tg.message_id(prompt)]
