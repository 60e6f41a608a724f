"""Curated knowledge entries: schema, validation with file and line, and the frozen Knowledge snapshot."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import KnowledgeError, Problem
from bot.examples import ExampleKey, Examples, check_examples, group_examples, intent_of, load_example_lines
from bot.markup import has_unbalanced_markup
from bot.text import normalize_content, strip_invisible
from bot.yamlio import LineDict, LineList, load_yaml

ENTRIES_DIR = "entries"
SYNONYMS_FILE = "synonyms.yaml"
REFERRALS_FILE = "referrals.yaml"

MAX_ANSWER_CHARS = 1200
MAX_TITLE_CHARS = 80
# Ids travel in Telegram callback data (at most 64 bytes, after a prefix such as "v:u:" or "m:show:", at most 16
# bytes) and in deep links (t.me/<bot>?start=<id>: at most 64 characters of A-Z, a-z, 0-9, _ and -; Bot API
# "Deep linking"). An id longer than this would be cut, and the button or link would lead nowhere.
MAX_ID_LENGTH = 48
MAX_QUESTION_CHARS = 300
MIN_QUESTIONS = 6
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Answers must not carry phone numbers: numbers live in the sourced referral directory only.
PHONE_LIKE = re.compile(r"(?<![\w.])(?:\+?\d[\d\s().-]{5,}\d)(?![\w.])")
# Between digits, these hide a number from PHONE_LIKE without hiding it from a reader: zero-width and other format
# characters (Unicode Cf: ZWSP, ZWJ, word joiner, soft hyphen…), bold markers, underscores and slashes.
_HIDDEN_IN_NUMBERS = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff*]")
_NUMBER_SEPARATORS = re.compile(r"[_/\\|·•]")


@functools.lru_cache(maxsize=4096)
def phone_like(text: str) -> bool:
    """True when `text` holds something a reader would take for a phone number, however it is written: checked
    after NFKC (fullwidth digits), with invisible characters and bold markers removed and _ / \\ | · read as spaces.
    Memoised: every load of a knowledge folder checks the same answers again (content, never a person's message)."""
    folded = strip_invisible(unicodedata.normalize("NFKC", text))
    folded = _NUMBER_SEPARATORS.sub(" ", _HIDDEN_IN_NUMBERS.sub("", folded))
    return PHONE_LIKE.search(folded) is not None


# Markup that would break Telegram HTML or show as raw symbols.
FORBIDDEN_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>|\[[^\]]*\]\([^)]*\)|^#{1,6}\s", re.MULTILINE)

CATEGORY_TITLES: dict[str, str] = {
    "basics": "The basics",
    "how-it-works": "How traffickers operate",
    "effects": "Effects on survivors",
    "law": "Law and rights",
    "around-the-world": "Around the world",
    "prevention": "Prevention and awareness",
    "getting-help": "Getting help",
    "about": "About this bot",
}

# Translations of entries (knowledge/entries/<lang>/<file>.yaml): the English entry's id, title, questions and answer in
# another language, each with its own review date and the English entry's `reviewed` it follows.
TRANSLATION_FIELDS = ("id", "title", "questions", "answer", "reviewed", "source_reviewed")
MIN_TRANSLATED_QUESTIONS = 8
# Translations run longer than English (French and Portuguese by about a fifth); Telegram's limit is far above.
MAX_TRANSLATED_ANSWER_CHARS = 1500
NOT_REVIEWED = "not reviewed"
LANG_DIR_PATTERN = re.compile(r"^[a-z]{2,3}$")
# A thousands separator between digit groups ("1,000", "1 000", "1.000") is dropped before figures are compared.
_THOUSANDS = re.compile(r"(?<=\d)[,.\s\u00a0\u202f](?=\d{3}(?!\d))")
_DIGITS = re.compile(r"\d+")

ENTRY_FIELDS = ("id", "title", "category", "questions", "keywords", "answer", "related", "sources", "reviewed")
REQUIRED_FIELDS = ("id", "title", "category", "questions", "answer", "sources", "reviewed")


