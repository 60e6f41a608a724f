"""Content of one knowledge item (an entry or a referral region) as YAML-shaped data, and the rules a draft of it
must pass. Platform-neutral: plain values in, plain values (problem texts without file names) out."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from bot.errors import KnowledgeError, Problem
from bot.knowledge import (
    REQUIRED_FIELDS,
    Entry,
    Knowledge,
    check_entry_data,
    check_knowledge,
    check_translation_data,
    translation_question_problems,
)
from bot.referrals import ReferralDirectory, parse_referrals, validate_region_data
from bot.text import normalize

# The YAML/JSON shape of one entry (Entry.to_data()) or one region (an item of referrals.yaml's `regions`).
Content = dict[str, Any]
# What a revision is about: an entry (key: its id), a referral region (key: its code), or the labelled training
# examples of one language and label (key: "<lang>.<label>", e.g. "en.urgent", "en.answer:how-to-report"), or an
# entry's translation into one language (key: "<lang>:<entry id>", e.g. "es:how-to-report").
Kind = Literal["entry", "region", "example", "translation"]
KINDS: tuple[Kind, ...] = ("entry", "region", "example", "translation")
EXAMPLE_KEY = re.compile(r"^([a-z]{2})\.((?:answer|near_miss|smalltalk):[a-z0-9-]+|urgent|referral|off_topic|general)$")
TRANSLATION_KEY = re.compile(r"^([a-z]{2,3}):([a-z0-9]+(?:-[a-z0-9]+)*)$")
# kind → key → content: the latest published revision of every changed item (Store.effective_overrides()).
Overrides = dict[str, dict[str, Content]]


def label(kind: str, key: str) -> str:
    """"entry 'how-to-report'", "region GB" or "examples en.urgent": how an item is named to moderators and in
    logs."""
    if kind == "example":
        return f"examples {key}"
    if kind == "translation":
        lang, _, entry_id = key.partition(":")
        return f"{lang} translation of '{entry_id}'"
    return f"entry '{key}'" if kind == "entry" else f"region {key}"


def translation_key(lang: str, entry_id: str) -> str:
    """The revision key of an entry's translation: ("es", "how-to-report") → "es:how-to-report"."""
    return f"{lang}:{entry_id}"


def parse_translation_key(key: str) -> tuple[str, str] | None:
    """("es", "how-to-report") for "es:how-to-report"; None when `key` is not a translation key."""
    found = TRANSLATION_KEY.match(key.strip())
    return (found.group(1), found.group(2)) if found else None


def example_key(lang: str, example_label: str) -> str:
    """The revision key of the examples of one language and label: ("en", "urgent") → "en.urgent"."""
    return f"{lang}.{example_label}"


def parse_example_key(key: str) -> tuple[str, str] | None:
    """("en", "urgent") for "en.urgent"; None when `key` is not an examples key."""
    found = EXAMPLE_KEY.match(key.strip())
    return (found.group(1), found.group(2)) if found else None


def kind_of_key(key: str) -> Kind:
    """Which kind of item a history/revert key names: "<lang>.<label>" is examples, "<lang>:<entry id>" a
    translation, an ISO code (any case; entry
    ids are lower case and never two letters) a region, anything else an entry id."""
    key = key.strip()
    if parse_example_key(key):
        return "example"
    if parse_translation_key(key):
        return "translation"
    return "region" if re.fullmatch(r"[A-Za-z]{2}|EU|INTL", key) and key.upper() == key else "entry"


def content_of(knowledge: Knowledge, referrals: ReferralDirectory, kind: str, key: str) -> Content | None:
    """The normalised content of one entry or region, or None when it does not exist."""
    if kind == "entry":
        entry = knowledge.entries.get(key)
        return entry.to_data() if entry is not None else None
    if kind == "example":
        parsed = parse_example_key(key)
        texts = knowledge.examples.get(parsed) if parsed else None
        if parsed is None or texts is None:
            return None
        return {"lang": parsed[0], "label": parsed[1], "texts": list(texts)}
    if kind == "translation":
        found = parse_translation_key(key)
        translated = knowledge.translation(found[1], found[0]) if found else None
        return translated.to_data() if translated is not None else None
    return next((r for r in referrals.to_data()["regions"] if r["code"] == key), None)


def example_problems(content: Content, knowledge: Knowledge) -> list[str]:
    """The `kb validate` rules for the examples of one (lang, label) among all the others; [] when valid."""
    from bot.examples import _Line, check_examples

    parsed = parse_example_key(example_key(str(content.get("lang")), str(content.get("label"))))
    texts = content.get("texts")
    if parsed is None:
        return ["Examples need a two-letter language and a label (urgent, referral, off_topic, general, "
                "answer:ENTRY, near_miss:ENTRY or smalltalk:KIND)."]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return ["The examples must be a list of text lines."]
    merged = knowledge.with_examples({parsed: tuple(t.strip() for t in texts)})
    lines = [_Line(lang, lab, text, "draft", None) for (lang, lab), all_texts in merged.examples.items()
             for text in all_texts]
    questions = {normalize(q): e.id for e in knowledge.entries.values() for q in e.questions}
    return problem_messages(check_examples(lines, knowledge.entries, questions))


def translation_problems(content: Content, knowledge: Knowledge, lang: str) -> list[str]:
    """The `kb validate` rules for one draft translation into `lang` (bot.knowledge.check_translation_data: fields,
    the English id, enough phrasings, no phone numbers, markup, length, dates, the English answer's figures), then
    its phrasings among the other translations of that language; [] when it may be published."""
    entry_id = str(content.get("id") or "")
    problems = check_translation_data(content, "draft", None, knowledge.entries, lang)
    if not problems:
        others = {i: t for i, t in knowledge.translations.get(lang, {}).items() if i != entry_id}
        problems = translation_question_problems(lang, entry_id, content.get("questions") or [], others, "draft", None)
    return problem_messages(problems, f"{lang} translation of {entry_id!r}" if entry_id else None)


