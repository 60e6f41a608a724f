"""Synthetic knowledge of any size, generated from the real entries with a fixed seed.

The real entries are kept as they are; each synthetic entry copies a real one (cycling through them, so every topic
is multiplied evenly) under a new id, and perturbs it:
- each phrasing is, with probability RECOMBINE, the first half of itself joined to the second half of a phrasing of
  another entry; then each word is, with probability SWAP, replaced by a word from another entry's phrasings, and
  with probability OWN, by one of the entry's own invented words;
- every synthetic entry gets OWN_WORDS invented words (pronounceable, made from syllables), placed in its title and
  keywords and sprinkled in its phrasings and answer, so the vocabulary grows with the knowledge as real text does
  (about 3 new words an entry: some 30,000 at 10,000 entries) and typo correction has a realistic word list to search;
- its answer is the original's sentences, shuffled, plus one sentence of another entry and its invented words.
Synonyms are the real ones. Nothing here is validated as curated knowledge: it exists to be matched against."""

from __future__ import annotations

import random
import re
from dataclasses import replace

from bot.knowledge import Entry, Knowledge

SEED = 20261128
RECOMBINE = 0.3
SWAP = 0.2
OWN = 0.1
OWN_WORDS = 3

_CONSONANTS = "bcdfghjklmnprstvz"
_VOWELS = "aeiou"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _pseudo_word(rng: random.Random, taken: set[str]) -> str:
    while True:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))
        if rng.random() < 0.5:
            word += rng.choice(_CONSONANTS)
        if word not in taken:
            taken.add(word)
            return word


def synthetic_knowledge(base: Knowledge, size: int, seed: int = SEED) -> Knowledge:
    """`size` entries: the real ones first, then synthetic ones (fewer than the real ones: a prefix of them)."""
    real = list(base.entries.values())
    if size <= len(real):
        kept = {e.id: e for e in real[:size]}
        return Knowledge(entries=kept, synonyms=base.synonyms, examples=base.examples)
    rng = random.Random(seed)
    words_of = {e.id: [w for q in e.questions for w in q.split()] for e in real}
    taken: set[str] = {w.lower() for ws in words_of.values() for w in ws}
    entries: dict[str, Entry] = {e.id: e for e in real}
    for i in range(size - len(real)):
        source = real[i % len(real)]
        donor = real[rng.randrange(len(real))]
        if donor.id == source.id:
            donor = real[(real.index(source) + 1) % len(real)]
        own = [_pseudo_word(rng, taken) for _ in range(OWN_WORDS)]
        pool = words_of[donor.id]
        questions: list[str] = []
        seen: set[str] = set()
        for question in source.questions:
            words = question.split()
            if rng.random() < RECOMBINE:
                other = rng.choice(donor.questions).split()
                words = words[: max(1, len(words) // 2)] + other[len(other) // 2 :]
            out = []
            for word in words:
                roll = rng.random()
                if roll < SWAP:
                    word = rng.choice(pool)
                elif roll < SWAP + OWN:
                    word = rng.choice(own)
                out.append(word)
            text = " ".join(out)
            if text not in seen:
                seen.add(text)
                questions.append(text)
        sentences = _SENTENCE.split(source.answer)
        rng.shuffle(sentences)
        answer = " ".join(sentences + _SENTENCE.split(donor.answer)[:1] + own)
        keywords = list(source.keywords)
        rng.shuffle(keywords)
        entry = replace(
            source,
            id=f"{source.id}-syn{i + 1:05d}",
            title=f"{source.title} ({own[0]})",
            questions=tuple(questions),
            answer=answer,
            keywords=tuple(keywords[: max(1, len(keywords) - 2)] + own),
            related=(),
        )
        entries[entry.id] = entry
    return Knowledge(entries=entries, synonyms=base.synonyms, examples=base.examples)