@dataclass(frozen=True, slots=True)
class Entry:
    """One curated knowledge entry: id, title, category, the questions people ask, the answer (light markup),
    keywords, related entry ids, sources and the date it was last reviewed (YYYY-MM-DD)."""
    id: str
    title: str
    category: str
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    reviewed: str = ""

    def to_data(self) -> dict[str, Any]:
        """The YAML/JSON shape of this entry (for export, revisions and previews)."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "questions": list(self.questions),
        }
        if self.keywords:
            data["keywords"] = list(self.keywords)
        data["answer"] = self.answer.rstrip("\n") + "\n"
        data["related"] = list(self.related)
        data["sources"] = list(self.sources)
        data["reviewed"] = self.reviewed
        return data


@dataclass(frozen=True, slots=True)
class Translation:
    """One entry in another language. `reviewed` is a date or "not reviewed"; `source_reviewed` is the English
    entry's `reviewed` date this translation follows (older than the English one = stale)."""

    id: str
    lang: str
    title: str
    questions: tuple[str, ...]
    answer: str
    reviewed: str = NOT_REVIEWED
    source_reviewed: str = ""

    def to_data(self) -> dict[str, Any]:
        """The YAML/JSON shape (export, revisions, previews)."""
        return {
            "id": self.id,
            "title": self.title,
            "questions": list(self.questions),
            "answer": self.answer.rstrip("\n") + "\n",
            "reviewed": self.reviewed,
            "source_reviewed": self.source_reviewed,
        }