def edited_translation(content: Content, english: Entry, today: date, **changes: Any) -> Content:
    """A translation's content with `changes` (answer, title, questions) applied, reviewed `today` against the
    English entry in effect: `reviewed` becomes today and `source_reviewed` the English entry's reviewed date (the
    moderator checked it against that English text, so it is no longer stale and is held to its figures)."""
    new = {**content, **changes, "reviewed": today.isoformat(), "source_reviewed": english.reviewed}
    if isinstance(new.get("answer"), str):
        new["answer"] = new["answer"].strip() + "\n"
    return new


def problem_messages(problems: list[Problem], own_id: str | None = None) -> list[str]:
    """What to fix, without file names (a moderator has no file) and without repeating the draft's own id."""
    prefix = (f"{own_id}: " if " translation of " in own_id else f"entry '{own_id}': ") if own_id else None
    messages = []
    for problem in problems:
        text = problem.message
        if prefix and text.startswith(prefix):
            text = text[len(prefix):]
        messages.append(text[:1].upper() + text[1:])
    return messages


def partial_entry(content: Content) -> Entry:
    """An Entry from a draft that may still miss fields (a new entry is checked step by step)."""

    def texts(key: str) -> tuple[str, ...]:
        value = content.get(key) or ()
        return tuple(v.strip() for v in value if isinstance(v, str))

    return Entry(
        id=str(content.get("id") or ""),
        title=str(content.get("title") or "").strip(),
        category=str(content.get("category") or ""),
        questions=texts("questions"),
        answer=str(content.get("answer") or "").strip(),
        keywords=texts("keywords"),
        related=texts("related"),
        sources=texts("sources"),
        reviewed=str(content.get("reviewed") or ""),
    )


def entry_problems(content: Content, knowledge: Knowledge, asked: frozenset[str] | None = None) -> list[str]:
    """The `kb validate` rules for one draft entry, alone and among the others; [] when it may be published.

    `asked`: the fields collected so far (a new entry, step by step); a required field not yet asked is not a
    problem yet. None checks everything.
    """
    entry_id = str(content.get("id") or "")
    problems = check_entry_data(content, "draft")
    if asked is not None:
        later = [f"missing required field '{key}'" for key in REQUIRED_FIELDS if key not in asked]
        problems = [p for p in problems if not any(p.message.endswith(text) for text in later)]
    if problems:
        return problem_messages(problems, entry_id)
    entry = partial_entry(content)
    merged = knowledge.with_entries({entry.id: entry})
    return problem_messages(check_knowledge((e, "draft", None) for e in merged.entries.values()), entry_id)


def with_region(referrals: ReferralDirectory, content: Content) -> ReferralDirectory:
    """The directory with one region replaced (or added); raises KnowledgeError when the result is invalid."""
    data = referrals.to_data()
    regions = {r["code"]: r for r in data["regions"]}
    regions[content["code"]] = content
    data["regions"] = list(regions.values())
    return parse_referrals(data, "draft")


def region_problems(content: Content, referrals: ReferralDirectory) -> list[str]:
    """The `kb validate` rules for one region, then for the directory it would be part of; [] when valid."""
    problems = validate_region_data(content, "draft", eu_members=referrals.eu_members,
                                    short_codes=referrals.short_codes)
    if problems:
        return problem_messages(problems)
    try:
        with_region(referrals, content)
    except KnowledgeError as exc:
        return problem_messages(exc.problems)
    return []


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """path → text for every leaf of a region or entry ('hotlines[1].phone' → '0800 …'), to show a change."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i + 1}]"))
        return out
    if isinstance(value, list):
        return {prefix: ", ".join(str(v) for v in value)}
    return {prefix: str(value).strip()}


def days_old(day: str | None, today: date) -> int | None:
    """Age in days of a YYYY-MM-DD date; None when missing or unreadable."""
    try:
        return (today - date.fromisoformat(str(day))).days
    except ValueError:
        return None


def stale_items(
    knowledge: Knowledge, referrals: ReferralDirectory, today: date, after_days: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(entry id, reviewed) and (region code, oldest verified) older than `after_days` days, oldest first."""
    limit = today - timedelta(days=after_days)
    entries = [
        (e.id, e.reviewed or "never") for e in knowledge.entries.values()
        if not e.reviewed or days_old(e.reviewed, today) is None or date.fromisoformat(e.reviewed) < limit
    ]
    regions = []
    for region in referrals.regions():
        dates = [region.verified, *(h.verified for h in region.hotlines)]
        if region.authority is not None:
            dates.append(region.authority.verified)
        oldest = min(str(d) for d in dates)
        if days_old(oldest, today) is None or date.fromisoformat(oldest) < limit:
            regions.append((region.code, oldest))
    return sorted(entries, key=lambda x: x[1]), sorted(regions, key=lambda x: x[1])


def search_entries(knowledge: Knowledge, word: str) -> list[Entry]:
    """Entries whose id, title, questions or answer contain the word (normalised), sorted by title."""
    wanted = normalize(word)
    found = []
    for entry in knowledge.entries.values():
        haystack = " ".join([entry.id.replace("-", " "), entry.title, *entry.questions, entry.answer])
        if not wanted or wanted in normalize(haystack):
            found.append(entry)
    return sorted(found, key=lambda e: e.title.casefold())
