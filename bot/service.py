"""Assembling the engine in service: bundled YAML (the baseline) plus moderators' published revisions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bot.config import Config, check_default_region, database_url
from bot.engine import Engine, load_folder
from bot.errors import KnowledgeError, Problem
from bot.knowledge import (
    Knowledge,
    Translation,
    check_entry_data,
    check_knowledge,
    check_translation_data,
    entry_from_data,
    translation_from_data,
    translation_question_problems,
)
from bot.referrals import ReferralDirectory, parse_referrals
from bot.storage import Storage, open_storage
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)


def load_baseline(config: Config) -> tuple[Knowledge, ReferralDirectory]:
    """The bundled (or configured) knowledge and referral directory, validated; raises KnowledgeError."""
    return load_folder(Path(config.knowledge_dir))


def apply_overrides(
    knowledge: Knowledge, referrals: ReferralDirectory, overrides: dict[str, dict[str, dict[str, Any]]]
) -> tuple[Knowledge, ReferralDirectory]:
    """Baseline + published revisions, validated as a whole; raises KnowledgeError if the result is invalid."""
    entries = {}
    problems = []
    for key, content in overrides.get("entry", {}).items():
        found = check_entry_data(content, f"revision of entry '{key}'")
        problems.extend(found)
        if not found:
            entries[key] = entry_from_data(content)
    if problems:
        raise KnowledgeError(problems)
    merged = knowledge.with_entries(entries) if entries else knowledge
    example_overrides = overrides.get("example", {})
    if example_overrides:
        merged, found = _with_examples(merged, example_overrides)
        problems.extend(found)
    problems.extend(check_knowledge((e, "effective knowledge", None) for e in merged.entries.values()))
    translation_overrides = overrides.get("translation", {})
    if translation_overrides:
        merged, found = _with_translations(merged, translation_overrides)
        problems.extend(found)
    region_overrides = overrides.get("region", {})
    if region_overrides:
        data = referrals.to_data()
        regions = {r["code"]: r for r in data["regions"]}
        regions.update(region_overrides)
        data["regions"] = list(regions.values())
        try:
            referrals = parse_referrals(data, "effective referral directory")
        except KnowledgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise KnowledgeError(problems)
    return merged, referrals


def _with_translations(
    knowledge: Knowledge, overrides: dict[str, dict[str, Any]]
) -> tuple[Knowledge, list[Problem]]:
    """The knowledge with some translations replaced or added by published revisions (key "<lang>:<entry id>"),
    each checked by the loader's rules (check_translation_data) against the English entries in effect, and its
    phrasings against the other translations of its language."""
    from bot.kb.content import parse_translation_key

    problems: list[Problem] = []
    replaced: dict[tuple[str, str], Translation] = {}
    for key, content in sorted(overrides.items()):
        parsed = parse_translation_key(key)
        where = f"revision of translation '{key}'"
        if parsed is None or not isinstance(content, dict) or content.get("id") != parsed[1]:
            problems.append(Problem(where, None, "not a translation of the entry its key names"))
            continue
        lang, entry_id = parsed
        found = check_translation_data(content, where, None, knowledge.entries, lang)
        problems.extend(found)
        if not found:
            replaced[(lang, entry_id)] = translation_from_data(content, lang)
    merged = knowledge.with_translations(replaced)
    for lang, entry_id in sorted(replaced):
        problems.extend(translation_question_problems(lang, entry_id, replaced[(lang, entry_id)].questions,
                                                      merged.translations[lang], f"revision of translation "
                                                      f"'{lang}:{entry_id}'", None))
    return merged, problems


def _with_examples(knowledge: Knowledge, overrides: dict[str, dict[str, Any]]) -> tuple[Knowledge, list[Problem]]:
    """The knowledge with the examples of some (lang, label) replaced by published revisions, and the problems of
    the examples as a whole (the rules of kb validate: known entries, no repeats across labels, …)."""
    from bot.examples import _Line, check_examples
    from bot.kb.content import parse_example_key
    from bot.text import normalize

    problems: list[Problem] = []
    replaced: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, content in overrides.items():
        parsed = parse_example_key(key)
        texts = content.get("texts") if isinstance(content, dict) else None
        if parsed is None or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            problems.append(Problem(f"revision of examples '{key}'", None, "not a list of example lines"))
            continue
        replaced[parsed] = tuple(t.strip() for t in texts)
    merged = knowledge.with_examples(replaced)
    lines = [_Line(lang, label, text, f"examples {lang}.{label}", None)
             for (lang, label), texts in merged.examples.items() for text in texts]
    questions = {normalize(q): e.id for e in merged.entries.values() for q in e.questions}
    problems.extend(check_examples(lines, merged.entries, questions))
    return merged, problems


async def open_store(config: Config) -> Storage | None:
    """Open the database; a missing or corrupt file must not stop awarebot, so report loudly and go on without."""
    store, _ = await open_store_or_retry(config)
    return store


async def open_store_or_retry(config: Config) -> tuple[Storage | None, Storage | None]:
    """(open store, None), or (None, store to retry) when a database server is unreachable now (the knowledge
    sync opens it once it answers), or (None, None) when the database is unusable (a corrupt SQLite file)."""
    store = open_storage(database_url(config))
    try:
        await store.open()
    except StoreUnavailable as exc:
        log.error("DATABASE UNAVAILABLE, serving the bundled knowledge only: %s", exc)
        return None, (store if store.shared else None)
    return store, None


async def load_engine(config: Config, store: Storage | None, version: int = 0) -> Engine:
    """The engine to serve: baseline plus published revisions. Broken baseline raises; broken revisions are
    logged loudly and the baseline is served instead of half of them."""
    knowledge, referrals = load_baseline(config)
    check_default_region(config, referrals.codes())
    if store is not None:
        try:
            overrides = await store.effective_overrides()
            knowledge, referrals = apply_overrides(knowledge, referrals, overrides)
        except KnowledgeError as exc:
            log.error("published revisions are invalid, serving the bundled knowledge: %s", exc.report())
    return Engine.build(knowledge, referrals, config.matching, config.default_region, version=version)
