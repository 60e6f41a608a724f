"""Matching a question to a knowledge entry: built once per knowledge version, pure and synchronous afterwards.

Each phrasing, and each entry as a whole, becomes a TF-IDF vector over stemmed content words, so rare words weigh
more than common ones ("passport" says more than "trafficking"). A question is normalised, synonyms are folded onto
their canonical word, unknown words are corrected against the vocabulary (rapidfuzz) and the entries are ranked by
a blend of the best phrasing's cosine and the whole entry's cosine. Scores are in [0, 1].
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge import Knowledge
from bot.text import STOPWORDS, is_latin_word, normalize, stem

# Weight of the best single phrasing against the entry as a whole (keywords, title, all phrasings together).
PHRASE_WEIGHT = 0.5
ENTRY_WEIGHT = 1.0 - PHRASE_WEIGHT
# Words of the answer describe the topic too, but less sharply than the ways people ask.
ANSWER_TERM_WEIGHT = 0.35
# A word form sharing a long prefix with a known word ("stigmatised" ~ "stigma") is taken at this confidence.
PREFIX_MIN_LENGTH = 5
PREFIX_CONFIDENCE = 0.7
# A typo-corrected word counts for less than a word typed right, in proportion to how sure the correction is.
TYPO_MIN_SIMILARITY = 80.0
TYPO_MIN_LENGTH = 6  # shorter words are too often another real word ("light" is not a typo of "right")
# Words the knowledge has never seen still count in the question's length, so off-topic text scores low.
UNKNOWN_WEIGHT_FACTOR = 1.0
# Re-ranking: the top candidates are compared with rapidfuzz on whole phrasings (word order, partial overlap).
RERANK_CANDIDATES = 6
RERANK_WEIGHT = 0.4
# Domain words: terms used in the phrasings of at least this share of entries ("trafficking", "victim", …).
# A question with none of them is probably about something else, so its score counts half.
ANCHOR_MIN_SHARE = 0.3
NO_ANCHOR_FACTOR = 0.5
_CACHE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Match:
    entry_id: str
    score: float


Vector = dict[str, float]


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


class Analyzer:
    """Turns text into canonical stems, with synonym folding (phrases and words)."""

    def __init__(self, synonyms: dict[str, tuple[str, ...]]) -> None:
        word_map: dict[str, str] = {}
        phrases: dict[str, str] = {}
        for canonical, variants in synonyms.items():
            target = "_".join(canonical.split()) if " " in canonical else canonical
            for variant in variants:
                if " " in variant:
                    phrases[variant] = target
                else:
                    word_map[variant] = target
            if " " in canonical:
                phrases[canonical] = target
        self._word_map = word_map
        self._phrases = phrases
        self._phrase_rx = (
            re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b")
            if phrases
            else None
        )

    def words(self, text: str) -> list[str]:
        """Normalised content words with synonyms folded; multi-word synonyms become one token."""
        norm = normalize(text)
        if self._phrase_rx is not None:
            norm = self._phrase_rx.sub(lambda m: self._phrases[m.group(1)], norm)
        out: list[str] = []
        for word in norm.split():
            if word in STOPWORDS:
                continue
            out.append(self._word_map.get(word, word))
        return out

    def term(self, word: str) -> str:
        """The index term of a (folded) word: multi-word tokens stay whole, others are stemmed."""
        if "_" in word:
            return word
        mapped = self._word_map.get(word, word)
        return mapped if "_" in mapped else stem(mapped)


class Matcher:
    """Ranks entries for a question. Immutable after construction; safe to share between concurrent updates."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.analyzer = Analyzer(dict(knowledge.synonyms))
        self._phrasings: dict[str, list[str]] = {}
        entry_terms: dict[str, list[list[str]]] = {}
        answer_terms: dict[str, set[str]] = {}
        surface: dict[str, str] = {}  # every known word form -> its term (for typo correction)
        for entry in knowledge.entries.values():
            docs: list[list[str]] = []
            phrasings: list[str] = []
            for question in entry.questions:
                terms = self._terms(question, surface)
                docs.append(terms)
                phrasings.append(" ".join(terms))
            self._phrasings[entry.id] = phrasings
            extra = [self._terms(k, surface) for k in entry.keywords] + [self._terms(entry.title, surface)]
            entry_terms[entry.id] = docs + [[t for doc in extra for t in doc]]
            answer_terms[entry.id] = set(self._terms(entry.answer, surface))
        n_entries = max(len(entry_terms), 1)
        phrasing_df: dict[str, int] = defaultdict(int)
        for docs in entry_terms.values():
            for term in {t for doc in docs[:-1] for t in doc}:
                phrasing_df[term] += 1
        self.anchors = frozenset(t for t, c in phrasing_df.items() if c >= ANCHOR_MIN_SHARE * n_entries)
        df: dict[str, int] = defaultdict(int)
        for entry_id, docs in entry_terms.items():
            for term in {t for doc in docs for t in doc} | answer_terms[entry_id]:
                df[term] += 1
        self.idf: dict[str, float] = {t: math.log(1.0 + n_entries / c) for t, c in df.items()}
        self.max_idf = math.log(1.0 + n_entries)

        # Inverted indexes: term -> [(phrase index, weight)], term -> [(entry id, weight)].
        self._phrase_entry: list[str] = []
        phrase_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        entry_postings: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for entry_id, docs in entry_terms.items():
            for doc in docs[:-1]:  # the phrasings
                vector = _unit({t: self.idf[t] for t in set(doc)})
                if not vector:
                    continue
                index = len(self._phrase_entry)
                self._phrase_entry.append(entry_id)
                for term, weight in vector.items():
                    phrase_postings[term].append((index, weight))
            counts: dict[str, float] = defaultdict(float)
            for doc in docs:
                for term in set(doc):
                    counts[term] += 1.0
            for term in answer_terms[entry_id]:
                counts[term] += ANSWER_TERM_WEIGHT
            entry_vector = _unit({t: self.idf[t] * math.sqrt(c) for t, c in counts.items()})
            for term, weight in entry_vector.items():
                entry_postings[term].append((entry_id, weight))
        self._phrase_postings = dict(phrase_postings)
        self._entry_postings = dict(entry_postings)
        self._surface = surface
        self._surface_words = [w for w in surface if is_latin_word(w) and len(w) >= TYPO_MIN_LENGTH - 1]
        self._word_cache: dict[str, tuple[str | None, float]] = {}

    def _terms(self, text: str, surface: dict[str, str]) -> list[str]:
        terms = []
        for word in self.analyzer.words(text):
            term = self.analyzer.term(word)
            surface.setdefault(word, term)
            terms.append(term)
        return terms

    def _resolve(self, word: str) -> tuple[str | None, float]:
        """A query word's term and confidence; (None, 1) when the knowledge has no such word, even misspelt."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        term = self.analyzer.term(word)
        result: tuple[str | None, float]
        if term in self.idf:
            result = (term, 1.0)
        elif len(word) >= TYPO_MIN_LENGTH and is_latin_word(word) and not word.isdigit():
            found = process.extractOne(
                word, self._surface_words, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_SIMILARITY
            )
            if found:
                result = (self._surface[found[0]], (found[1] / 100.0) ** 2)
            else:
                result = self._by_prefix(word)
        else:
            result = (None, 1.0)
        if len(self._word_cache) < _CACHE_LIMIT:
            self._word_cache[word] = result
        return result

    def _by_prefix(self, word: str) -> tuple[str | None, float]:
        """Another form of a known word ("stigmatised" for "stigma", "recruiters" for "recruit")."""
        if len(word) < PREFIX_MIN_LENGTH + 1:
            return (None, 1.0)
        best: str | None = None
        for known in self._surface_words:
            shorter = min(len(known), len(word))
            if shorter >= PREFIX_MIN_LENGTH and word[:shorter] == known[:shorter] and shorter >= 0.6 * max(len(known), len(word)):
                if best is None or len(known) > len(best):
                    best = known
        return (self._surface[best], PREFIX_CONFIDENCE) if best else (None, 1.0)

    def query_vector(self, text: str) -> Vector:
        """The question as a unit vector; unknown words keep a share of the length under a private key."""
        vector: Vector = {}
        unknown = 0.0
        for word in self.analyzer.words(text):
            term, confidence = self._resolve(word)
            if term is None:
                unknown += (self.max_idf * UNKNOWN_WEIGHT_FACTOR) ** 2
                continue
            weight = self.idf[term] * confidence
            vector[term] = max(vector.get(term, 0.0), weight)
        norm = math.sqrt(sum(w * w for w in vector.values()) + unknown)
        return {t: w / norm for t, w in vector.items()} if norm else {}

    def rank(self, text: str, limit: int = 3) -> list[Match]:
        """The best entries for a question, best first; empty when no word of it is known."""
        query = self.query_vector(text)
        if not query:
            return []
        phrase_scores: dict[int, float] = defaultdict(float)
        entry_scores: dict[str, float] = defaultdict(float)
        for term, q_weight in query.items():
            for index, weight in self._phrase_postings.get(term, ()):
                phrase_scores[index] += q_weight * weight
            for entry_id, weight in self._entry_postings.get(term, ()):
                entry_scores[entry_id] += q_weight * weight
        best_phrase: dict[str, float] = {}
        for index, score in phrase_scores.items():
            entry_id = self._phrase_entry[index]
            if score > best_phrase.get(entry_id, 0.0):
                best_phrase[entry_id] = score
        combined = (
            Match(e, PHRASE_WEIGHT * best_phrase.get(e, 0.0) + ENTRY_WEIGHT * s) for e, s in entry_scores.items()
        )
        candidates = heapq.nlargest(max(limit, RERANK_CANDIDATES), combined, key=lambda m: m.score)
        query_text = " ".join(query)
        # How much of the question the knowledge recognises at all: "calories in a banana" matching only on
        # "how many" is weak evidence, however well "how many" matches.
        coverage = math.sqrt(sum(w * w for w in query.values()))
        if not self.anchors.intersection(query):
            coverage *= NO_ANCHOR_FACTOR
        reranked = [
            Match(
                c.entry_id,
                c.score * coverage * (1 - RERANK_WEIGHT + RERANK_WEIGHT * self._similarity(query_text, c.entry_id)),
            )
            for c in candidates
        ]
        return heapq.nlargest(limit, reranked, key=lambda m: m.score)

    def _similarity(self, query_text: str, entry_id: str) -> float:
        """Best rapidfuzz token-sort similarity between the question's terms and one of the entry's phrasings."""
        found = process.extractOne(query_text, self._phrasings[entry_id], scorer=fuzz.token_sort_ratio)
        return found[1] / 100.0 if found else 0.0

    def best(self, text: str) -> Match | None:
        ranked = self.rank(text, limit=1)
        return ranked[0] if ranked else None


def vocabulary(matcher: Matcher) -> Iterable[str]:
    return matcher.idf.keys()
