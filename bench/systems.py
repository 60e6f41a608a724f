"""The systems under test, behind one small interface: awarebot's engine, and two baselines over
the same knowledge — rapidfuzz `process.extractOne` with `WRatio`, and BM25 (the `bm25s` package) — each over all
phrasings of all entries, answering the best phrasing's entry when its score clears a cutoff tuned on the dev set.

The baselines have no safety router: they answer or fall back, never "referral" or "urgent"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from bot.engine import Engine
from bot.knowledge import Knowledge

ANSWER = "answer"
FALLBACK = "fallback"
REGION = "US"


@dataclass(frozen=True, slots=True)
class Decision:
    kind: str  # answer | referral | urgent | fallback | smalltalk | unsure | help | error
    entry_id: str | None = None
    score: float = 0.0
    has_referral: bool = False  # the reply carries the region's referral block


class System(Protocol):
    name: str

    def decide(self, text: str) -> Decision: ...


def phrasings_of(knowledge: Knowledge) -> tuple[list[str], list[str]]:
    """Every phrasing (question) of every entry, and the entry each belongs to."""
    texts: list[str] = []
    owners: list[str] = []
    for entry in knowledge.entries.values():
        for question in entry.questions:
            texts.append(question)
            owners.append(entry.id)
    return texts, owners


class Awarebot:
    """awarebot as a person meets it: `engine.respond` (safety routing, matching, threshold, referral block)."""

    name = "awarebot"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def decide(self, text: str) -> Decision:
        reply = self.engine.respond(text, REGION)
        return Decision(str(reply.kind), reply.entry_id, reply.score, bool(reply.referral.strip()))


class Baseline:
    """Best phrasing's entry, if its score reaches `cutoff`; otherwise fall back."""

    name = "baseline"
    cutoff: float = 0.0

    def top(self, text: str) -> tuple[str | None, float]:
        """Best entry and its raw score, with no cutoff (for tuning)."""
        raise NotImplementedError

    def decide(self, text: str) -> Decision:
        entry_id, score = self.top(text)
        if entry_id is None or score < self.cutoff:
            return Decision(FALLBACK, None, score)
        return Decision(ANSWER, entry_id, score)


class RapidfuzzBaseline(Baseline):
    """`process.extractOne(query, phrasings, scorer=WRatio)`, phrasings pre-processed once with `default_process`
    (lower-case, punctuation stripped); the deployed form passes the tuned cutoff as `score_cutoff`."""

    name = "rapidfuzz"

    def __init__(self, knowledge: Knowledge, cutoff: float = 0.0) -> None:
        texts, self.owners = phrasings_of(knowledge)
        self.choices = [default_process(t) for t in texts]
        self.cutoff = cutoff

    def top(self, text: str) -> tuple[str | None, float]:
        found = process.extractOne(default_process(text), self.choices, scorer=fuzz.WRatio, processor=None)
        if not found:
            return None, 0.0
        return self.owners[found[2]], float(found[1])

    def decide(self, text: str) -> Decision:
        found = process.extractOne(
            default_process(text), self.choices, scorer=fuzz.WRatio, processor=None, score_cutoff=self.cutoff
        )
        if not found:
            return Decision(FALLBACK, None, 0.0)
        return Decision(ANSWER, self.owners[found[2]], float(found[1]))


class BM25Baseline(Baseline):
    """bm25s (Lucene BM25, k1=1.5, b=0.75) over every phrasing, tokenised by bm25s's own tokenizer with its English
    stopwords and the same Snowball stemmer awarebot uses; a question is scored with `get_scores` and its best
    phrasing's entry is taken when the raw BM25 score reaches the cutoff."""

    name = "bm25"

    def __init__(self, knowledge: Knowledge, cutoff: float = 0.0) -> None:
        import bm25s
        import numpy as np
        import Stemmer

        self._np = np
        texts, self.owners = phrasings_of(knowledge)
        self.tokenizer = bm25s.tokenization.Tokenizer(stopwords="en", stemmer=Stemmer.Stemmer("english"))
        corpus = self.tokenizer.tokenize(texts, show_progress=False, return_as="tuple")
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        self.cutoff = cutoff

    def top(self, text: str) -> tuple[str | None, float]:
        tokens = self.tokenizer.tokenize([text], update_vocab=False, show_progress=False, return_as="string")[0]
        tokens = [t for t in tokens if t]
        if not tokens:
            return None, 0.0
        scores = self.retriever.get_scores(tokens)
        best = int(self._np.argmax(scores))
        score = float(scores[best])
        if score <= 0.0:
            return None, 0.0
        return self.owners[best], score


def bm25_available() -> bool:
    try:
        import bm25s  # noqa: F401
    except ImportError:
        return False
    return True
