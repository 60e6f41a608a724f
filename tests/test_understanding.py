"""Understanding v2 (issue 8): the small inputs that failed before, held-out regression floors, the held-out
manifest and leakage guards, and the referral block on every reply."""

from __future__ import annotations

import hashlib
import re

import pytest

from bench.sets import HELDOUT_DIR, heldout_sets
from bot.config import bundled_knowledge_dir
from bot.engine import Engine
from bot.knowledge import load_knowledge
from bot.replies import ReplyKind
from bot.text import normalize

LONG = ("I want to tell you about my week, my work and my family, and how tired I am of everything. " * 27
        + "he is outside the door now and has my passport")


@pytest.mark.parametrize(
    ("text", "kind", "entry"),
    [
        ("a man from a game has my pictures and wants money or more pictures or he posts them", ReplyKind.URGENT, None),
        ("the girl who cleans for my neighbours never leaves the house and tonight men are arriving, what do i do",
         ReplyKind.URGENT, None),
        ("they lo\u00adcked me in", ReplyKind.URGENT, None),
        ("what is sex traf\u200bficking", ReplyKind.ANSWER, "what-is-sex-trafficking"),
        ("what is trafficking", ReplyKind.ANSWER, "what-is-sex-trafficking"),
        ("what is sex trafficking lol", ReplyKind.ANSWER, "what-is-sex-trafficking"),
        ("i'm writing a short story about a girl recruited through a fake modelling agency, what would the first "
         "weeks realistically look like?", ReplyKind.ANSWER, "recruitment-tactics"),
        ("I was trafficked as a teenager and have rebuilt my life; how do other survivors deal with the stigma when "
         "they start a new job?", ReplyKind.ANSWER, "stigma-and-reintegration"),
        ("hello there", ReplyKind.SMALLTALK, None),
        ("ok cool thank you", ReplyKind.SMALLTALK, None),
        ("who made you?", ReplyKind.SMALLTALK, None),
        (LONG, ReplyKind.URGENT, None),
    ],
)
def test_small_inputs_that_failed_before(bundled_engine: Engine, text: str, kind: ReplyKind, entry: str | None) -> None:
    reply = bundled_engine.respond(text, "US")
    assert reply.kind is kind
    if entry:
        assert reply.entry_id == entry


def test_the_long_message_is_over_the_match_limit() -> None:
    from bot.engine import MAX_MATCH_CHARS

    assert len(LONG) > 2500 > MAX_MATCH_CHARS


def test_someone_worried_about_another_gets_the_referral_first(bundled_engine: Engine) -> None:
    reply = bundled_engine.respond("my daughter has an older boyfriend who buys her gifts, what signs should i look for",
                                   "US")
    assert reply.kind is ReplyKind.ANSWER and reply.referral_first
    assert reply.text.startswith(reply.referral)
    assert "not your fault" not in reply.text


def test_unsure_reply_puts_numbers_first_and_offers_three_ways(bundled_engine: Engine) -> None:
    reply = bundled_engine._unsure("US", ("signs-of-trafficking",))
    assert reply.kind is ReplyKind.UNSURE and reply.text.startswith(reply.referral)
    assert [b.action for b in reply.buttons] == ["urgent", "entry:how-to-help-someone", "entry:signs-of-trafficking"]
    assert bundled_engine.urgent_reply("US").kind is ReplyKind.URGENT


def test_urgent_text_mentions_a_text_line_only_where_there_is_one(bundled_engine: Engine) -> None:
    from bot.engine import URGENT, URGENT_CALL_ONLY

    for code in [r.code for r in bundled_engine.referrals.regions()]:
        region = bundled_engine.referrals.get(code)
        body = bundled_engine.urgent_reply(code).body
        has = any(h.sms or h.web for h in region.hotlines)
        assert body == (URGENT if has else URGENT_CALL_ONLY), code


# -- held-out sets ---------------------------------------------------------------------------------------------


def _manifest() -> dict[str, str]:
    text = (HELDOUT_DIR / "README.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| ([\w.-]+\.yaml) \|.*\| ([0-9a-f]{64}) \|$", text, re.M)}