@dataclass(frozen=True, slots=True)
class Knowledge:
    """One immutable version of the curated knowledge: English entries and their translations."""

    entries: Mapping[str, Entry]
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Which file each entry came from, so an export writes it back to the same place.
    files: Mapping[str, str] = field(default_factory=dict)
    # Labelled training examples: (lang, label) -> texts (see bot/examples.py).
    examples: Examples = field(default_factory=dict)
    # lang -> entry id -> translation.
    translations: Mapping[str, Mapping[str, Translation]] = field(default_factory=dict)

    def get(self, entry_id: str) -> Entry | None:
        """The entry with id `entry_id`, or None."""
        return self.entries.get(entry_id)

    def translation(self, entry_id: str, lang: str | None) -> Translation | None:
        """The entry in `lang`, or None (English, or not translated yet)."""
        if not lang:
            return None
        return self.translations.get(lang, {}).get(entry_id)

    def content_languages(self) -> tuple[str, ...]:
        """Languages other than English with at least one translated entry, sorted."""
        return tuple(sorted(lang for lang, entries in self.translations.items() if entries))

    def stale_translations(self) -> list[Translation]:
        """Translations that follow an older English text than the live one (their source_reviewed date is before
        the English entry's reviewed date), by language then id."""
        stale = []
        for lang in self.content_languages():
            for entry_id, t in sorted(self.translations[lang].items()):
                entry = self.entries.get(entry_id)
                if entry is not None and t.source_reviewed < entry.reviewed:
                    stale.append(t)
        return stale

    def with_translations(self, overrides: Mapping[tuple[str, str], Translation]) -> Knowledge:
        """A new version with some translations replaced or added, keyed (lang, entry id)."""
        merged = {lang: dict(entries) for lang, entries in self.translations.items()}
        for (lang, entry_id), translation in overrides.items():
            merged.setdefault(lang, {})[entry_id] = translation
        return Knowledge(entries=self.entries, synonyms=self.synonyms, files=self.files, examples=self.examples,
                         translations=merged)

    def by_category(self) -> dict[str, list[Entry]]:
        """Category id -> its entries sorted by title; categories without entries are left out."""
        grouped: dict[str, list[Entry]] = {c: [] for c in CATEGORY_TITLES}
        for entry in self.entries.values():
            grouped.setdefault(entry.category, []).append(entry)
        return {c: sorted(es, key=lambda e: e.title) for c, es in grouped.items() if es}

    def with_entries(self, overrides: Mapping[str, Entry]) -> Knowledge:
        """A new version with some entries replaced or added (moderators' published revisions)."""
        merged = dict(self.entries)
        merged.update(overrides)
        files = dict(self.files)
        for entry_id, entry in overrides.items():
            files.setdefault(entry_id, f"{ENTRIES_DIR}/{entry.category}.yaml")
        return Knowledge(entries=merged, synonyms=self.synonyms, files=files, examples=self.examples,
                         translations=self.translations)

    def with_examples(self, overrides: Mapping[ExampleKey, tuple[str, ...]]) -> Knowledge:
        """A new version whose examples of some (lang, label) are replaced (an empty tuple removes them)."""
        merged = dict(self.examples)
        merged.update(overrides)
        return Knowledge(entries=self.entries, synonyms=self.synonyms, files=self.files,
                         examples={k: v for k, v in merged.items() if v}, translations=self.translations)

    def training_phrasings(self) -> list[tuple[str, str]]:
        """(text, intent label) pairs the intent classifier learns from, in a stable order: every entry's title and
        questions (label: the entry id), then each language's translated titles and questions (label: the English
        entry's id), then the examples that name an intent (entries, "@referral", "@smalltalk:<sub-intent>",
        "@off_topic")."""
        pairs: list[tuple[str, str]] = []
        for entry in self.entries.values():
            pairs.append((entry.title, entry.id))
            pairs.extend((q, entry.id) for q in entry.questions)
        for lang in self.content_languages():
            for entry_id, t in self.translations[lang].items():
                if entry_id in self.entries:
                    pairs.append((t.title, entry_id))
                    pairs.extend((q, entry_id) for q in t.questions)
        for (_lang, label), texts in sorted(self.examples.items()):
            intent = intent_of(label)
            if intent is not None and (intent.startswith("@") or intent in self.entries):
                pairs.extend((t, intent) for t in texts)
        return pairs

    def language_examples(self) -> list[tuple[str, str]]:
        """(text, ISO 639-1 code) pairs the language model learns from, each text once (its first language wins):
        English titles and questions, each translation's titles and questions, and every example line under its
        file's `lang` (including languages without content, so that they are told apart from the spoken ones)."""
        pairs: list[tuple[str, str]] = []
        for entry in self.entries.values():
            pairs.append((entry.title, "en"))
            pairs.extend((q, "en") for q in entry.questions)  # entries are written in English
        for lang in self.content_languages():
            for t in self.translations[lang].values():
                pairs.append((t.title, lang))
                pairs.extend((q, lang) for q in t.questions)
        for (lang, _label), texts in sorted(self.examples.items()):
            pairs.extend((t, lang) for t in texts)
        first: dict[str, str] = {}
        for text, lang in pairs:
            first.setdefault(text, lang)
        return list(first.items())

    def safety_examples(self) -> list[tuple[str, bool]]:
        """(text, urgent) pairs the safety classifier learns from: urgent examples are True; every other example
        and every entry phrasing is False (they are questions, not emergencies). Hard negatives — near misses and
        general questions, in urgent words but not emergencies — are repeated HARD_NEGATIVE_WEIGHT times in all
        (bot.training turns repeats into sample weights), so the model learns the border from them."""
        pairs = [(text, False) for text, _ in self.training_phrasings()]
        for (_lang, label), texts in sorted(self.examples.items()):
            if label == "urgent":
                pairs.extend((t, True) for t in texts)
            elif label == "general":
                pairs.extend((t, False) for t in texts * HARD_NEGATIVE_WEIGHT)
            elif label.startswith("near_miss:"):
                pairs.extend((t, False) for t in texts * (HARD_NEGATIVE_WEIGHT - 1))
        return pairs


# How many times a hard negative (near miss, general question) counts in the safety model's training, against once
# for any other example. Measured by leave-one-set-out on the English example sets (bench/loso.py).
HARD_NEGATIVE_WEIGHT = 3


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _question_problems(questions: Any, minimum: int, key: Callable[[str], str], label: str, file: str,
                       line: int | None) -> list[Problem]:
    """An entry's or a translation's `questions`: a list of at least `minimum` text lines, none empty, too long or
    repeated (two lines with the same `key` are repeats). Each problem at its own line where the YAML tells it,
    else at `line` (the field's)."""
    if questions is None:
        return []
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        return [Problem(file, line, f"{label}: questions must be a list of text lines")]
    problems: list[Problem] = []
    if len(questions) < minimum:
        problems.append(Problem(file, line, f"{label}: has {len(questions)} questions; at least {minimum} needed"))
    seen: set[str] = set()
    for i, question in enumerate(questions):
        q_line = questions.item_lines[i] if isinstance(questions, LineList) else line
        norm = key(question)
        if not norm:
            problems.append(Problem(file, q_line, f"{label}: question {i + 1} is empty"))
        elif len(question) > MAX_QUESTION_CHARS:
            problems.append(Problem(file, q_line, f"{label}: question {i + 1} is too long"))
        elif norm in seen:
            problems.append(Problem(file, q_line, f"{label}: question repeated: {question!r}"))
        seen.add(norm)
    return problems


