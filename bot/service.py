"""Assembling the engine in service: bundled YAML (the baseline) plus moderators' published revisions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bot.config import Config, check_default_region
from bot.engine import Engine, load_folder
from bot.errors import KnowledgeError
from bot.knowledge import Knowledge, check_entry_data, check_knowledge, entry_from_data
from bot.referrals import ReferralDirectory, parse_referrals
from bot.store import Store, StoreUnavailable

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
    problems.extend(check_knowledge((e, "effective knowledge", None) for e in merged.entries.values()))
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


async def open_store(config: Config) -> Store | None:
    """Open the database; a missing or corrupt file must not stop awarebot, so report loudly and go on without."""
    store = Store(config.database_path)
    try:
        await store.open()
    except StoreUnavailable as exc:
        log.error("DATABASE UNAVAILABLE, serving the bundled knowledge only: %s", exc)
        return None
    return store


async def load_engine(config: Config, store: Store | None, version: int = 0) -> Engine:
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
