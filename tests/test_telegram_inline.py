"""Inline mode: the referral card for `hotline` or nothing; answer cards for a question; each with the referral."""

from __future__ import annotations

from fakebotapi import FakeBotAPI, visible_text

from bot.markup import to_plain
from bot.referrals import referral_block


def cards(call) -> list[dict]:
    return call.params["results"]


def card_text(result: dict) -> str:
    return visible_text(result["input_message_content"]["message_text"])


async def test_empty_query_and_hotline_give_the_referral_card(tg, fake_api: FakeBotAPI):
    for query in ("", "hotline", "  HOTLINE "):
        update = fake_api.inline_query(query)
        call = await fake_api.wait_for("answerInlineQuery", inline_query_id=update["inline_query"]["id"])
        results = cards(call)
        assert len(results) == 1
        assert card_text(results[0]) == tg.engine.hotline_reply(None).plain
        assert results[0]["type"] == "article"
        assert results[0]["input_message_content"]["parse_mode"] == "HTML"
        assert call.params["is_personal"] is True and call.params["cache_time"] <= 30


async def test_question_gives_answer_cards_each_with_the_referral(tg, fake_api: FakeBotAPI):
    question = "what is trafficking"
    expected = tg.engine.respond(question, None)
    update = fake_api.inline_query(question)
    call = await fake_api.wait_for("answerInlineQuery", inline_query_id=update["inline_query"]["id"])
    results = cards(call)
    assert card_text(results[0]) == expected.plain
    assert results[0]["title"] == tg.engine.knowledge.get(expected.entry_id).title
    alternatives = [card_text(r) for r in results[1:1 + len(expected.alternatives)]]
    assert alternatives == [tg.engine.entry_reply(a).plain for a in expected.alternatives]
    block = to_plain(referral_block(tg.engine.referrals.get(None)))
    assert all(block in card_text(r) or "Where to get help" in card_text(r) for r in results)
    assert card_text(results[-1]) == tg.engine.hotline_reply(None).plain
    # Shared cards link to the bot, never carry callback buttons.
    for result in results:
        buttons = [b for row in result["reply_markup"]["inline_keyboard"] for b in row]
        assert all("callback_data" not in b and b["url"].startswith(f"https://t.me/{fake_api.username}?start=")
                   for b in buttons)


async def test_inline_uses_the_askers_region(tg, fake_api: FakeBotAPI):
    user = 4321
    await tg.say(user, "/region GB")
    update = fake_api.inline_query("hotline", user_id=user)
    call = await fake_api.wait_for("answerInlineQuery", inline_query_id=update["inline_query"]["id"])
    assert card_text(cards(call)[0]) == tg.engine.hotline_reply("GB").plain


async def test_nonsense_inline_query_still_offers_help(tg, fake_api: FakeBotAPI):
    update = fake_api.inline_query("zzqx vlorp")
    call = await fake_api.wait_for("answerInlineQuery", inline_query_id=update["inline_query"]["id"])
    assert card_text(cards(call)[-1]) == tg.engine.hotline_reply(None).plain