def _answer_messages(answer: str, limit: int, label: str) -> list[str]:
    """What is wrong with an answer people will read (an entry's or a translation's): longer than `limit`
    characters, unpaired bold, HTML/links/headings, or a phone number however written (phone_like)."""
    if not answer:
        return []
    messages = []
    if len(answer.strip()) > limit:
        messages.append(f"{label}: answer is {len(answer.strip())} characters; at most {limit}")
    if has_unbalanced_markup(answer):
        messages.append(f"{label}: answer has an unpaired ** (bold markers must come in pairs)")
    if FORBIDDEN_MARKUP.search(answer):
        messages.append(f"{label}: answer uses HTML tags, links or headings; use plain text and **bold** only")
    if phone_like(answer):
        messages.append(f"{label}: answer contains a phone number; numbers belong in referrals.yaml only")
    return messages


def check_entry_data(data: Any, file: str, line: int | None = None) -> list[Problem]:
    """Schema and content rules for one entry on its own (the same rules moderators' edits go through)."""
    if not isinstance(data, dict):
        return [Problem(file, line, "an entry must be a mapping of fields (id, title, …)")]
    where = data.line_of if isinstance(data, LineDict) else (lambda _key: line)
    problems: list[Problem] = []

    def add(key: str, message: str) -> None:
        problems.append(Problem(file, where(key), message))

    entry_id = _as_str(data.get("id"))
    label = f"entry {entry_id!r}" if entry_id else "entry"
    for key in REQUIRED_FIELDS:
        if key not in data or data[key] in (None, "", []):
            add(key, f"{label}: missing required field '{key}'")
    for key in data:
        if key not in ENTRY_FIELDS:
            add(key, f"{label}: unknown field '{key}' (allowed: {', '.join(ENTRY_FIELDS)})")
    if entry_id and not ID_PATTERN.match(entry_id):
        add("id", f"{label}: id must be lowercase letters, digits and single hyphens")
    if len(entry_id.encode()) > MAX_ID_LENGTH:
        add("id", f"{label}: id is {len(entry_id.encode())} characters; at most {MAX_ID_LENGTH}, so Telegram "
                  "buttons and links can carry it")
    title = _as_str(data.get("title"))
    if len(title) > MAX_TITLE_CHARS:
        add("title", f"{label}: title is {len(title)} characters; at most {MAX_TITLE_CHARS}")
    category = _as_str(data.get("category"))
    if category and category not in CATEGORY_TITLES:
        add("category", f"{label}: unknown category '{category}' (one of: {', '.join(CATEGORY_TITLES)})")

    problems.extend(_question_problems(data.get("questions"), MIN_QUESTIONS, normalize_content, label, file,
                                       where("questions")))
    for key in ("keywords", "related", "sources"):
        value = data.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            add(key, f"{label}: {key} must be a list of text items")

    answer = _as_str(data.get("answer"))
    for message in _answer_messages(answer, MAX_ANSWER_CHARS, label):
        add("answer", message)
    reviewed = _as_str(data.get("reviewed"))
    if reviewed:
        try:
            day = dt.date.fromisoformat(reviewed)
        except ValueError:
            add("reviewed", f"{label}: reviewed must be a date like 2026-11-28")
        else:
            if day > dt.date.today() + dt.timedelta(days=1):
                add("reviewed", f"{label}: reviewed date {reviewed} is in the future")
    return problems


