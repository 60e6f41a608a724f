"""Languages on Telegram, end to end through the fake Bot API: command menus per language_code, the language_code
and the chat's language as priors, /language and its button, the lang-xx deep link, inline answers."""

from __future__ import annotations

from fakebotapi import FakeBotAPI, visible_text

from bot import engine as engine_module
from bot.i18n import gettext, languages

CHAT = 5151


async def test_command_menus_are_set_for_every_language_code(tg, fake_api: FakeBotAPI):
    english = {c["command"]: c["description"] for c in fake_api.commands}
    for lang in languages():
        if lang == "en":
            continue
        menu = {c["command"]: c["description"] for c in fake_api.commands_by_language[lang]}
        assert list(menu) == list(english), lang
        assert menu["hotline"] == gettext(lang, "Emergency numbers and hotlines") != english["hotline"]
    assert fake_api.commands_by_language["uk"][4] == {"command": "language", "description": "Обрати мову"}


async def test_telegram_language_code_chooses_the_welcome_language(tg, fake_api: FakeBotAPI):
    fake_api.user_languages[CHAT] = "uk"
    call = await tg.say(CHAT, "/start")
    assert call.text == tg.engine.welcome_reply(None, "uk").plain
    assert call.text.startswith("Вітаю. Я awarebot.")


async def test_a_question_in_spanish_is_answered_in_spanish_and_ok_stays_spanish(tg, fake_api: FakeBotAPI):
    call = await tg.say(CHAT, "¿qué es la trata de personas?")
    assert call.text == tg.engine.entry_reply("what-is-sex-trafficking", None, "es").plain
    assert tg.chats.language(CHAT) == "es"
    ack = await tg.say(CHAT, "ok")
    assert gettext("es", "**In danger right now? Call your local emergency number** (112 or 911 work in many "
                         "countries).").replace("**", "") in ack.text


async def test_language_command_and_button(tg, fake_api: FakeBotAPI):
    picker = await tg.say(CHAT, "/language")
    assert "l:uk" in picker.button_data() and "l:th" in picker.button_data()
    confirmed = await tg.tap(CHAT, tg.message_id(picker), "l:fr")
    assert confirmed.text.startswith("Langue choisie : Français.")
    assert tg.chats.language(CHAT) == "fr"
    helped = await tg.say(CHAT, "/help")
    assert helped.text == tg.engine.help_reply(None, "fr").plain
    assert "L" in helped.button_data()  # the Language button under help

    direct = await tg.say(CHAT, "/language ro")
    assert direct.text.startswith("Limba aleasă: Română.")


async def test_deep_link_sets_the_language(tg, fake_api: FakeBotAPI):
    call = await tg.say(CHAT, "/start lang-th")
    assert tg.chats.language(CHAT) == "th"
    assert call.text == tg.engine.welcome_reply(None, "th").plain


async def test_deep_link_to_an_entry_in_the_chats_language(tg, fake_api: FakeBotAPI):
    fake_api.user_languages[CHAT] = "pt"
    call = await tg.say(CHAT, "/start how-to-report")
    assert call.text == tg.engine.entry_reply("how-to-report", None, "pt").plain


async def test_ukrainian_urgent_message_in_ukraine(tg, fake_api: FakeBotAPI):
    await tg.say(CHAT, "/region UA")
    call = await tg.say(CHAT, "допоможіть, мене замкнули в квартирі і забрали паспорт, я не можу піти")
    lines = call.text.splitlines()
    assert lines[0] == "У небезпеці просто зараз? Телефонуйте 112 або 102."
    assert gettext("uk", engine_module.URGENT).splitlines()[0] in call.text


async def test_inline_answers_in_the_askers_language(tg, fake_api: FakeBotAPI):
    update = fake_api.inline_query("як повідомити про торгівлю людьми?", user_id=CHAT)
    call = await fake_api.wait_for("answerInlineQuery", inline_query_id=update["inline_query"]["id"])
    first = call.params["results"][0]
    assert visible_text(first["input_message_content"]["message_text"]) == \
        tg.engine.entry_reply("how-to-report", None, "uk").plain
    assert first["title"] == tg.engine.entry_title("how-to-report", "uk")

    fake_api.user_languages[CHAT + 1] = "ro"
    update = fake_api.inline_query("hotline", user_id=CHAT + 1)
    call = await fake_api.wait_for("answerInlineQuery", inline_query_id=update["inline_query"]["id"])
    assert visible_text(call.params["results"][0]["input_message_content"]["message_text"]) == \
        tg.engine.hotline_reply(None, "ro").plain
