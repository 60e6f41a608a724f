"""Matching a question to a knowledge entry: built once per knowledge version, pure and synchronous afterwards.

Each phrasing, and each entry as a whole, becomes a TF-IDF vector over stemmed content words, so rare words weigh
more than common ones ("passport" says more than "trafficking"). A question is normalised, synonyms are folded onto
their canonical word, unknown words are corrected against the vocabulary (rapidfuzz) and the entries are ranked by
a blend of the best phrasing's cosine and the whole entry's cosine. Scores are in [0, 1].
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
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
    """One candidate entry for a question: its id and a score on the matcher's 0-1 scale."""
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

    def words(self, text: str, norm: str | None = None) -> list[str]:
        """Normalised content words with synonyms folded; multi-word synonyms become one token.
        `norm` is normalize(text) when the caller already has it."""
        if norm is None:
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
    """Ranks entries for a question. Immutable after construction; safe to share between concurrent updates.

    The index is a pair of sparse term -> (rows, weights) postings held as numpy arrays: one over phrasings (stored
    contiguously per entry), one over whole entries. A question touches only the postings of its few terms, summed
    with one bincount, so the cost stays small as the knowledge grows.
    """

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

        self._entry_ids: list[str] = list(entry_terms)
        phrase_rows: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        entry_rows: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        starts: list[int] = []
        n_phrases = 0
        for row, entry_id in enumerate(self._entry_ids):
            docs = entry_terms[entry_id]
            starts.append(n_phrases)
            phrase_vectors = [v for v in (_unit({t: self.idf[t] for t in set(doc)}) for doc in docs[:-1]) if v]
            for vector in phrase_vectors or [{}]:  # every entry owns at least one row, for reduceat
                for term, weight in vector.items():
                    phrase_rows[term][0].append(n_phrases)
                    phrase_rows[term][1].append(weight)
                n_phrases += 1
            counts: dict[str, float] = defaultdict(float)
            for doc in docs:
                for term in set(doc):
                    counts[term] += 1.0
            for term in answer_terms[entry_id]:
                counts[term] += ANSWER_TERM_WEIGHT
            for term, weight in _unit({t: self.idf[t] * math.sqrt(c) for t, c in counts.items()}).items():
                entry_rows[term][0].append(row)
                entry_rows[term][1].append(weight)
        self._n_phrases = n_phrases
        self._entry_starts = np.asarray(starts, dtype=np.intp)
        self._phrase_postings = {
            t: (np.asarray(r, dtype=np.intp), np.asarray(w, dtype=np.float64)) for t, (r, w) in phrase_rows.items()
        }
        self._entry_postings = {
            t: (np.asarray(r, dtype=np.intp), np.asarray(w, dtype=np.float64)) for t, (r, w) in entry_rows.items()
        }
        self._surface = surface
        # Candidate words for typo correction, by first letter: a typo rarely hits the first letter, and this keeps
        # the comparison to a few hundred words whatever the size of the knowledge.
        by_initial: dict[str, list[str]] = defaultdict(list)
        for word in surface:
            if is_latin_word(word) and len(word) >= TYPO_MIN_LENGTH - 1:
                by_initial[word[0]].append(word)
        self._typo_candidates = dict(by_initial)
        self._sorted_surface = sorted(w for w in surface if is_latin_word(w) and len(w) >= PREFIX_MIN_LENGTH)
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
        result: tuple[str | None, float] = (None, 1.0)
        if term in self.idf:
            result = (term, 1.0)
        elif len(word) >= TYPO_MIN_LENGTH and is_latin_word(word) and not word.isdigit():
            found = process.extractOne(
                word, self._typo_candidates.get(word[0], ()), scorer=fuzz.ratio, score_cutoff=TYPO_MIN_SIMILARITY
            )
            if found:
                result = (self._surface[found[0]], (found[1] / 100.0) ** 2)
            else:
                result = self._by_prefix(word)
        if len(self._word_cache) < _CACHE_LIMIT:
            self._word_cache[word] = result
        return result

    def _by_prefix(self, word: str) -> tuple[str | None, float]:
        """Another form of a known word ("stigmatised" for "stigma", "recruiters" for "recruit")."""
        if len(word) < PREFIX_MIN_LENGTH + 1:
            return (None, 1.0)
        # Known words sharing the first PREFIX_MIN_LENGTH letters sit together in the sorted list.
        head = word[:PREFIX_MIN_LENGTH]
        i = bisect.bisect_left(self._sorted_surface, head)
        best: str | None = None
        while i < len(self._sorted_surface) and self._sorted_surface[i].startswith(head):
            known = self._sorted_surface[i]
            i += 1
            shorter = min(len(known), len(word))
            if word[:shorter] == known[:shorter] and shorter >= 0.6 * max(len(known), len(word)):
                if best is None or len(known) > len(best):
                    best = known
        return (self._surface[best], PREFIX_CONFIDENCE) if best else (None, 1.0)

    def query_vector(self, text: str, norm: str | None = None) -> Vector:
        """The question as a unit vector; unknown words keep a share of the length (so they lower every score)."""
        vector: Vector = {}
        unknown = 0.0
        for word in self.analyzer.words(text, norm):
            term, confidence = self._resolve(word)
            if term is None:
                unknown += (self.max_idf * UNKNOWN_WEIGHT_FACTOR) ** 2
                continue
            weight = self.idf[term] * confidence
            vector[term] = max(vector.get(term, 0.0), weight)
        length = math.sqrt(sum(w * w for w in vector.values()) + unknown)
        return {t: w / length for t, w in vector.items()} if length else {}

    def _accumulate(self, postings: dict[str, tuple[np.ndarray, np.ndarray]], query: Vector, size: int) -> np.ndarray:
        rows, weights = [], []
        for term, q_weight in query.items():
            posting = postings.get(term)
            if posting is not None:
                rows.append(posting[0])
                weights.append(posting[1] * q_weight)
        if not rows:
            return np.zeros(size)
        if len(rows) == 1:
            return np.bincount(rows[0], weights[0], minlength=size)
        return np.bincount(np.concatenate(rows), np.concatenate(weights), minlength=size)

    def rank(self, text: str, limit: int = 3, norm: str | None = None) -> list[Match]:
        """The best entries for a question, best first; empty when no word of it is known."""
        query = self.query_vector(text, norm)
        if not query:
            return []
        phrase_scores = self._accumulate(self._phrase_postings, query, self._n_phrases)
        best_phrase = np.maximum.reduceat(phrase_scores, self._entry_starts)
        entry_scores = self._accumulate(self._entry_postings, query, len(self._entry_ids))
        combined = PHRASE_WEIGHT * best_phrase + ENTRY_WEIGHT * entry_scores
        wanted = min(max(limit, RERANK_CANDIDATES), len(combined))
        top = np.argpartition(-combined, wanted - 1)[:wanted] if wanted < len(combined) else np.arange(len(combined))
        candidates = [(int(i), float(combined[i])) for i in top if combined[i] > 0.0]
        # How much of the question the knowledge recognises at all: "calories in a banana" matching only on
        # "how many" is weak evidence, however well "how many" matches.
        coverage = math.sqrt(sum(w * w for w in query.values()))
        if not self.anchors.intersection(query):
            coverage *= NO_ANCHOR_FACTOR
        query_text = " ".join(query)
        # The re-rank factor lies in [1 - RERANK_WEIGHT, 1]: a candidate below that share of the leader's score can
        # never overtake it, so it is not compared (it keeps the lowest factor).
        floor = (1 - RERANK_WEIGHT) * max((score for _, score in candidates), default=0.0)
        reranked = [
            Match(
                self._entry_ids[i],
                score * coverage * (
                    1 - RERANK_WEIGHT
                    + (RERANK_WEIGHT * self._similarity(query_text, self._entry_ids[i]) if score >= floor else 0.0)
                ),
            )
            for i, score in candidates
        ]
        return heapq.nlargest(limit, reranked, key=lambda m: m.score)

    def _similarity(self, query_text: str, entry_id: str) -> float:
        """Best rapidfuzz token-sort similarity between the question's terms and one of the entry's phrasings."""
        found = process.extractOne(query_text, self._phrasings[entry_id], scorer=fuzz.token_sort_ratio)
        return found[1] / 100.0 if found else 0.0

    def best(self, text: str, norm: str | None = None) -> Match | None:
        """The best-ranked match for `text`, or None when nothing ranks."""
        ranked = self.rank(text, limit=1, norm=norm)
        return ranked[0] if ranked else None


def vocabulary(matcher: Matcher) -> Iterable[str]:
    """Every stemmed term the matcher knows (its vocabulary, for typo correction and tests)."""
    return matcher.idf.keys()