def test_every_heldout_file_matches_its_manifest_row() -> None:
    manifest = _manifest()
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(HELDOUT_DIR.glob("*.yaml"))}
    assert files, "no held-out sets"
    assert files == manifest, "a held-out file changed, appeared or vanished without tests/heldout/README.md"


def test_no_heldout_line_is_in_the_knowledge() -> None:
    knowledge = load_knowledge(bundled_knowledge_dir())
    known = {normalize(t) for t, _ in knowledge.training_phrasings()}
    known |= {normalize(t) for t, _ in knowledge.safety_examples()}
    known |= {normalize(t) for texts in knowledge.examples.values() for t in texts}
    leaked = [t for s in heldout_sets() for t in s.texts() if normalize(t) in known]
    assert leaked == []


KINDS = ("answers", "urgent", "near_miss_urgent", "off_topic", "referral", "smalltalk", "every_reply_has_referral")


@pytest.fixture(scope="module")
def heldout_counts(bundled_engine: Engine) -> dict[str, dict[str, tuple[int, int]]]:
    """Per held-out set and kind: (hits, n)."""
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for labelled in heldout_sets():
        replies = {t: bundled_engine.respond(t, "US") for t in labelled.texts()}

        def count(items, ok) -> tuple[int, int]:  # noqa: ANN001
            return sum(1 for item in items if ok(item)), len(items)

        counts[labelled.name] = {
            "answers": count(labelled.answers, lambda x, replies=replies: replies[x[0]].kind is ReplyKind.ANSWER
                             and replies[x[0]].entry_id == x[1]),
            "urgent": count(labelled.urgent, lambda t, replies=replies: replies[t].kind is ReplyKind.URGENT),
            "near_miss_urgent": count(labelled.near_miss, lambda x, replies=replies: replies[x[0]].kind is ReplyKind.URGENT),
            "off_topic": count(labelled.off_topic, lambda t, replies=replies: replies[t].kind is ReplyKind.FALLBACK),
            "referral": count(labelled.referral, lambda t, replies=replies: replies[t].kind is ReplyKind.REFERRAL),
            "smalltalk": count(labelled.smalltalk, lambda t, replies=replies: replies[t].kind is ReplyKind.SMALLTALK),
            "every_reply_has_referral": count(list(replies.values()), lambda r: bool(r.referral.strip())),
            "in_language": count(list(replies.values()), lambda r, lang=labelled.lang: r.lang == lang),
        }
    return counts


def _pooled(counts: dict[str, dict[str, tuple[int, int]]], names: list[str], kind: str) -> float:
    hits = sum(counts[n][kind][0] for n in names)
    total = sum(counts[n][kind][1] for n in names)
    return hits / total


# Regression floors, not targets (the targets are in `make bench`). Measured on the English held-out sets
# pooled (en-adults, en-blind, en-professional, en-young; 955 lines) at the commit that set them: answers 0.914,
# urgent 0.995, near-miss sent to urgent 0.187, off-topic 0.870, referral 0.888, smalltalk 0.717. Each floor
# sits 0.05-0.12 below, so retraining noise does not fail the suite while a real regression does.
FLOORS = {"answers": 0.85, "urgent": 0.95, "off_topic": 0.78, "referral": 0.80, "smalltalk": 0.60}
CEILINGS = {"near_miss_urgent": 0.28}


def test_english_heldout_floors(heldout_counts: dict[str, dict[str, tuple[int, int]]]) -> None:
    english = [s.name for s in heldout_sets() if s.lang == "en"]
    assert len(english) >= 1
    for kind, floor in FLOORS.items():
        assert _pooled(heldout_counts, english, kind) >= floor, kind
    for kind, ceiling in CEILINGS.items():
        assert _pooled(heldout_counts, english, kind) <= ceiling, kind


# Per content language (held-out v2, 176 lines each), measured at d795127: answers top-1 0.89-0.97, referral
# 0.85-1.00, replies in the set's language 0.99-1.00. Floors sit 0.09-0.10 below the lowest language (one line is
# 1.25 points of answers and 5 points of referral), so noise passes and a regression in any language fails.
LANGUAGE_FLOORS = {"answers": 0.80, "referral": 0.75, "in_language": 0.90}


