"""Curated knowledge entries: schema, validation with file and line, and the frozen Knowledge snapshot."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import KnowledgeError, Problem
from bot.examples import ExampleKey, Examples, check_examples, group_examples, intent_of, load_example_lines
from bot.markup import has_unbalanced_markup
from bot.text import normalize
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


def phone_like(text: str) -> bool:
    """True when `text` holds something a reader would take for a phone number, however it is written: checked
    after NFKC (fullwidth digits), with invisible characters and bold markers removed and _ / \\ | · read as spaces."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(c for c in folded if unicodedata.category(c) != "Cf")
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

ENTRY_FIELDS = ("id", "title", "category", "questions", "keywords", "answer", "related", "sources", "reviewed")
REQUIRED_FIELDS = ("id", "title", "category", "questions", "answer", "sources", "reviewed")


@dataclass(frozen=True, slots=True)
class Entry:
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
class Knowledge:
    """One immutable version of the curated knowledge."""

    entries: Mapping[str, Entry]
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Which file each entry came from, so an export writes it back to the same place.
    files: Mapping[str, str] = field(default_factory=dict)
    # Labelled training examples: (lang, label) -> texts (see bot/examples.py).
    examples: Examples = field(default_factory=dict)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def by_category(self) -> dict[str, list[Entry]]:
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
        return Knowledge(entries=merged, synonyms=self.synonyms, files=files, examples=self.examples)

    def with_examples(self, overrides: Mapping[ExampleKey, tuple[str, ...]]) -> Knowledge:
        """A new version whose examples of some (lang, label) are replaced (an empty tuple removes them)."""
        merged = dict(self.examples)
        merged.update(overrides)
        return Knowledge(entries=self.entries, synonyms=self.synonyms, files=self.files,
                         examples={k: v for k, v in merged.items() if v})

    def training_phrasings(self) -> list[tuple[str, str]]:
        """(text, intent label) pairs the intent classifier learns from, in a stable order: every entry's title and
        questions (label: the entry id), then the examples that name an intent (entries, "@referral",
        "@smalltalk:<sub-intent>", "@off_topic"). Extend here when entries gain phrasings in other languages."""
        pairs: list[tuple[str, str]] = []
        for entry in self.entries.values():
            pairs.append((entry.title, entry.id))
            pairs.extend((q, entry.id) for q in entry.questions)
        for (_lang, label), texts in sorted(self.examples.items()):
            intent = intent_of(label)
            if intent is not None and (intent.startswith("@") or intent in self.entries):
                pairs.extend((t, intent) for t in texts)
        return pairs

    def safety_examples(self) -> list[tuple[str, bool]]:
        """(text, urgent) pairs the safety classifier learns from: urgent examples are True; every other example
        and every entry phrasing is False (they are questions, not emergencies)."""
        pairs = [(text, False) for text, _ in self.training_phrasings()]
        for (_lang, label), texts in sorted(self.examples.items()):
            if label == "urgent":
                pairs.extend((t, True) for t in texts)
            elif label == "general":
                pairs.extend((t, False) for t in texts)
        return pairs


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


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

    questions = data.get("questions")
    if questions is not None:
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            add("questions", f"{label}: questions must be a list of text lines")
        else:
            if len(questions) < MIN_QUESTIONS:
                add("questions", f"{label}: has {len(questions)} questions; at least {MIN_QUESTIONS} needed")
            seen: set[str] = set()
            for i, question in enumerate(questions):
                q_line = questions.item_lines[i] if isinstance(questions, LineList) else where("questions")
                norm = normalize(question)
                if not norm:
                    problems.append(Problem(file, q_line, f"{label}: question {i + 1} is empty"))
                elif len(question) > MAX_QUESTION_CHARS:
                    problems.append(Problem(file, q_line, f"{label}: question {i + 1} is too long"))
                elif norm in seen:
                    problems.append(Problem(file, q_line, f"{label}: question repeated: {question!r}"))
                seen.add(norm)
    for key in ("keywords", "related", "sources"):
        value = data.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            add(key, f"{label}: {key} must be a list of text items")

    answer = _as_str(data.get("answer"))
    if answer:
        if len(answer.strip()) > MAX_ANSWER_CHARS:
            add("answer", f"{label}: answer is {len(answer.strip())} characters; at most {MAX_ANSWER_CHARS}")
        if has_unbalanced_markup(answer):
            add("answer", f"{label}: answer has an unpaired ** (bold markers must come in pairs)")
        if FORBIDDEN_MARKUP.search(answer):
            add("answer", f"{label}: answer uses HTML tags, links or headings; use plain text and **bold** only")
        if phone_like(answer):
            add("answer", f"{label}: answer contains a phone number; numbers belong in referrals.yaml only")
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


def check_knowledge(entries: Iterable[tuple[Entry, str, int | None]]) -> list[Problem]:
    """Rules across entries: unique ids, phrasings not shared, related ids exist."""
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
            norm = normalize(question)
            owner = phrasing_owner.setdefault(norm, entry.id)
            if owner != entry.id:
                problems.append(
                    Problem(file, line, f"entry '{entry.id}': question {question!r} is also a question of '{owner}'")
                )
    for entry, file, line in items:
        for related in entry.related:
            if related not in by_id:
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
    if not isinstance(data, dict):
        raise KnowledgeError([Problem(str(path), 1, "synonyms must be a mapping: word: [variant, …]")])
    for key, variants in data.items():
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            problems.append(Problem(str(path), data.line_of(key), f"'{key}': variants must be a list of text items"))
            continue
        synonyms[normalize(key)] = tuple(normalize(v) for v in variants if normalize(v))
    if problems:
        raise KnowledgeError(problems)
    return synonyms


def load_knowledge(directory: Path) -> Knowledge:
    """Load and validate every entry file; any problem anywhere raises KnowledgeError (never half loaded)."""
    entries_dir = directory / ENTRIES_DIR
    files = sorted(entries_dir.glob("*.yaml")) if entries_dir.is_dir() else []
    if not files:
        raise KnowledgeError([Problem(str(entries_dir), None, "no entry files (*.yaml) found")])
    problems: list[Problem] = []
    loaded: list[tuple[Entry, str, int | None]] = []
    for path in files:
        file = str(path)
        try:
            data = load_yaml(path)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
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
    problems.extend(check_knowledge(loaded))
    synonyms: dict[str, tuple[str, ...]] = {}
    try:
        synonyms = load_synonyms(directory / SYNONYMS_FILE)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    example_lines = load_example_lines(directory, problems)
    questions = {normalize(q): e.id for e, _, _ in loaded for q in e.questions}
    problems.extend(check_examples(example_lines, (e.id for e, _, _ in loaded), questions))
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        entries={e.id: e for e, _, _ in loaded},
        synonyms=synonyms,
        files={e.id: str(Path(f).relative_to(directory)) for e, f, _ in loaded},
        examples=group_examples(example_lines),
    )