def entry_from_data(data: Mapping[str, Any]) -> Entry:
    """Build an Entry from data that passed check_entry_data."""
    return Entry(
        id=_as_str(data["id"]),
        title=_as_str(data["title"]).strip(),
        category=_as_str(data["category"]),
        questions=tuple(q.strip() for q in data["questions"]),
        answer=_as_str(data["answer"]).strip(),
        keywords=tuple(k.strip() for k in data.get("keywords") or ()),
        related=tuple(data.get("related") or ()),
        sources=tuple(data.get("sources") or ()),
        reviewed=_as_str(data["reviewed"]),
    )


def check_knowledge(
    entries: Iterable[tuple[Entry, str, int | None]], known_ids: Collection[str] = ()
) -> list[Problem]:
    """Rules across entries (each given as (entry, file, line)): unique ids, phrasings not shared, related ids exist.

    `known_ids`: ids of entries that exist but were not loaded because they have problems of their own (already
    reported); a related link to one of them is not reported again, so one mistake gives one error.
    """
    problems: list[Problem] = []
    by_id: dict[str, tuple[Entry, str, int | None]] = {}
    phrasing_owner: dict[str, str] = {}
    items = list(entries)
    for entry, file, line in items:
        if entry.id in by_id:
            first_file, first_line = by_id[entry.id][1], by_id[entry.id][2]
            problems.append(Problem(file, line, f"duplicate id '{entry.id}' (first at {first_file}:{first_line})"))
            continue
        by_id[entry.id] = (entry, file, line)
    for entry, file, line in items:
        for question in entry.questions:
            norm = normalize_content(question)
            owner = phrasing_owner.setdefault(norm, entry.id)
            if owner != entry.id:
                problems.append(
                    Problem(file, line, f"entry '{entry.id}': question {question!r} is also a question of '{owner}'")
                )
    for entry, file, line in items:
        for related in entry.related:
            if related not in by_id and related not in known_ids:
                problems.append(Problem(file, line, f"entry '{entry.id}': related id '{related}' does not exist"))
            elif related == entry.id:
                problems.append(Problem(file, line, f"entry '{entry.id}': an entry cannot be related to itself"))
    return problems


def load_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    """synonyms.yaml: `canonical: [variant, …]`; variants are folded onto the canonical word when matching."""
    if not path.is_file():
        return {}
    data = load_yaml(path)
    problems: list[Problem] = []
    synonyms: dict[str, tuple[str, ...]] = {}
    if not isinstance(data, LineDict):
        raise KnowledgeError([Problem(str(path), 1, "synonyms must be a mapping: word: [variant, …]")])
    for key, variants in data.items():
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            problems.append(Problem(str(path), data.line_of(key), f"'{key}': variants must be a list of text items"))
            continue
        synonyms[normalize_content(key)] = tuple(normalize_content(v) for v in variants if normalize_content(v))
    if problems:
        raise KnowledgeError(problems)
    return synonyms


_ID_LINE = re.compile(r"^\s*(?:-\s+)?id:\s*[\"']?([a-z0-9][a-z0-9-]*)", re.MULTILINE)