def test_heldout_floors_in_every_content_language(heldout_counts: dict[str, dict[str, tuple[int, int]]]) -> None:
    content = [s for s in heldout_sets() if s.lang not in ("en", "mixed")]
    assert {s.lang for s in content} >= {"es", "fr", "pt", "ro", "ru", "th", "uk"}
    for labelled in content:
        for kind, floor in LANGUAGE_FLOORS.items():
            hits, n = heldout_counts[labelled.name][kind]
            assert n and hits / n >= floor, (labelled.name, kind, hits, n)


def test_urgent_recall_holds_in_every_language(heldout_counts: dict[str, dict[str, tuple[int, int]]]) -> None:
    """Measured 0.958-1.0 on every held-out set at d08bf27 (v2 sets of Spanish, French, Portuguese, Romanian,
    Russian, Thai, Ukrainian, 24 urgent lines each; a mixed set of ten other languages, 40; English, 40-50); floor
    0.85 per set."""
    for name, kinds in heldout_counts.items():
        hits, n = kinds["urgent"]
        if n:
            assert hits / n >= 0.85, name


def test_every_reply_carries_the_referral(heldout_counts: dict[str, dict[str, tuple[int, int]]]) -> None:
    for name, kinds in heldout_counts.items():
        hits, n = kinds["every_reply_has_referral"]
        assert hits == n, name


# -- the uncertain band, through respond ---------------------------------------------------------------------------

def _with_band(engine: Engine, p_urgent: float, *, inside: bool) -> Engine:
    """The same models with thresholds placed around a message's p(urgent): inside the unsure band, or below it.
    answer_threshold 1.0 keeps the intent model from answering, so only the safety decision is exercised."""
    import dataclasses

    eps = 1e-6
    unsure = p_urgent - eps if inside else min(1.0, p_urgent + 2 * eps)
    matching = dataclasses.replace(engine.matching, answer_threshold=1.0, urgent_threshold=min(1.0, p_urgent + eps),
                                   unsure_threshold=max(0.0, unsure))
    return dataclasses.replace(engine, matching=matching)


def test_a_message_in_the_uncertain_band_gets_numbers_first_and_one_calm_question(bundled_engine: Engine) -> None:
    text = "he says i owe him for the ticket and i should be nicer to his friends"
    p = bundled_engine.models.predict(text, text).urgent
    assert 0.0 < p < 1.0
    reply = _with_band(bundled_engine, p, inside=True).respond(text, "US", "en")
    assert reply.kind is ReplyKind.UNSURE
    assert reply.text.startswith(reply.referral)  # the emergency and hotline lines come first
    assert reply.body.count("?") == 1  # one calm question
    assert [b.action for b in reply.buttons][:2] == ["urgent", "entry:how-to-help-someone"]
    # Below the band the same message is not treated as risky: a fallback, never the unsure or urgent reply.
    below = _with_band(bundled_engine, p, inside=False).respond(text, "US", "en")
    assert below.kind is ReplyKind.FALLBACK


def test_small_talk_is_never_the_reply_in_the_uncertain_band(bundled_engine: Engine) -> None:
    """A message the intent model reads as small talk but whose p(urgent) is in the uncertain band gets the
    numbers first and one calm question, not "hello!" (a dev-list miss: "i escaped but have nowhere to go" was read
    as small talk at p(urgent) 0.26)."""
    import dataclasses

    text = "hello there"
    p = bundled_engine.models.predict(text, text).urgent
    assert bundled_engine.respond(text, "US", "en").kind is ReplyKind.SMALLTALK
    matching = dataclasses.replace(bundled_engine.matching, unsure_threshold=p - 1e-9, urgent_threshold=min(1.0, p + 1e-6))
    reply = dataclasses.replace(bundled_engine, matching=matching).respond(text, "US", "en")
    assert reply.kind is ReplyKind.UNSURE
    assert reply.text.startswith(reply.referral)
