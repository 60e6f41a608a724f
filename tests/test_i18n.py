"""Languages: catalogues complete, detection with priors, translated entries and their validation, and every reply
kind in every language carrying the referral block."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import engine as engine_module
from bot.chatstate import ChatStates
from bot.config import default_model_cache_dir
from bot.console import ConsoleChat
from bot.engine import Engine
from bot.errors import KnowledgeError
from bot.i18n import LOCALE_DIR, Detection, choose_language, gettext, languages, native_name
from bot.knowledge import figures, load_knowledge
from bot.markup import to_plain
from bot.referrals import referral_block
from bot.replies import ReplyKind

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ("en", "es", "fr", "pt", "ro", "ru", "th", "uk")
OTHERS = tuple(lang for lang in EXPECTED if lang != "en")
PLACEHOLDER = re.compile(r"\{\w*\}")


def _catalogue(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "awarebot.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def _marked_in_code() -> set[str]:
    found = set()
    for directory in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / directory, method_map=[("**.py", "python")], keywords={"N_": None}
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


# -- catalogues --------------------------------------------------------------------------------------------------


def test_the_eight_languages_are_spoken():
    assert set(EXPECTED) <= set(languages())
    assert languages()[0] == "en"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_catalogue_string_is_translated_and_none_is_fuzzy(lang: str):
    catalogue = _catalogue(lang)
    marked = _marked_in_code()
    messages = {m.id: m for m in catalogue if m.id}
    missing = sorted(marked - set(messages))
    assert not missing, f"{lang}: strings marked in code but not in the catalogue (make messages): {missing}"
    for msgid in marked:
        message = messages[msgid]
        assert message.string and str(message.string).strip(), f"{lang}: empty msgstr for {msgid!r}"
        assert not message.fuzzy, f"{lang}: fuzzy msgstr for {msgid!r}"


@pytest.mark.parametrize("lang", OTHERS)
def test_translations_keep_placeholders_figures_markup_and_commands(lang: str):
    for message in _catalogue(lang):
        if not message.id:
            continue
        source, target = message.id, str(message.string)
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), (lang, source)
        assert sorted(re.findall(r"\d+", source)) == sorted(re.findall(r"\d+", target)), (lang, source)
        assert source.count("**") == target.count("**"), (lang, source)
        assert source.count("•") == target.count("•"), (lang, source)
        assert source.count("\n") == target.count("\n"), (lang, source)
        assert sorted(re.findall(r"/[a-z_]+\b", source)) == sorted(re.findall(r"/[a-z_]+\b", target)), (lang, source)


def test_gettext_reads_the_compiled_catalogue():
    assert gettext("uk", engine_module.BROWSE_TOPICS) == "Переглянути теми"
    assert gettext("en", engine_module.BROWSE_TOPICS) == "Browse topics"
    assert gettext("xx", engine_module.BROWSE_TOPICS) == "Browse topics"  # unknown language: English
    assert native_name("uk") == "Українська" and native_name("es") == "Español"


# -- detection and priors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "prior", "expected"), [
    ("ok", "uk", "uk"),                      # a word or two keeps the chat's language
    ("911?", "es", "es"),
    ("gracias", "ro", "ro"),
    ("¿qué es la trata de personas y cómo se reconoce?", "en", "es"),
    ("як повідомити про торгівлю людьми?", "ru", "uk"),
    ("как сообщить о торговле людьми?", None, "ru"),
    ("ขอบคุณ", "en", "th"),                   # short, but another script than the chat's: the script decides
    ("what is sex trafficking", "fr", "en"),
])
def test_choose_language_with_priors(text: str, prior: str | None, expected: str):
    assert choose_language(text, prior)[0] == expected


def test_a_language_without_content_is_answered_in_english_and_named():
    lang, detected = choose_language("ساعدني أخذوا جواز سفري ولا أستطيع المغادرة", None)
    assert (lang, detected) == ("en", "ar")


def test_telegram_language_code_is_a_prior_for_short_messages():
    assert choose_language("ok", None, user_language="pt-BR")[0] == "pt"
    short = Detection("es", 0.9, 2)
    assert choose_language("ok", "fr", detection=short)[0] == "fr"


def test_chat_language_is_memory_with_the_region_ttl():
    now = [0.0]
    chats = ChatStates(ttl=100.0, clock=lambda: now[0])
    chats.set_language(1, "uk")
    assert chats.language(1) == "uk"
    now[0] = 50.0
    chats.set_region(1, "UA")  # activity does not extend the language beyond its TTL
    now[0] = 120.0
    assert chats.language(1) is None


# -- replies in every language ------------------------------------------------------------------------------------


def _every_kind(engine: Engine, lang: str, region: str) -> list:
    return [
        engine.welcome_reply(region, lang),
        engine.help_reply(region, lang),
        engine.error_reply(region, lang),
        engine.hotline_reply(region, lang),
        engine.urgent_reply(region, lang),
        engine.entry_reply("how-to-report", region, lang),
        engine.entry_reply("no-such-entry", region, lang),  # fallback
        engine.notice("…", region, lang=lang),
        engine._smalltalk("thanks", region, lang),
        engine._unsure(region, (), lang),
    ]


@pytest.mark.parametrize("lang", EXPECTED)
@pytest.mark.parametrize("region", ["UA", "MX", "INTL"])
def test_every_reply_kind_in_every_language_carries_the_referral_block(bundled_engine: Engine, lang: str,
                                                                        region: str):
    served = bundled_engine.referrals.get(region)
    block = referral_block(served, lang=lang)
    for reply in _every_kind(bundled_engine, lang, region):
        assert reply.lang == lang
        assert reply.referral.strip()
        if reply.kind is ReplyKind.REFERRAL:
            assert gettext(lang, "**Where to get help: {region}**").split("{")[0] in reply.text
        else:
            assert reply.referral.splitlines()[0] == block.splitlines()[0], (lang, reply.kind)
        first = reply.text.splitlines()[0]
        if reply.kind in (ReplyKind.URGENT, ReplyKind.UNSURE):
            assert first == block.splitlines()[0]  # numbers first
        for button in reply.buttons:
            if not button.action.startswith("lang:"):
                assert button.label.strip()


@pytest.mark.parametrize("lang", OTHERS)
def test_interface_text_is_in_the_language_not_english(bundled_engine: Engine, lang: str):
    for reply, english in [
        (bundled_engine.help_reply("GB", lang), bundled_engine.help_reply("GB")),
        (bundled_engine.urgent_reply("GB", lang), bundled_engine.urgent_reply("GB")),
        (bundled_engine.error_reply("GB", lang), bundled_engine.error_reply("GB")),
    ]:
        assert reply.body != english.body
        assert reply.referral.splitlines()[0] != english.referral.splitlines()[0]
        assert [b.label for b in reply.buttons] != [b.label for b in english.buttons]


def test_ukrainian_urgent_in_ukraine_is_ukrainian_with_ukrainian_numbers_first(bundled_engine: Engine):
    reply = bundled_engine.respond("допоможіть, мене замкнули в квартирі і забрали паспорт, я не можу піти", "UA")
    assert reply.kind is ReplyKind.URGENT
    assert reply.lang == "uk"
    lines = reply.plain.splitlines()
    assert lines[0] == "У небезпеці просто зараз? Телефонуйте 112 або 102."
    assert lines[1] == "Національна гаряча лінія з протидії торгівлі людьми: 527"  # before any advice
    assert gettext("uk", engine_module.URGENT).splitlines()[0] in reply.plain
    assert "You are not alone" not in reply.plain


def test_a_language_without_content_gets_the_urgent_route_in_english_numbers_first(bundled_engine: Engine):
    reply = bundled_engine.respond("ساعدني أخذوا جواز سفري وأنا محبوسة في شقة", "GB")
    assert reply.kind is ReplyKind.URGENT
    assert (reply.lang, reply.detected_lang) == ("en", "ar")
    assert reply.plain.startswith("In danger right now? Call 999")


def test_a_missing_translation_falls_back_to_the_whole_english_answer_with_one_line_saying_so(
        bundled_engine: Engine):
    translations = {lang: dict(items) for lang, items in bundled_engine.knowledge.translations.items()}
    translations["es"].pop("how-to-report", None)
    knowledge = dataclasses.replace(bundled_engine.knowledge, translations=translations)
    engine = dataclasses.replace(bundled_engine, knowledge=knowledge)
    reply = engine.entry_reply("how-to-report", "MX", "es")
    english = bundled_engine.knowledge.entries["how-to-report"]
    first, rest = reply.body.split("\n\n", 1)
    assert first == gettext("es", engine_module.NOT_TRANSLATED)
    assert rest == f"**{english.title}**\n{english.answer}"
    assert reply.referral == referral_block(bundled_engine.referrals.get("MX"), lang="es")


def test_translated_answer_is_the_translation_whole(bundled_engine: Engine):
    translated = bundled_engine.knowledge.translation("how-to-report", "uk")
    assert translated is not None
    reply = bundled_engine.entry_reply("how-to-report", "UA", "uk")
    assert reply.body == f"**{translated.title}**\n{translated.answer}"


# -- the small inputs (learned models + content) ------------------------------------------------------------


def test_spanish_definition_question_gets_the_definition_in_spanish(bundled_engine: Engine):
    reply = bundled_engine.respond("¿qué es la trata de personas?", "MX")
    assert (reply.kind, reply.entry_id, reply.lang) == (ReplyKind.ANSWER, "what-is-sex-trafficking", "es")
    assert reply.body.startswith("**" + bundled_engine.knowledge.translation("what-is-sex-trafficking", "es").title)


def test_ukrainian_how_to_report_in_ukrainian(bundled_engine: Engine):
    reply = bundled_engine.respond("як повідомити про торгівлю людьми?", "UA")
    assert (reply.kind, reply.entry_id, reply.lang) == (ReplyKind.ANSWER, "how-to-report", "uk")


def test_spanish_hotline_request_gets_the_referral_card_with_spanish_labels(bundled_engine: Engine):
    reply = bundled_engine.respond("número de la línea de ayuda por favor", "MX")
    assert (reply.kind, reply.lang) == (ReplyKind.REFERRAL, "es")
    assert reply.plain.startswith(gettext("es", engine_module.REFERRAL_INTRO))


@pytest.mark.parametrize(("text", "lang"), [
    ("mi-au luat pașaportul și nu mă lasă să plec", "ro"),
    ("ajuda, estou presa num apartamento e ele levou meu passaporte", "pt"),
])
def test_urgent_in_romanian_and_portuguese_is_answered_in_that_language(bundled_engine: Engine, text: str,
                                                                        lang: str):
    reply = bundled_engine.respond(text, "RO" if lang == "ro" else "BR")
    assert (reply.kind, reply.lang) == (ReplyKind.URGENT, lang)
    assert gettext(lang, engine_module.URGENT).splitlines()[0] in reply.plain


# -- translations as knowledge --------------------------------------------------------------------------------------


def test_translated_questions_reach_the_training_phrasings(bundled_engine: Engine):
    pairs = bundled_engine.knowledge.training_phrasings()
    for lang in bundled_engine.knowledge.content_languages():
        translated = bundled_engine.knowledge.translation("how-to-report", lang)
        assert translated is not None
        for question in translated.questions:
            assert (question, "how-to-report") in pairs


def test_figures_compare_facts_not_formatting():
    assert figures("27.6 million, 1,000 and 2022") == figures("27,6 millions, 1 000 et 2022")
    assert figures("$99 billion") == figures("99,000 ล้านดอลลาร์")
    assert figures("6.3 million") != figures("6,8 millones")


def _folder(tmp_path: Path, translation: str) -> Path:
    entries = tmp_path / "entries"
    (entries / "es").mkdir(parents=True)
    for english in (ROOT / "knowledge" / "entries").glob("*.yaml"):
        (entries / english.name).write_text(english.read_text(encoding="utf-8"), encoding="utf-8")
    (entries / "es" / "basics.yaml").write_text(translation)
    return tmp_path


TRANSLATION = """\
- id: {id}
  title: "Qué es"
  questions: [{questions}]
  answer: |
    {answer}
  reviewed: not reviewed
  source_reviewed: 2026-11-28
