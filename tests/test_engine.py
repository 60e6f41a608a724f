"""The engine: every kind of reply carries the referral of the person's region; urgent puts it first."""

import pytest

from bot.config import load_config
from bot.engine import Engine, LiveEngine
from bot.replies import Reply, ReplyKind


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(load_config(env={}))


def assert_carries_referral(reply: Reply, emergency: str, hotline_digits: str | None) -> None:
    assert emergency in reply.plain
    if hotline_digits:
        digits = "".join(ch for ch in reply.plain if ch.isdigit())
        assert hotline_digits in digits


ALL_KINDS_INPUTS = {
    ReplyKind.ANSWER: "what are the signs of trafficking",
    ReplyKind.REFERRAL: "what's the hotline number",
    ReplyKind.URGENT: "he took my passport and i can't leave",
    ReplyKind.FALLBACK: "best pizza in town",
}


@pytest.mark.parametrize("kind", list(ALL_KINDS_INPUTS))
def test_every_respond_kind_carries_us_referral(engine: Engine, kind: ReplyKind) -> None:
    reply = engine.respond(ALL_KINDS_INPUTS[kind], "US")
    assert reply.kind is kind
    assert reply.region == "US"
    assert_carries_referral(reply, "911", "18883737888")


def test_help_welcome_error_and_hotline_carry_referral(engine: Engine) -> None:
    for reply in (
        engine.help_reply("GB"),
        engine.welcome_reply("GB"),
        engine.error_reply("GB"),
        engine.hotline_reply("GB"),
        engine.entry_reply("bot-privacy", "GB"),
        engine.entry_reply("no-such-entry", "GB"),
    ):
        assert_carries_referral(reply, "999", "08000121700")


def test_urgent_reply_starts_with_the_emergency_route(engine: Engine) -> None:
    reply = engine.respond("i'm 15 and a man online wants to meet me and pay me", "US")
    assert reply.kind is ReplyKind.URGENT
    first_line = reply.plain.splitlines()[0]
    assert "911" in first_line
    # Short and calm: no questions back at the person.
    assert "?" not in reply.body
    assert len(reply.plain) < 900


def test_general_question_on_the_same_subject_is_answered(engine: Engine) -> None:
    reply = engine.respond("why do traffickers take passports?", "US")
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "coercion-and-control"
    assert reply.plain.index("911") > reply.plain.index("passport")  # referral last


def test_region_changes_the_numbers(engine: Engine) -> None:
    us = engine.respond("what is sex trafficking", "US").plain
    gb = engine.respond("what is sex trafficking", "GB").plain
    assert "911" in us and "911" not in gb
    assert "999" in gb


def test_unknown_region_falls_back_to_international_guidance(engine: Engine) -> None:
    reply = engine.respond("what is sex trafficking", "JP")
    assert reply.region == "INTL"
    assert "emergency number" in reply.plain.lower()


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀🙏💔", "x" * 10_000, "what is trafficking " * 600, "\x00\x01", "ツ" * 50, "<b>hi</b> & <script>"],
)
def test_bad_input_gets_a_kind_reply_with_referral(engine: Engine, text: str) -> None:
    reply = engine.respond(text, "US")
    # "hi" greets; a message the models are unsure about gets the unsure reply (numbers first)
    assert reply.kind in (ReplyKind.FALLBACK, ReplyKind.HELP, ReplyKind.ANSWER, ReplyKind.SMALLTALK, ReplyKind.UNSURE)
    assert_carries_referral(reply, "911", "18883737888")


def test_spoken_language_is_answered_and_other_languages_are_told_so(engine: Engine) -> None:
    # Spanish has content now: answered in Spanish (bot.i18n, issue 9).
    spanish = engine.respond("qué es la trata de personas y cómo se previene", "ES")
    assert spanish.lang == "es" and spanish.kind is not ReplyKind.FALLBACK
    # Polish has none yet: an English reply that says so, with the numbers.
    reply = engine.respond("jaka będzie jutro pogoda w Warszawie i czy będzie padać", "ES")
    assert (reply.lang, reply.detected_lang) == ("en", "pl")
    assert reply.kind is ReplyKind.FALLBACK
    assert "english" in reply.body.lower()
    assert "112" in reply.plain


def test_close_runner_up_is_offered(engine: Engine) -> None:
    # Across the dev phrasings some answer must carry a "Did you mean" for its runner-up.
    reply = engine.respond("what is sex trafficking", "US")
    for alternative in reply.alternatives:
        assert any(b.action == f"entry:{alternative}" for b in reply.buttons)
        assert alternative != reply.entry_id


def test_reply_refuses_to_exist_without_referral() -> None:
    with pytest.raises(ValueError):
        Reply(kind=ReplyKind.ANSWER, body="text", referral="  ", region="US")


def test_html_escapes_dynamic_text(engine: Engine) -> None:
    reply = engine.respond("<script>alert(1)</script> what is trafficking", "US")
    assert "<script>" not in reply.html
    assert "<b>" in reply.html  # light markup survives as bold


def test_live_engine_swaps_whole_snapshots(engine: Engine) -> None:
    live = LiveEngine(engine)
    held = live.current
    newer = Engine.build(engine.knowledge, engine.referrals, version=engine.version + 1)
    live.swap(newer)
    assert live.current is newer
    assert held.version == engine.version  # a question in flight keeps its snapshot


def test_urgent_reply_for_a_minor_adds_the_child_helpline(engine: Engine) -> None:
    minor = engine.respond("im 14 and a guy online wants to pay me to meet him", "GB")
    adult = engine.respond("he took my passport and i can't leave", "GB")
    assert minor.kind is adult.kind is ReplyKind.URGENT
    assert "0800 1111" in minor.referral and "Under 18" in minor.referral
    assert "0800 1111" not in adult.referral
    assert minor.plain.splitlines()[0] == adult.plain.splitlines()[0]  # the emergency line still comes first


def test_urgent_reply_offers_the_general_topic(engine: Engine) -> None:
    reply = engine.respond("he took my passport and i can't leave", "US")
    assert any(b.action.startswith("entry:") and "general" in b.label for b in reply.buttons)


def test_goods_trafficking_gets_a_fallback_that_says_why(engine: Engine) -> None:
    reply = engine.respond("what's the prison sentence for drug trafficking in the uk", "GB")
    assert reply.kind is ReplyKind.FALLBACK
    assert "people" in reply.body and "999" in reply.plain
