"""Matching: typos, synonyms, rare words, ambiguity and the threshold, on the bundled knowledge."""

from pathlib import Path

import pytest

from bot.config import bundled_knowledge_dir
from bot.knowledge import Entry, Knowledge, load_knowledge
from bot.matching import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge(bundled_knowledge_dir()))


def best(matcher: Matcher, text: str) -> str | None:
    found = matcher.best(text)
    return found.entry_id if found else None


def test_exact_phrasing_matches_with_high_score(matcher: Matcher) -> None:
    found = matcher.best("what is sex trafficking")
    assert found is not None and found.entry_id == "what-is-sex-trafficking"
    assert found.score > 0.5


def test_typos_are_tolerated(matcher: Matcher) -> None:
    assert best(matcher, "whats the diffrence between trafficking and smugling") == "trafficking-vs-smuggling"
    assert best(matcher, "sings of human traficking") == "signs-of-trafficking"


def test_synonyms_are_folded(matcher: Matcher) -> None:
    # "cops" and "law enforcement" are both police; "ngos" are charities.
    assert best(matcher, "how do cops and charities work together against trafficking") == "collaboration"


def test_rare_words_weigh_more_than_common_ones(matcher: Matcher) -> None:
    idf = matcher.idf
    common = matcher.analyzer.term("trafficking")
    rare = matcher.analyzer.term("palermo")
    assert idf[rare] > idf[common]


def test_off_topic_scores_low(matcher: Matcher) -> None:
    """Off-topic text scores far below an on-topic question (no copy of a threshold the code also holds)."""
    on_topic = matcher.best("what is sex trafficking")
    found = matcher.best("what is a good recipe for banana bread")
    assert on_topic is not None and on_topic.entry_id == "what-is-sex-trafficking"
    assert found is None or found.score < on_topic.score / 4


def test_unknown_script_gives_no_match(matcher: Matcher) -> None:
    assert matcher.rank("帮帮我") == []
    assert matcher.rank("") == []


def test_rank_is_ordered_and_bounded(matcher: Matcher) -> None:
    ranked = matcher.rank("how do traffickers recruit people online", limit=3)
    assert 1 <= len(ranked) <= 3
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)
    assert all(0.0 <= m.score <= 1.0 for m in ranked)


def test_matcher_is_built_from_its_knowledge_only(tmp_path: Path) -> None:
    entry = Entry(
        id="only-one",
        title="Only entry",
        category="basics",
        questions=tuple(f"question about zebras number {i}" for i in range(6)),
        answer="Zebras.",
    )
    small = Matcher(Knowledge(entries={"only-one": entry}))
    assert best(small, "tell me about zebras") == "only-one"
    assert small.rank("what is sex trafficking") == []