"""


@pytest.mark.parametrize(("fields", "message"), [
    ({"id": "no-such-entry"}, "no English entry has the id 'no-such-entry'"),
    ({"answer": "Llama al 1-888-373-7888 ahora."}, "contains a phone number"),
    ({"answer": "Hay **muchas personas."}, "unpaired **"),
    ({"answer": "Mira <b>esto</b>."}, "HTML tags"),
    ({"answer": "Son 5 millones."}, "figures differ from the English answer"),
    ({"questions": '"una", "dos"'}, "at least 8 needed"),
    ({"answer": "x" * 1600}, "at most 1500"),
])
def test_translation_problems_name_file_and_line(tmp_path: Path, fields: dict[str, str], message: str):
    values = {"id": "what-is-sex-trafficking", "questions": ", ".join(f'"pregunta {i}"' for i in range(10)),
              "answer": "Texto."}
    values.update(fields)
    if values["id"] == "what-is-sex-trafficking" and "answer" not in fields:
        values["answer"] = "Texto sin cifras."
    folder = _folder(tmp_path, TRANSLATION.format(**values))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    found = [str(p) for p in caught.value.problems]
    assert any(message in p and "entries/es/basics.yaml:" in p for p in found), found


def test_a_valid_translation_loads_and_stale_ones_are_listed(tmp_path: Path):
    english = load_knowledge(ROOT / "knowledge").entries["what-is-sex-trafficking"]
    text = TRANSLATION.format(id="what-is-sex-trafficking",
                              questions=", ".join(f'"pregunta {i}"' for i in range(10)),
                              answer="Texto " + " ".join(re.findall(r"\d+", english.answer)))
    knowledge = load_knowledge(_folder(tmp_path, text.replace("source_reviewed: 2026-11-28",
                                                              "source_reviewed: 2020-01-01")))
    assert knowledge.translation("what-is-sex-trafficking", "es") is not None
    assert [(t.lang, t.id) for t in knowledge.stale_translations()] == [("es", "what-is-sex-trafficking")]


# -- console and command line ----------------------------------------------------------------------------------------


def test_console_language_command_switches_the_interface(bundled_engine: Engine):
    out = io.StringIO()
    chat = ConsoleChat(bundled_engine, "UA", io.StringIO("/language uk\n/hotline\n"), out)
    chat.run()
    text = out.getvalue()
    assert "Мову обрано: Українська." in text
    assert "Де отримати допомогу: Україна" in text


def test_console_follows_the_language_of_the_question(bundled_engine: Engine):
    out = io.StringIO()
    ConsoleChat(bundled_engine, "MX", io.StringIO("¿qué es la trata de personas?\nok\n"), out).run()
    text = to_plain(out.getvalue())
    assert "¿En peligro ahora mismo? Llama al 911." in text
    assert text.count("¿En peligro ahora mismo?") >= 2  # "ok" stays in Spanish


@pytest.mark.usefixtures("bundled_engine")  # the bundled models are fitted and cached before the child reads them
def test_cli_lang_and_json_lang(tmp_path: Path):
    cache = Path(default_model_cache_dir()).resolve()
    (tmp_path / "config.toml").write_text(f'[matching]\nmodel_cache_dir = "{cache}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "ok", "--lang", "uk", "--region", "UA", "--json"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=True,
    )
    reply = json.loads(done.stdout)
    assert reply["lang"] == "uk"
    assert "У небезпеці просто зараз? Телефонуйте 112 або 102." in reply["text"]


# -- the directory's own text ---------------------------------------------------------------------------------------


def test_directory_translations_are_shown_in_the_persons_language(bundled_engine: Engine):
    ua = bundled_engine.referrals.get("UA")
    block = referral_block(ua, lang="uk").splitlines()
    assert block[1] == "Національна гаряча лінія з протидії торгівлі людьми: 527"
    assert block[2].startswith("Повідомити: 102 (поліція) або 112")
    assert referral_block(ua, lang="es").splitlines()[1].startswith("National Hotline")  # no es text: as written


def test_directory_translations_round_trip_and_are_checked():
    from bot.referrals import parse_referrals

    directory = parse_referrals(load_referrals_data(), "test")
    data = directory.to_data()
    assert parse_referrals(data, "again").to_data() == data
    ua = next(r for r in data["regions"] if r["code"] == "UA")
    ua["hotlines"][0]["translations"]["uk"]["name"] = "Гаряча лінія 528"  # a figure the English does not have
    ua["authority"]["translations"]["uk"]["web"] = "https://example.org"  # not a translatable field
    with pytest.raises(KnowledgeError) as caught:
        parse_referrals(data, "edited")
    found = " ".join(str(p) for p in caught.value.problems)
    assert "must carry exactly the English figures" in found
    assert "`web` is not translatable" in found


def load_referrals_data():
    import yaml

    return yaml.safe_load((ROOT / "knowledge" / "referrals.yaml").read_text(encoding="utf-8"))


def test_a_stale_translation_is_not_held_to_the_new_english_figures(tmp_path: Path):
    text = TRANSLATION.format(id="what-is-sex-trafficking",
                              questions=", ".join(f'"pregunta {i}"' for i in range(10)), answer="Texto sin cifras.")
    folder = _folder(tmp_path, text)
    with pytest.raises(KnowledgeError):  # follows the current English: the figures must match
        load_knowledge(folder)
    stale = text.replace("source_reviewed: 2026-11-28", "source_reviewed: 2020-01-01")
    (folder / "entries" / "es" / "basics.yaml").write_text(stale, encoding="utf-8")
    knowledge = load_knowledge(folder)  # an English correction does not wait for every language...
    assert [t.id for t in knowledge.stale_translations()] == ["what-is-sex-trafficking"]  # ...it is listed


def test_a_catalogue_never_compiled_stops_start_up_with_the_command_to_run(tmp_path: Path, monkeypatch):
    from bot import i18n

    po = tmp_path / "xx" / "LC_MESSAGES" / "awarebot.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.languages.cache_clear()
    try:
        assert i18n.languages() == ("en", "xx")  # a .po makes a language; compiling it is the build's job
        with pytest.raises(i18n.CatalogueMissing, match="make"):
            i18n.load_catalogues()
    finally:
        monkeypatch.undo()
        i18n.languages.cache_clear()
        i18n._translations.cache_clear()


# -- the learned language model beside fastText -----------------------------------------------------------------


@pytest.mark.parametrize(("text", "lang"), [
    ("ce inseamna trafic de persoane", "ro"),  # fastText alone: French
    ("unde pot suna daca cineva e exploatat", "ro"),  # fastText alone: English
    ("de ce nu fug victimele", "ro"),  # fastText alone: French
])
def test_informal_romanian_without_diacritics_is_answered_in_romanian(bundled_engine: Engine, text: str,
                                                                      lang: str) -> None:
    assert choose_language(text, None)[0] != lang  # the detector alone gets these wrong
    reply = bundled_engine.respond(text, "RO")
    assert reply.lang == lang
    assert reply.referral.strip()


def test_the_learned_model_decides_when_sure_and_fasttext_when_it_knows_better() -> None:
    from bot.i18n import Detection, combine_detection

    italian = Detection("it", 0.95, 30, (("it", 0.95),))
    # fastText is sure of a language the learned model never saw: fastText stands.
    assert combine_detection(italian, (("ro", 0.9),), {"en", "ro", "es"}) is italian
    # The learned model knows Italian-looking Romanian (it was trained on Italian too): it decides when sure.
    assert combine_detection(italian, (("ro", 0.9),), {"en", "ro", "it"}).lang == "ro"
    # Not sure enough: fastText stands.
    assert combine_detection(italian, (("ro", 0.4),), {"en", "ro", "it"}) is italian
    # No learned model or nothing detected: unchanged.
    assert combine_detection(italian, (), {"en"}) is italian
    empty = Detection(None, 0.0, 0)
    assert combine_detection(empty, (("ro", 0.99),), {"ro"}) is empty


def test_the_language_model_is_trained_with_the_others_and_cached(bundled_engine: Engine) -> None:
    models = bundled_engine.models
    assert set(bundled_engine.languages()) <= set(models.languages())
    assert models.info["oof_language_accuracy"] >= 0.9  # measured 0.9865 on the bundled knowledge
    prediction = models.predict("¿qué es la trata de personas?")
    assert prediction.languages[0][0] == "es" and prediction.languages[0][1] > 0.5
