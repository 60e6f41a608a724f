"""Labelled training examples (knowledge/examples/*.yaml): the data the two learned models are trained on, beside
the entries' own `questions`.

A file holds one language (`lang:`, ISO 639-1) and any of these keys, every line a paraphrase written for the
purpose (never a person's message):

    answers:    [{text, entry}]   more ways of asking for an entry
    urgent:     [text]            danger now -> the urgent reply
    near_miss:  [{text, entry}]   urgent vocabulary but not an emergency -> that entry, never urgent
    referral:   [text]            asks for a hotline, a number, whom to call
    smalltalk:  {greeting|thanks|goodbye|about-bot|acknowledgement: [text]}
    off_topic:  [text]            nothing awarebot answers (everyday questions, goods-only trafficking)
    general:    [text]            not urgent, no topic given (teaches the safety model only)

Loaded examples are a mapping (lang, label) -> texts, where label is `answer:<entry>`, `near_miss:<entry>`,
`urgent`, `referral`, `smalltalk:<sub-intent>`, `off_topic` or `general`: a revision can replace the texts of one
(lang, label) without touching the rest (Knowledge.with_examples).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import KnowledgeError, Problem
from bot.text import normalize_content
from bot.yamlio import LineDict, LineList, load_yaml

EXAMPLES_DIR = "examples"
SMALLTALK_INTENTS = ("greeting", "thanks", "goodbye", "about-bot", "acknowledgement")
EXAMPLE_KEYS = ("lang", "answers", "urgent", "near_miss", "referral", "smalltalk", "off_topic", "general")
MAX_EXAMPLE_CHARS = 5000
LANG_PATTERN = re.compile(r"^[a-z]{2}$")

ExampleKey = tuple[str, str]  # (lang, label)
Examples = Mapping[ExampleKey, tuple[str, ...]]

# Intent labels that are not entries ("@" never occurs in an entry id).
REFERRAL = "@referral"
OFF_TOPIC = "@off_topic"
SMALLTALK_PREFIX = "@smalltalk:"


def smalltalk_label(sub_intent: str) -> str:
    """The intent label of one smalltalk sub-intent, e.g. "@smalltalk:greeting"."""
    return SMALLTALK_PREFIX + sub_intent


def intent_of(label: str) -> str | None:
    """The intent class an example label trains, or None for labels only the safety model reads (urgent, general).
    Entries are their id; referral, smalltalk sub-intents and off-topic are "@…" labels."""
    if label.startswith(("answer:", "near_miss:")):
        return label.split(":", 1)[1]
    if label == "referral":
        return REFERRAL
    if label == "off_topic":
        return OFF_TOPIC
    if label.startswith("smalltalk:"):
        return SMALLTALK_PREFIX + label.split(":", 1)[1]
    return None


def is_urgent_label(label: str) -> bool:
    return label == "urgent"


@dataclass(frozen=True, slots=True)
class _Line:
    lang: str
    label: str
    text: str
    file: str
    line: int | None


def _texts(value: Any, key: str, file: str, line: int, problems: list[Problem]) -> list[tuple[str, int]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(Problem(file, line, f"'{key}' must be a list of text lines"))
        return []
    out = []
    for i, item in enumerate(value):
        item_line = value.item_lines[i] if isinstance(value, LineList) else line
        if not isinstance(item, str):
            problems.append(Problem(file, item_line, f"'{key}' item {i + 1} must be text"))
            continue
        out.append((item, item_line))
    return out


def _pairs(value: Any, key: str, file: str, line: int, problems: list[Problem]) -> list[tuple[str, str, int]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(Problem(file, line, f"'{key}' must be a list of {{text, entry}}"))
        return []
    out = []
    for i, item in enumerate(value):
        item_line = value.item_lines[i] if isinstance(value, LineList) else line
        if (
            not isinstance(item, dict) or set(item) != {"text", "entry"}
            or not isinstance(item["text"], str) or not isinstance(item["entry"], str)
        ):
            problems.append(Problem(file, item_line, f"'{key}' item {i + 1} must be {{text: ..., entry: entry-id}}"))
            continue
        out.append((item["text"], item["entry"], item_line))
    return out


def parse_examples_file(data: Any, file: str, problems: list[Problem]) -> list[_Line]:
    """The lines of one parsed examples file; problems (with file and line) are appended to `problems`."""
    if data is None:
        return []
    if not isinstance(data, dict):
        problems.append(Problem(file, 1, "an examples file must be a mapping (lang, answers, urgent, …)"))
        return []
    where = data.line_of if isinstance(data, LineDict) else (lambda _key: 1)
    for key in data:
        if key not in EXAMPLE_KEYS:
            problems.append(Problem(file, where(key), f"unknown key '{key}' (allowed: {', '.join(EXAMPLE_KEYS)})"))
    lang = data.get("lang")
    if not isinstance(lang, str) or not LANG_PATTERN.match(lang):
        problems.append(Problem(file, where("lang") if "lang" in data else 1,
                                "'lang' is required: a two-letter ISO 639-1 code such as en"))
        return []
    lines: list[_Line] = []
    for key in ("answers", "near_miss"):
        label = "answer" if key == "answers" else "near_miss"
        for text, entry, line in _pairs(data.get(key), key, file, where(key), problems):
            lines.append(_Line(lang, f"{label}:{entry}", text, file, line))
    for key in ("urgent", "referral", "off_topic", "general"):
        for text, line in _texts(data.get(key), key, file, where(key), problems):
            lines.append(_Line(lang, key, text, file, line))
    smalltalk = data.get("smalltalk")
    if smalltalk is not None:
        if not isinstance(smalltalk, dict):
            problems.append(Problem(file, where("smalltalk"), f"'smalltalk' must map {', '.join(SMALLTALK_INTENTS)}"
                                                              " to lists of text lines"))
        else:
            sub_where = smalltalk.line_of if isinstance(smalltalk, LineDict) else (lambda _k: where("smalltalk"))
            for sub, value in smalltalk.items():
                if sub not in SMALLTALK_INTENTS:
                    problems.append(Problem(file, sub_where(sub), f"unknown smalltalk sub-intent '{sub}' "
                                                                  f"(one of: {', '.join(SMALLTALK_INTENTS)})"))
                    continue
                for text, line in _texts(value, f"smalltalk.{sub}", file, sub_where(sub), problems):
                    lines.append(_Line(lang, f"smalltalk:{sub}", text, file, line))
    lines.sort(key=lambda item: item.line or 0)  # file order, so "first at" names the earlier line
    return lines


def examples_file_data(lang: str, groups: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """The YAML shape of one language's examples file (what parse_examples_file reads) from label → texts: the
    inverse of loading, so a written file loads back to the same (lang, label) → texts, each group in its order."""
    data: dict[str, Any] = {"lang": lang}
    for key, label in (("answers", "answer"), ("near_miss", "near_miss")):
        pairs = [{"text": text, "entry": name.split(":", 1)[1]} for name, texts in sorted(groups.items())
                 if name.startswith(f"{label}:") for text in texts]
        if pairs:
            data[key] = pairs
    for key in ("urgent", "referral", "off_topic", "general"):
        if groups.get(key):
            data[key] = list(groups[key])
    smalltalk = {sub: list(groups[f"smalltalk:{sub}"]) for sub in SMALLTALK_INTENTS if groups.get(f"smalltalk:{sub}")}
    if smalltalk:
        data["smalltalk"] = smalltalk
    return data


def check_examples(lines: Iterable[_Line], entry_ids: Iterable[str],
                   entry_questions: Mapping[str, str] | None = None) -> list[Problem]:
    """Rules across example lines: entries exist, no empty or over-long line, no line twice (same language,
    normalised), no line that is also an entry's question under another label. `entry_questions` maps a
    normalised question to its entry id."""
    known = set(entry_ids)
    problems: list[Problem] = []
    seen: dict[tuple[str, str], _Line] = {}
    for item in lines:
        if item.label.startswith(("answer:", "near_miss:")):
            entry = item.label.split(":", 1)[1]
            if entry not in known:
                problems.append(Problem(item.file, item.line, f"unknown entry id '{entry}'"))
        norm = normalize_content(item.text)
        if not norm:
            problems.append(Problem(item.file, item.line, "empty example line"))
            continue
        if len(item.text) > MAX_EXAMPLE_CHARS:
            problems.append(Problem(item.file, item.line, f"example is longer than {MAX_EXAMPLE_CHARS} characters"))
        first = seen.get((item.lang, norm))
        if first is not None:
            what = "repeated" if first.label == item.label else f"also labelled '{first.label}'"
            problems.append(Problem(item.file, item.line, f"example {what} (first at {first.file}:{first.line}): "
                                                          f"{item.text!r}"))
            continue
        seen[(item.lang, norm)] = item
        owner = (entry_questions or {}).get(norm)
        intent = intent_of(item.label)
        if owner is not None and (item.label == "urgent" or (intent is not None and intent != owner)):
            problems.append(Problem(item.file, item.line, f"example {item.text!r} is a question of entry '{owner}'"
                                                          f" but labelled '{item.label}'"))
    return problems


def load_example_lines(directory: Path, problems: list[Problem]) -> list[_Line]:
    """Every line of every knowledge/examples/*.yaml file (a missing folder means no examples)."""
    folder = directory / EXAMPLES_DIR
    lines: list[_Line] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            data = load_yaml(path)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        lines.extend(parse_examples_file(data, str(path), problems))
    return lines


def group_examples(lines: Iterable[_Line]) -> dict[ExampleKey, tuple[str, ...]]:
    """(lang, label) -> texts, in file order."""
    grouped: dict[ExampleKey, list[str]] = {}
    for item in lines:
        grouped.setdefault((item.lang, item.label), []).append(item.text.strip())
    return {key: tuple(texts) for key, texts in grouped.items()}