def _ids_in_text(path: Path) -> set[str]:
    """Entry ids written in a file YAML cannot parse, read line by line (`id: …`), so links to them are not
    reported as missing on top of the file's one syntax error."""
    try:
        return set(_ID_LINE.findall(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return set()


def load_knowledge(directory: Path, *, with_translations: bool = True) -> Knowledge:
    """Load and validate every entry file; any problem anywhere raises KnowledgeError (never half loaded)."""
    entries_dir = directory / ENTRIES_DIR
    files = sorted(entries_dir.glob("*.yaml")) if entries_dir.is_dir() else []
    if not files:
        raise KnowledgeError([Problem(str(entries_dir), None, "no entry files (*.yaml) found")])
    problems: list[Problem] = []
    loaded: list[tuple[Entry, str, int | None]] = []
    broken_ids: set[str] = set()  # entries reported already; links to them are not follow-on errors
    for path in files:
        file = str(path)
        try:
            data = load_yaml(path)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            broken_ids |= _ids_in_text(path)
            continue
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(Problem(file, getattr(data, "line", 1), "an entry file must be a list of entries"))
            continue
        for i, item in enumerate(data):
            line = data.item_lines[i] if isinstance(data, LineList) else None
            item_problems = check_entry_data(item, file, line)
            problems.extend(item_problems)
            if not item_problems:
                loaded.append((entry_from_data(item), file, line))
            elif isinstance(item, dict) and isinstance(item.get("id"), str):
                broken_ids.add(item["id"])
    problems.extend(check_knowledge(loaded, broken_ids))
    english = {e.id: e for e, _, _ in loaded}
    translations: dict[str, dict[str, Translation]] = {}
    if entries_dir.is_dir() and with_translations:
        for lang_dir in sorted(p for p in entries_dir.iterdir() if p.is_dir()):
            if not LANG_DIR_PATTERN.match(lang_dir.name) or lang_dir.name == "en":
                problems.append(Problem(str(lang_dir), None, "a translation folder is named by its language code "
                                        "in lowercase (es, fr, uk, …), and English entries live in entries/"))
                continue
            found, lang_problems = load_translations(lang_dir, english)
            problems.extend(lang_problems)
            translations[lang_dir.name] = found
    synonyms: dict[str, tuple[str, ...]] = {}
    try:
        synonyms = load_synonyms(directory / SYNONYMS_FILE)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    example_lines = load_example_lines(directory, problems)
    questions = {normalize_content(q): e.id for e, _, _ in loaded for q in e.questions}
    problems.extend(check_examples(example_lines, (e.id for e, _, _ in loaded), questions))
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        entries={e.id: e for e, _, _ in loaded},
        synonyms=synonyms,
        files={e.id: str(Path(f).relative_to(directory)) for e, f, _ in loaded},
        examples=group_examples(example_lines),
        translations=translations,
    )


def figures(text: str) -> list[str]:
    """The digit sequences of a text, sorted, with thousands separators dropped ("1,000" == "1 000" == "1000";
    "27.6" and "27,6" are both 27 and 6) and whole thousands reduced ("99 billion" written as "99,000 million" in
    Thai, or 99 000 millions, is 99 either way). Two answers stating the same facts have the same figures."""
    out = []
    for number in _DIGITS.findall(_THOUSANDS.sub("", text)):
        while len(number) > 3 and number.endswith("000"):
            number = number[:-3]
        out.append(number)
    return sorted(out)


def check_translation_data(
    data: Any, file: str, line: int | None, english: Mapping[str, Entry], lang: str
) -> list[Problem]:
    """Rules for one translated entry: fields, the English id exists, enough phrasings, no phone numbers, markup,
    length, review dates, and the same figures as the English answer (a dropped or added fact usually shows as
    a missing or extra number)."""
    if not isinstance(data, dict):
        return [Problem(file, line, "a translated entry must be a mapping of fields (id, title, …)")]
    where = data.line_of if isinstance(data, LineDict) else (lambda _key: line)
    problems: list[Problem] = []

    def add(key: str, message: str) -> None:
        problems.append(Problem(file, where(key), message))

    entry_id = _as_str(data.get("id"))
    label = f"{lang} translation of {entry_id!r}" if entry_id else f"{lang} translation"
    for key in TRANSLATION_FIELDS:
        if key not in data or data[key] in (None, "", []):
            add(key, f"{label}: missing required field '{key}'")
    for key in data:
        if key not in TRANSLATION_FIELDS:
            add(key, f"{label}: unknown field '{key}' (allowed: {', '.join(TRANSLATION_FIELDS)}; "
                     "category, related and sources come from the English entry)")
    source = english.get(entry_id) if entry_id else None
    if entry_id and source is None:
        add("id", f"{label}: no English entry has the id '{entry_id}'")
    title = _as_str(data.get("title"))
    if len(title) > MAX_TITLE_CHARS:
        add("title", f"{label}: title is {len(title)} characters; at most {MAX_TITLE_CHARS}")
    # Repeats compared case- and space-insensitively only: accents tell words apart in other languages.
    problems.extend(_question_problems(data.get("questions"), MIN_TRANSLATED_QUESTIONS,
                                       lambda q: " ".join(q.casefold().split()), label, file, where("questions")))
    answer = _as_str(data.get("answer"))
    for message in _answer_messages(answer, MAX_TRANSLATED_ANSWER_CHARS, label):
        add("answer", message)
    if answer:
        # A translation that follows an older English text (stale: /kb_stale lists it) is not held to the new
        # English figures: an English correction must not wait for every language.
        stale = source is not None and _as_str(data.get("source_reviewed")) < source.reviewed
        if source is not None and not stale and figures(answer) != figures(source.answer):
            ours, theirs = figures(answer), figures(source.answer)
            missing = sorted(set(theirs) - set(ours)) or sorted(n for n in set(theirs) if theirs.count(n) > ours.count(n))
            extra = sorted(set(ours) - set(theirs)) or sorted(n for n in set(ours) if ours.count(n) > theirs.count(n))
            add("answer", f"{label}: the figures differ from the English answer (missing: {', '.join(missing) or '-'}; "
                          f"added: {', '.join(extra) or '-'}); a translation carries exactly the English facts")
    reviewed = _as_str(data.get("reviewed"))
    if reviewed and reviewed != NOT_REVIEWED:
        problems.extend(_check_date(reviewed, f"{label}: reviewed", lambda: where("reviewed"), file,
                                    f" or '{NOT_REVIEWED}'"))
    source_reviewed = _as_str(data.get("source_reviewed"))
    if source_reviewed:
        problems.extend(_check_date(source_reviewed, f"{label}: source_reviewed", lambda: where("source_reviewed"),
                                    file, ""))
        if source is not None and source_reviewed > source.reviewed:
            add("source_reviewed", f"{label}: source_reviewed {source_reviewed} is after the English entry's "
                                   f"reviewed date {source.reviewed}")
    return problems


def _check_date(value: str, label: str, line: Any, file: str, alternative: str) -> list[Problem]:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return [Problem(file, line(), f"{label} must be a date like 2026-11-28{alternative}")]
    if day > dt.date.today() + dt.timedelta(days=1):
        return [Problem(file, line(), f"{label} date {value} is in the future")]
    return []


def translation_from_data(data: Mapping[str, Any], lang: str) -> Translation:
    """Build a Translation from data that passed check_translation_data."""
    return Translation(
        id=_as_str(data["id"]),
        lang=lang,
        title=_as_str(data["title"]).strip(),
        questions=tuple(q.strip() for q in data["questions"]),
        answer=_as_str(data["answer"]).strip(),
        reviewed=_as_str(data["reviewed"]),
        source_reviewed=_as_str(data["source_reviewed"]),
    )


def translation_question_problems(
    lang: str, entry_id: str, questions: Iterable[str], others: Mapping[str, Translation], file: str,
    line: int | None,
) -> list[Problem]:
    """A translation's phrasings that are also phrasings of another translation in the same language (`others`:
    entry id → translation), compared case- and space-insensitively; one problem each."""
    owners = {" ".join(q.casefold().split()): other_id for other_id, other in others.items() if other_id != entry_id
              for q in other.questions}
    problems = []
    for question in questions:
        owner = owners.get(" ".join(str(question).casefold().split()))
        if owner is not None:
            problems.append(Problem(file, line, f"{lang} translation of '{entry_id}': question {question!r} is also "
                                                f"a question of '{owner}'"))
    return problems


def load_translations(lang_dir: Path, english: Mapping[str, Entry]) -> tuple[dict[str, Translation], list[Problem]]:
    """One language's translation files: the translations that passed, and every problem (file and line)."""
    lang = lang_dir.name
    problems: list[Problem] = []
    found: dict[str, Translation] = {}
    where_first: dict[str, str] = {}
    for path in sorted(lang_dir.glob("*.yaml")):
        file = str(path)
        try:
            data = load_yaml(path)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(Problem(file, getattr(data, "line", 1), "a translation file must be a list of entries"))
            continue
        for i, item in enumerate(data):
            line = data.item_lines[i] if isinstance(data, LineList) else None
            item_problems = check_translation_data(item, file, line, english, lang)
            problems.extend(item_problems)
            if item_problems:
                continue
            translation = translation_from_data(item, lang)
            if translation.id in found:
                problems.append(Problem(file, line, f"{lang}: duplicate translation of '{translation.id}' "
                                                    f"(first at {where_first[translation.id]})"))
                continue
            problems.extend(translation_question_problems(lang, translation.id, translation.questions, found, file,
                                                          line))
            found[translation.id] = translation
            where_first[translation.id] = f"{file}:{line}"
    return found, problems
