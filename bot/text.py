"""Text normalisation shared by matching, safety routing and validation: one definition of "the same words"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})

# Written contractions, expanded in one pass (each alternative's replacement by the group that matched).
_CONTRACTION_RX = re.compile(
    r"\b(can)'t\b|\b(won)'t\b|\b(shan)'t\b|(n)'t\b|(')m\b|(')re\b|(')ll\b|(')ve\b|(')d\b"
    r"|\b(he|she|it|that|what|who|where|there|here|how|when|why)'s\b|(')s\b"
)
_CONTRACTION_REPLACEMENTS = (
    "can not", "will not", "shall not", " not", " am", " are", " will", " have", " would", None, ""
)


def _expand(match: re.Match[str]) -> str:
    index = match.lastindex or 1
    replacement = _CONTRACTION_REPLACEMENTS[index - 1]
    return f"{match.group(index)} is" if replacement is None else replacement


_BARE_CONTRACTIONS = {
    "cant": "can not", "cannot": "can not", "dont": "do not", "doesnt": "does not", "didnt": "did not",
    "isnt": "is not", "arent": "are not", "wasnt": "was not", "werent": "were not", "wont": "will not",
    "wouldnt": "would not", "couldnt": "could not", "shouldnt": "should not", "havent": "have not",
    "hasnt": "has not", "hadnt": "had not", "aint": "is not", "im": "i am", "ive": "i have",
    "youre": "you are", "theyre": "they are", "whats": "what is", "wheres": "where is",
    "hows": "how is", "whos": "who is", "thats": "that is", "theres": "there is", "hes": "he is",
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "y": "why", "wat": "what",
}
_NON_WORD = re.compile(r"[^\w']+|_")
_SPACES = re.compile(r"\s+")

STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from about as into onto than then so such
    is are was were be been being am do does did doing have has had having will would shall should can could
    may might must it its this that these those there here what which who whom whose when where why how
    i me my mine myself you your yours he him his she her hers we us our they them their
    not no yes very just also too really please explain want like get got any some all more most
    one someone something thing things kind way ok okay hi hello hey thanks thank""".split()
) | frozenset(
    # Words too general to say what a question is about; left in, they match whichever phrasing shares them.
    """usually often always sometimes ever never still even already actually exactly basically literally
    really quite rather much many lot lots bit little kind sort type types different same other others another
    people person persons somebody anyone anybody everyone everybody someones someone's something anything
    happen happens happened happening go goes going gone went come comes came make makes made do done
    mean means meant say says said way ways thing stuff like long term first place time times back
    need needs let lets look looks looking see seen seem seems use used using give gives given take takes
    good bad best worst big small new old whole part parts able possible possibly probably maybe
    usual common commonly typical typically general generally specific specifically
    question questions answer answers info information explain explained understand understanding
    wonder wondering curious asking ask asked guess think thought feel felt""".split()
)

_stemmer = Stemmer.Stemmer("english")


def strip_invisible(text: str) -> str:
    """`text` without invisible format characters (Unicode category Cf: zero-width space and joiners, soft hyphen,
    word joiner, bidi marks, BOM), so "pass\u200bport" and "lo\u00adcked" read as the words they show."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def fold(text: str) -> str:
    """Unicode-normalise, lower-case and strip accents ("Épouse" → "epouse"); keeps every script. Invisible format
    characters (category Cf) are removed first."""
    if text.isascii():  # nothing to normalise or strip: the common case, and the cheap one
        return text.lower().translate(_APOSTROPHES)
    text = unicodedata.normalize("NFKC", strip_invisible(text)).casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    # Accents go on Latin, Greek and Cyrillic letters; scripts whose vowel signs and marks carry the word (Thai,
    # Devanagari, Arabic, …) keep them.
    out: list[str] = []
    keep_marks = False
    for ch in decomposed:
        if unicodedata.combining(ch):
            if keep_marks:
                out.append(ch)
        else:
            out.append(ch)
            keep_marks = ch >= "\u0590"
    return "".join(out)


def normalize(text: str) -> str:
    """Folded text with contractions expanded and punctuation removed: "He's taken my ID!" → "he is taken my id"."""
    text = fold(text)
    if "'" in text:
        text = _CONTRACTION_RX.sub(_expand, text)
    text = _NON_WORD.sub(" ", text).replace("'", " ")
    words = [_BARE_CONTRACTIONS.get(w, w) for w in text.split()]
    return _SPACES.sub(" ", " ".join(words)).strip()


@lru_cache(maxsize=32768)
def normalize_content(text: str) -> str:
    """normalize(), memoised: for knowledge content only (entry questions, synonyms, example lines), which every load
    of a knowledge folder (start-up, each publish, each `kb` command) normalises again, ~20,000 lines for the bundled
    knowledge (a load 0.58 -> 0.36 s). Never for a person's message: that text is not kept beyond its reply."""
    return normalize(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (English) stem of one lower-case word."""
    return _stemmer.stemWord(word)


def is_latin_word(word: str) -> bool:
    """True when `word` holds only a-z and digits (folded text; where English stemming applies)."""
    return all("a" <= ch <= "z" or ch.isdigit() for ch in word)


_ASCII_NUMBER = re.compile(r"[0-9]{1,9}")


def ascii_number(text: str) -> int | None:
    """`text` (spaces around allowed) as a whole number written with ASCII digits 0-9, at most 9 of them; None for
    anything else. str.isdigit() accepts superscripts such as '²' that int() then refuses: never use it to parse."""
    stripped = text.strip()
    return int(stripped) if _ASCII_NUMBER.fullmatch(stripped) else None
