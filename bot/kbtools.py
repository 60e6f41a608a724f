"""Moderators' command-line knowledge tools: `awarebot kb export | import | history | revert | example`.

The knowledge served is the bundled YAML (the *baseline*, revision 0) plus the latest published
revision of each entry, entry translation, referral region and set of examples in the database. These tools let that state be written out
as YAML in the same layout as ``knowledge/`` (so moderators' work can be reviewed in git), loaded
back as new revisions (validated as a whole, all or nothing), inspected and rolled back.

Every command works on the database and knowledge named by the config in the current folder
(``./config.toml``, or ``--config``), exactly like ``awarebot run``. A missing database file is
created; an unusable one is reported and the command exits 1 without touching it.

Logs hold ids and counts only; there is no user text here, and none is ever printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Config, database_url
from bot.errors import KnowledgeError, Problem
from bot.examples import EXAMPLES_DIR, examples_file_data
from bot.kb.content import (
    Overrides,
    content_of,
    example_key,
    example_problems,
    kind_of_key,
    parse_example_key,
    parse_translation_key,
    translation_key,
)
from bot.kb.revisions import (
    Author,
    InvalidChange,
    NoSuchRevision,
    NotBundled,
    NotPublished,
    RevisionService,
    UnknownItem,
)
from bot.knowledge import (
    ENTRIES_DIR,
    REFERRALS_FILE,
    SYNONYMS_FILE,
    Knowledge,
    load_knowledge,
)
from bot.referrals import ReferralDirectory, load_referrals
from bot.replies import Reply
from bot.service import apply_overrides, load_baseline, load_folder
from bot.storage import Storage, open_storage
from bot.store import Revision, StoreBusy, StoreDown, StoreUnavailable
from bot.yamlio import dump_yaml, load_yaml

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PROBLEM = 0, 1
CLI_AUTHOR_ID = 0  # revisions made from the command line; moderators' Telegram ids are never 0
DEFAULT_EXPORT_DIR = "export"
DEFAULT_IMPORT_NOTE = "kb import"
# Region keys are ISO codes (upper case) or the two fallbacks; entry ids are lower case.
_REGION_KEY = re.compile(r"^(?:[A-Z]{2}|EU|INTL)$")
_EXPORT_NOTE = (
    "# Exported by `awarebot kb export`: the bundled YAML plus moderators' published revisions\n"
    "# (see `awarebot kb history ID`). Load it back with `awarebot kb import DIR --by NAME`.\n"
)



class CommandFailed(Exception):
    """A problem already explained to the person at the terminal; exit 1."""


# -- small helpers ---------------------------------------------------------------------------------------


def _err(*lines: object) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _kind_of(key: str) -> str:
    return kind_of_key(key)


def _label(kind: str, key: str) -> str:
    if kind == "example":
        return f"examples {key}"
    if kind == "translation":
        lang, _, entry_id = key.partition(":")
        return f"{lang} translation of {entry_id!r}"
    return f"{kind} {key!r}" if kind == "entry" else f"region {key}"


def _keys(knowledge: Knowledge, referrals: ReferralDirectory, overrides: Overrides) -> dict[str, set[str]]:
    return {
        "entry": set(knowledge.entries) | set(overrides.get("entry", {})),
        "region": {r.code for r in referrals.regions()} | set(overrides.get("region", {})),
        "translation": {translation_key(lang, entry_id) for lang, found in knowledge.translations.items()
                        for entry_id in found} | set(overrides.get("translation", {})),
        # A published revision with no texts removed that (language, label).
        "example": ({example_key(*key) for key in knowledge.examples} | set(overrides.get("example", {})))
        - {key for key, content in overrides.get("example", {}).items() if not content.get("texts")},
    }


def _print_problems(problems: Iterable[Problem | str], tail: str) -> None:
    problems = list(problems)
    for problem in problems:
        _err(problem)
    _err(f"{_plural(len(problems), 'problem', 'problems')}; {tail}")


def _run_with_store(config: Config, work: Callable[[Storage], Awaitable[int]]) -> int:
    """Open the configured database (database_url, else the SQLite file; created when missing), run work, close it.
    On PostgreSQL a publish (kb import, kb revert) notifies the running workers, which rebuild within a second."""

    async def runner() -> int:
        store = open_storage(database_url(config))
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(runner())
    except StoreUnavailable as exc:
        _err(f"database unavailable: {exc}",
             "The kb tools need the database; fix or move that file (or set database_path in config.toml).")
        return EXIT_PROBLEM
    except StoreBusy as exc:
        _err(f"database busy: {exc}", "Another awarebot process holds the lock; try again in a moment.")
        return EXIT_PROBLEM
    except StoreDown as exc:
        _err(f"database unreachable: {exc}", "Nothing was changed; try again when the database server is up.")
        return EXIT_PROBLEM
    except CommandFailed:
        return EXIT_PROBLEM


def _effective(
    baseline: tuple[Knowledge, ReferralDirectory], overrides: Overrides
) -> tuple[Knowledge, ReferralDirectory]:
    """Baseline + published revisions; invalid published revisions are reported and stop the command."""
    try:
        return apply_overrides(*baseline, overrides)
    except KnowledgeError as exc:
        _print_problems(
            exc.problems,
            "the published revisions do not form valid knowledge. "
            "Repair them with `awarebot kb revert` or `awarebot kb import`.",
        )
        raise CommandFailed from None


# -- export ----------------------------------------------------------------------------------------------


def _leading_comments(path: Path) -> str:
    """The comment block at the top of a bundled YAML file (its description and provenance)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    header: list[str] = []
    for line in lines:
        if line.startswith("#") or not line.strip():
            header.append(line)
        else:
            break
    while header and not header[-1].strip():
        header.pop()
    return "\n".join(header) + "\n" if header else ""


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _export_files(knowledge: Knowledge, referrals: ReferralDirectory, source: Path,
                  with_examples: bool = False) -> dict[str, str]:
    """Relative path → file text for the whole exported folder (synonyms are copied separately); with
    `with_examples`, every language's training examples in one examples/<lang>.yaml."""
    groups: dict[str, list[dict]] = {}
    for entry_id, entry in knowledge.entries.items():  # baseline order, new entries last
        rel = knowledge.files.get(entry_id, f"{ENTRIES_DIR}/{entry.category}.yaml")
        groups.setdefault(Path(rel).as_posix(), []).append(entry.to_data())
    files: dict[str, str] = {}
    for rel, entries in sorted(groups.items()):
        header = _leading_comments(source / rel)
        files[rel] = _EXPORT_NOTE + header + dump_yaml(entries)
    # Every language's translations, in the file of the same name as their English entry's, in the English order.
    for lang in knowledge.content_languages():
        translated: dict[str, list[dict]] = {}
        for entry_id, entry in knowledge.entries.items():
            translation = knowledge.translation(entry_id, lang)
            if translation is not None:
                name = Path(knowledge.files.get(entry_id, f"{ENTRIES_DIR}/{entry.category}.yaml")).name
                translated.setdefault(f"{ENTRIES_DIR}/{lang}/{name}", []).append(translation.to_data())
        for rel, items in sorted(translated.items()):
            files[rel] = _EXPORT_NOTE + _leading_comments(source / rel) + dump_yaml(items)
    if with_examples:
        by_lang: dict[str, dict[str, tuple[str, ...]]] = {}
        for (lang, label), texts in knowledge.examples.items():
            by_lang.setdefault(lang, {})[label] = texts
        for lang, labelled in sorted(by_lang.items()):
            files[f"{EXAMPLES_DIR}/{lang}.yaml"] = _EXPORT_NOTE + dump_yaml(examples_file_data(lang, labelled))
    header = _leading_comments(source / REFERRALS_FILE)
    files[REFERRALS_FILE] = _EXPORT_NOTE + header + "\n" + dump_yaml(referrals.to_data())
    return files


def cmd_kb_export(args: argparse.Namespace, config: Config) -> int:
    """`kb export --out DIR`: the knowledge in effect as YAML in the knowledge folder's layout; exit 1 on problems."""
    out = Path(args.out)
    source = Path(config.knowledge_dir)
    if out.exists() and not out.is_dir():
        _err(f"{out} exists and is not a folder")
        return EXIT_PROBLEM
    if out.resolve() == source.resolve():
        _err(f"refusing to export into the configured knowledge folder {source}: it would lose its comments.",
             "Export elsewhere (e.g. --out export) and compare the two folders.")
        return EXIT_PROBLEM
    baseline = load_baseline(config)

    async def work(store: Storage) -> int:
        overrides = await store.effective_overrides()
        knowledge, referrals = _effective(baseline, overrides)
        files = _export_files(knowledge, referrals, source, bool(getattr(args, "examples", False)))
        entries_dir = out / ENTRIES_DIR
        entries_dir.mkdir(parents=True, exist_ok=True)
        for rel, text in files.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            _write_text(out / rel, text)
        # A file left from an earlier export would re-import entries twice: the folder mirrors the state.
        # Examples left from an earlier `--examples` export are removed too: imported, they would undo later changes.
        examples_dir = out / EXAMPLES_DIR
        for stale in sorted([*entries_dir.glob("*.yaml"), *entries_dir.glob("*/*.yaml"), *examples_dir.glob("*.yaml")]):
            if stale.relative_to(out).as_posix() not in files:
                stale.unlink()
                print(f"removed {stale} (no entries in it any more)")
        synonyms = source / SYNONYMS_FILE
        if synonyms.is_file():
            shutil.copyfile(synonyms, out / SYNONYMS_FILE)
        # Self-check: what was written must load back to exactly the effective knowledge.
        try:
            again = load_knowledge(out)
            again_referrals = load_referrals(out / REFERRALS_FILE)
        except KnowledgeError as exc:
            _print_problems(exc.problems, f"the export in {out} does not load back (a bug: please report it)")
            return EXIT_PROBLEM
        same_translations = {lang: dict(t) for lang, t in again.translations.items() if t} == {
            lang: dict(t) for lang, t in knowledge.translations.items() if t
        }
        same_examples = not getattr(args, "examples", False) or dict(again.examples) == dict(knowledge.examples)
        if (dict(again.entries) != dict(knowledge.entries) or again_referrals.to_data() != referrals.to_data()
                or not same_translations or not same_examples):
            _err(f"the export in {out} does not load back to the same knowledge (a bug: please report it)")
            return EXIT_PROBLEM
        changed = sum(len(overrides.get(kind, {})) for kind in ("entry", "region", "translation"))
        log.info("exported %d entries, %d regions, %d with revisions", len(knowledge.entries), len(referrals), changed)
        print(
            f"Exported {_plural(len(knowledge.entries), 'entry', 'entries')} and "
            f"{_plural(len(referrals), 'referral region', 'referral regions')} to {out} "
            f"with their translations ({_plural(changed, 'entry, translation or region', 'entries, translations and regions')} "
            "from published revisions)."
        )
        return EXIT_OK

    return _run_with_store(config, work)


# -- import ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Folder:
    path: Path
    knowledge: Knowledge
    referrals: ReferralDirectory
    has_synonyms: bool
    has_examples: bool = False


# Folders of a knowledge folder that hold YAML kb import does not turn into revisions: the sourced reference
# (changed in the repository).
_NOT_IMPORTED = {
    "reference": "the sourced reference is changed in the repository",
}


def survey_folder(directory: Path) -> tuple[list[str], list[str], list[Problem]]:
    """Every file under `directory`, sorted into (read, ignored with the reason, problems).

    Read: entries/*.yaml, entries/<language>/*.yaml (translations), examples/*.yaml, referrals.yaml, synonyms.yaml.
    Ignored, each named: other files that are not YAML, hidden files and folders (one line each), and YAML kb import
    deliberately leaves alone (reference/), which must still parse. Any other YAML file is a problem: its
    content would be silently lost (e.g. a new-entries.yaml beside entries/).
    """
    read: list[str] = []
    ignored: list[str] = []
    problems: list[Problem] = []
    grouped: dict[tuple[str, str], list[str]] = {}  # YAML left alone, by folder and reason
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        parts = rel.parts
        if any(part.startswith(".") for part in parts):
            if path.is_dir() and len(parts) == 1 or path.is_file() and len(parts) == 1:
                ignored.append(f"{rel.as_posix()} (hidden)")
            continue
        if path.is_dir() or "__pycache__" in parts:
            continue
        name = rel.as_posix()
        is_yaml = path.suffix in (".yaml", ".yml")
        # entries/<language>/*.yaml are translations: read (a folder that is not named by a language code is
        # reported by the loader).
        if name in (REFERRALS_FILE, SYNONYMS_FILE) or (parts[0] == ENTRIES_DIR and len(parts) in (2, 3)
                                                        and path.suffix == ".yaml") or (
                parts[0] == EXAMPLES_DIR and len(parts) == 2 and path.suffix == ".yaml"):
            read.append(name)
            continue
        if not is_yaml:
            ignored.append(f"{name} (not YAML)")
            continue
        if parts[0] in _NOT_IMPORTED:
            reason = _NOT_IMPORTED[parts[0]]
        else:
            problems.append(Problem(str(path), None,
                                    "kb import does not read this file: entries belong in entries/*.yaml, their "
                                    "translations in entries/<language>/*.yaml, training examples in "
                                    "examples/*.yaml, the directory in referrals.yaml (move it there or out of the "
                                    "folder)"))
            continue
        try:
            load_yaml(path)  # a broken file anywhere stops the import, even one it leaves alone
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        grouped.setdefault((rel.parent.as_posix(), reason), []).append(rel.name)
    for (folder, reason), names in grouped.items():
        ignored.append(f"{folder}/ ({_plural(len(names), 'YAML file', 'YAML files')}: {reason})")
    return read, sorted(ignored), problems


def _load_folder(directory: Path) -> _Folder:
    """Validate the folder as a whole, like `kb validate`, and account for every file in it (each read or named
    as ignored); every problem is reported, then CommandFailed."""
    if not directory.is_dir():
        _err(f"{directory}: no such folder")
        raise CommandFailed
    _, ignored, problems = survey_folder(directory)
    try:
        knowledge, referrals = load_folder(directory)  # translations too, by the same rules as at start
    except KnowledgeError as exc:
        problems = [*exc.problems, *problems]
    if problems:
        _print_problems(problems, f"nothing was imported from {directory}")
        raise CommandFailed from None
    for line in ignored:
        print(f"ignored: {line}")
    has_examples = any((directory / EXAMPLES_DIR).glob("*.yaml"))
    if not has_examples:
        print(f"note: no {EXAMPLES_DIR}/*.yaml in {directory}: the training examples in effect stay as they are "
              "(`kb export --examples` writes them)")
    return _Folder(directory, knowledge, referrals, (directory / SYNONYMS_FILE).is_file(), has_examples)


def _current_contents(
    baseline: tuple[Knowledge, ReferralDirectory], overrides: Overrides
) -> Callable[[str, str], dict | None]:
    """Content currently in effect per (kind, key), normalized as the loader would produce it.

    When the published revisions do not form valid knowledge (the bot then serves the bundled YAML),
    the stored content is used as it is: every key whose stored content is broken then differs from
    the imported one and gets a new revision, so an import can repair the database.
    """
    try:
        knowledge, referrals = apply_overrides(*baseline, overrides)
    except KnowledgeError as exc:
        log.warning("published revisions are invalid (%d problems); comparing with stored content", len(exc.problems))
        print(f"Note: the published revisions are invalid ({len(exc.problems)} problem(s)); "
              "the import replaces every one that differs.")

        def raw(kind: str, key: str) -> dict | None:
            stored = overrides.get(kind, {}).get(key)
            return stored if stored is not None else content_of(*baseline, kind, key)

        return raw
    return lambda kind, key: content_of(knowledge, referrals, kind, key)


def _import_problems(
    folder: _Folder, baseline: tuple[Knowledge, ReferralDirectory], overrides: Overrides
) -> list[Problem]:
    """What a revision cannot express: deletions, and the parts that live in the bundled files only."""
    problems: list[Problem] = []
    keys = _keys(*baseline, overrides)
    entries_dir = str(folder.path / ENTRIES_DIR)
    referrals_file = str(folder.path / REFERRALS_FILE)
    for key in sorted(keys["entry"] - set(folder.knowledge.entries)):
        problems.append(Problem(entries_dir, None,
                                f"entry '{key}' is missing: an import cannot delete entries (keep it in the folder)"))
    imported = {translation_key(lang, entry_id) for lang, found in folder.knowledge.translations.items()
                for entry_id in found}
    for key in sorted(keys["translation"] - imported):
        lang, _, entry_id = key.partition(":")
        problems.append(Problem(str(folder.path / ENTRIES_DIR / lang), None,
                                f"the {lang} translation of '{entry_id}' is missing: an import cannot delete "
                                "translations (keep it in the folder)"))
    if folder.has_examples:
        for key in sorted(keys["example"] - {example_key(*k) for k in folder.knowledge.examples}):
            problems.append(Problem(str(folder.path / EXAMPLES_DIR), None,
                                    f"the examples {key} are missing: an import cannot delete examples (remove them "
                                    "with `kb example LANG LABEL --remove TEXT`)"))
    for key in sorted(keys["region"] - {r.code for r in folder.referrals.regions()}):
        problems.append(Problem(referrals_file, None,
                                f"region {key} is missing: an import cannot delete regions (keep it in the file)"))
    base_referrals = baseline[1]
    if list(folder.referrals.eu_members) != list(base_referrals.eu_members):
        problems.append(Problem(referrals_file, None,
                                "eu_members differs from the bundled referrals.yaml; it cannot be changed by "
                                "import (edit knowledge/referrals.yaml in the repository)"))
    if folder.referrals.aliases != base_referrals.aliases:
        problems.append(Problem(referrals_file, None,
                                "aliases differ from the bundled referrals.yaml; they cannot be changed by "
                                "import (edit knowledge/referrals.yaml in the repository)"))
    if folder.referrals.short_codes != base_referrals.short_codes:
        problems.append(Problem(referrals_file, None,
                                "short_codes differ from the bundled referrals.yaml; they cannot be changed by "
                                "import (edit knowledge/referrals.yaml in the repository, with each source)"))
    if folder.has_synonyms and dict(folder.knowledge.synonyms) != dict(baseline[0].synonyms):
        problems.append(Problem(str(folder.path / SYNONYMS_FILE), None,
                                "synonyms differ from the bundled synonyms.yaml; they cannot be changed by "
                                "import (edit knowledge/synonyms.yaml in the repository)"))
    return problems


def cmd_kb_import(args: argparse.Namespace, config: Config) -> int:
    """`kb import DIR --by NAME`: every changed entry and region as a published revision, all or nothing,
    after accounting for every file in DIR; exit 1 on any problem (nothing written)."""
    author = _one_line(args.by)
    if not author:
        _err("--by needs the name of the moderator responsible for the import")
        return EXIT_PROBLEM
    note = _one_line(args.note) if args.note is not None else DEFAULT_IMPORT_NOTE
    directory = Path(args.directory)
    try:
        folder = _load_folder(directory)  # before the database is even opened: nothing can be written
    except CommandFailed:
        return EXIT_PROBLEM
    baseline = load_baseline(config)

    async def work(store: Storage) -> int:
        overrides = await store.effective_overrides()
        problems = _import_problems(folder, baseline, overrides)
        if problems:
            _print_problems(problems, f"nothing was imported from {directory}")
            return EXIT_PROBLEM
        current = _current_contents(baseline, overrides)
        items: list[tuple[str, str, dict]] = []
        for entry_id, entry in folder.knowledge.entries.items():
            content = entry.to_data()
            if content != current("entry", entry_id):
                items.append(("entry", entry_id, content))
        for lang, in_folder in sorted(folder.knowledge.translations.items()):
            for entry_id, translation in in_folder.items():
                content = translation.to_data()
                if content != current("translation", translation_key(lang, entry_id)):
                    items.append(("translation", translation_key(lang, entry_id), content))
        if folder.has_examples:
            for (lang, label), texts in sorted(folder.knowledge.examples.items()):
                content = {"lang": lang, "label": label, "texts": list(texts)}
                if content != current("example", example_key(lang, label)):
                    items.append(("example", example_key(lang, label), content))
        for region in folder.referrals.to_data()["regions"]:
            if region != current("region", region["code"]):
                items.append(("region", region["code"], region))
        if not items:
            print(f"Nothing changed: {directory} matches the knowledge in effect; no revision written.")
            return EXIT_OK
        # The result as a whole must be valid before anything is written (the service checks it).
        service = RevisionService(config, lambda: store)
        try:
            done = await service.import_changes(items, Author(CLI_AUTHOR_ID, author), note)
        except InvalidChange as exc:
            _print_problems(exc.problems, f"nothing was imported from {directory}")
            return EXIT_PROBLEM
        except (TypeError, ValueError) as exc:  # e.g. an id the store refuses; the transaction rolled back
            _err(f"{exc}; nothing was imported from {directory}")
            return EXIT_PROBLEM
        for revision in done:
            print(f"{_label(revision.kind, revision.key)}: revision {revision.rev} published")
        entries = sum(1 for r in done if r.kind == "entry")
        translations = sum(1 for r in done if r.kind == "translation")
        examples = sum(1 for r in done if r.kind == "example")
        regions = len(done) - entries - translations - examples
        log.info("imported %d entry, %d translation, %d example and %d region revisions", entries, translations,
                 examples, regions)
        sets = f", {_plural(examples, 'set of examples', 'sets of examples')}" if folder.has_examples else ""
        print(f"{_plural(entries, 'entry', 'entries')}, {_plural(translations, 'translation', 'translations')}"
              f"{sets} and {_plural(regions, 'region', 'regions')} changed.")
        return EXIT_OK

    return _run_with_store(config, work)


# -- history ---------------------------------------------------------------------------------------------


def _bundled_source(config: Config, baseline: tuple[Knowledge, ReferralDirectory], kind: str, key: str) -> str | None:
    directory = Path(config.knowledge_dir)
    knowledge, referrals = baseline
    if kind == "example":
        return (Path(directory.name) / "examples").as_posix() + "/" if content_of(*baseline, kind, key) else None
    if kind == "entry":
        rel = knowledge.files.get(key)
        return (Path(directory.name) / rel).as_posix() if rel else None
    if kind == "translation":
        lang, entry_id = parse_translation_key(key) or ("", "")
        rel = knowledge.files.get(entry_id)
        if rel is None or knowledge.translation(entry_id, lang) is None:
            return None
        return (Path(directory.name) / ENTRIES_DIR / lang / Path(rel).name).as_posix()
    return (Path(directory.name) / REFERRALS_FILE).as_posix() if key in {r.code for r in referrals.regions()} else None


def _unknown(kind: str, key: str) -> None:
    hint = ""
    if kind == "entry" and _REGION_KEY.match(key.upper()):
        hint = f" (for a referral region, write its code in capitals: {key.upper()})"
    what = _label(kind, key) if kind == "translation" else f"{kind} {key!r}"
    _err(f"unknown {what}: it is neither in the bundled YAML nor in the database{hint}")


def _format_rows(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]).rstrip() for row in rows]


def _key_of(args: argparse.Namespace) -> str:
    """The revision key an ID (and --lang) names: an entry id with --lang xx is its translation ("xx:ID")."""
    key = args.id.strip()
    lang = (getattr(args, "lang", None) or "").strip().lower()
    return translation_key(lang, key) if lang and lang != "en" else key


def cmd_kb_history(args: argparse.Namespace, config: Config) -> int:
    """`kb history ID [--lang xx]`: revision 0 (bundled) and every stored revision of an entry (or its translation
    into xx), region or examples key."""
    key = _key_of(args)
    kind = _kind_of(key)
    baseline = load_baseline(config)
    source = _bundled_source(config, baseline, kind, key)

    async def work(store: Storage) -> int:
        revisions = await store.history(kind, key)
        if source is None and not revisions:
            _unknown(kind, key)
            return EXIT_PROBLEM
        rows: list[tuple[str, ...]] = [
            ("0", "<bundled>", source, "published", "bundled YAML") if source
            else ("0", "<bundled>", "-", "absent", "not in the bundled YAML")
        ]
        rows.extend(_history_row(r) for r in revisions)
        for line in _format_rows(rows):
            print(line)
        return EXIT_OK

    return _run_with_store(config, work)


def _history_row(revision: Revision) -> tuple[str, ...]:
    return (
        str(revision.rev),
        revision.created_at,
        _one_line(revision.author_name) or "-",
        str(revision.status),
        _one_line(revision.note),
    )


# -- revert ----------------------------------------------------------------------------------------------


def cmd_kb_revert(args: argparse.Namespace, config: Config) -> int:
    """`kb revert ID REV [--lang xx] --by NAME`: RevisionService.revert from the command line; exit 1 when
    refused."""
    key = _key_of(args)
    kind = _kind_of(key)
    to_rev: int = args.rev
    author = _one_line(args.by)
    if not author:
        _err("--by needs the name of the moderator responsible for the revert")
        return EXIT_PROBLEM
    note = _one_line(args.note) if args.note else ""

    async def work(store: Storage) -> int:
        service = RevisionService(config, lambda: store)
        try:
            revision = await service.revert(kind, key, to_rev, Author(CLI_AUTHOR_ID, author), note)
        except UnknownItem:
            _unknown(kind, key)
            return EXIT_PROBLEM
        except NotBundled as exc:
            _err(f"{_label(kind, key)} is not in the bundled YAML (it was added by revision {exc.first_rev}); "
                 "revert to a published revision instead")
            return EXIT_PROBLEM
        except NoSuchRevision as exc:
            known = ", ".join(str(r) for r in exc.known)
            _err(f"{_label(kind, key)} has no revision {to_rev} (revisions: {known})")
            return EXIT_PROBLEM
        except NotPublished as exc:
            _err(f"revision {to_rev} of {_label(kind, key)} is {exc.status}: only published revisions can be "
                 "restored (restoring it would skip review)")
            return EXIT_PROBLEM
        except InvalidChange as exc:
            _print_problems(exc.problems, f"reverting {_label(kind, key)} to revision {to_rev} would leave invalid "
                                          "knowledge; nothing was written")
            return EXIT_PROBLEM
        if revision is None:
            print(f"{_label(kind, key)} already has the content of revision {to_rev}; nothing written.")
            return EXIT_OK
        what = "the bundled YAML" if to_rev == 0 else f"revision {to_rev}"
        print(f"{_label(kind, key)}: revision {revision.rev} published with the content of {what}.")
        return EXIT_OK

    return _run_with_store(config, work)


# -- training examples -----------------------------------------------------------------------------------


def cmd_kb_example(args: argparse.Namespace, config: Config) -> int:
    """`kb example LANG LABEL --add TEXT … --remove TEXT … --by NAME`: one revision of those examples, published
    at once when review is off, else waiting for a reviewer (/kb_pending in Telegram). Prints, for each added
    line, what people get today."""
    author = _one_line(args.by)
    key = example_key(args.lang.strip().lower(), args.label.strip())
    if not author:
        _err("--by needs the name of the moderator responsible for the change")
        return EXIT_PROBLEM
    if parse_example_key(key) is None:
        _err(f"{key!r} is not a language and label: e.g. `kb example en urgent`; labels: urgent, referral, "
             "off_topic, general, answer:ENTRY, near_miss:ENTRY, smalltalk:KIND")
        return EXIT_PROBLEM
    added = [" ".join(t.split()) for t in args.add or [] if t.strip()]
    removed = {" ".join(t.split()) for t in args.remove or [] if t.strip()}
    if not added and not removed:
        _err("nothing to change: give --add TEXT and/or --remove TEXT")
        return EXIT_PROBLEM
    publish = not config.moderation.require_review

    async def work(store: Storage) -> int:
        service = RevisionService(config, lambda: store)
        try:
            knowledge, referrals = await service.effective()
        except InvalidChange as exc:
            _print_problems(exc.problems, "the published revisions do not form valid knowledge; repair them first "
                                          "(kb revert or kb import)")
            return EXIT_PROBLEM
        current = await service.current("example", key)
        rev, content = current if current else (0, {"lang": key[:2], "label": key[3:], "texts": []})
        missing = sorted(removed - set(content["texts"]))
        if missing:
            _err(*(f"not an example of {key}: {text!r}" for text in missing))
            return EXIT_PROBLEM
        texts = [t for t in content["texts"] if t not in removed] + [t for t in added if t not in content["texts"]]
        new = {**content, "texts": texts}
        problems = example_problems(new, knowledge)
        if problems:
            _print_problems(problems, f"nothing was written for {key}")
            return EXIT_PROBLEM
        from bot.engine import Engine

        lang, label = parse_example_key(key) or ("", "")
        today = await asyncio.to_thread(Engine.build, knowledge, referrals, config.matching, config.default_region)
        learned = await asyncio.to_thread(Engine.build, knowledge.with_examples({(lang, label): tuple(texts)}),
                                          referrals, config.matching, config.default_region)

        def said(reply: Reply) -> str:
            return reply.kind.value + (f" ({reply.entry_id})" if reply.entry_id else "")

        for text in added:  # the preview: the reply people get today, and once the models learn the change
            print(f"today: {text!r} → {said(today.respond(text, None))}; "
                  f"once learned: {said(learned.respond(text, None))}")
        try:
            revision = await service.propose("example", key, new, base_rev=rev,
                                             author=Author(CLI_AUTHOR_ID, author), publish=publish)
        except InvalidChange as exc:
            _print_problems(exc.problems, f"nothing was written for {key}")
            return EXIT_PROBLEM
        state = "published (the models are retrained at the next start or publish)" if publish else \
            "waiting for review (/kb_pending in Telegram)"
        print(f"examples {key}: revision {revision.rev} {state}.")
        return EXIT_OK

    return _run_with_store(config, work)


# -- parser ----------------------------------------------------------------------------------------------


def _revision_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a revision number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("revision numbers start at 0 (the bundled YAML)")
    return value


def add_kb_commands(kb_sub: Any) -> None:
    """Add export, import, history and revert to the `awarebot kb` subcommands."""
    where = "Uses the database and knowledge named by ./config.toml (or --config), like `awarebot run`."
    formatter = argparse.RawDescriptionHelpFormatter

    export = kb_sub.add_parser(
        "export",
        help="write the knowledge in effect (bundled YAML + published revisions) as YAML",
        formatter_class=formatter,
        description=(
            "Write the knowledge in effect (bundled YAML plus moderators' published revisions) in the layout\n"
            "of knowledge/: entries/<file>.yaml (each entry in its bundled file, new entries in\n"
            "entries/<category>.yaml), entries/<language>/<file>.yaml (the translations, beside their English\n"
            "file's name), referrals.yaml and a copy of synonyms.yaml. Comments inside the\n"
            "bundled files are not kept (the header of each file is). The folder passes `awarebot kb validate`\n"
            "and can be committed to git to review moderators' work, edited and loaded back with `kb import`.\n"
            "Existing files are overwritten; entry files no longer needed are removed.\n" + where
        ),
    )
    export.add_argument("--out", default=DEFAULT_EXPORT_DIR,
                        help=f"folder to write (default: ./{DEFAULT_EXPORT_DIR}; created when missing)")
    export.add_argument("--examples", action="store_true",
                        help="also write the training examples in effect, one examples/<lang>.yaml per language "
                             "(kb import then reads them back)")
    export.set_defaults(handler=cmd_kb_export)

    imp = kb_sub.add_parser(
        "import",
        help="load a folder of YAML (as written by export) as new published revisions, all or nothing",
        formatter_class=formatter,
        description=(
            "Validate DIR as a whole (like `kb validate`), then publish one new revision for every entry,\n"
            "translation (entries/<language>/*.yaml) and referral region whose content differs from the one in\n"
            "effect, in one transaction: on any problem nothing is written. An import cannot delete entries,\n"
            "translations or regions, nor change eu_members, aliases or synonyms (those live in the bundled\n"
            "files only). Training examples (examples/*.yaml, written by `kb export --examples`) are read when\n"
            "the folder has them: each changed language and label becomes a revision (the models are retrained\n"
            "when the bot picks it up); without them, the examples in effect stay as they are.\n"
            + where
        ),
    )
    imp.add_argument("directory", metavar="DIR", help="folder in the layout of knowledge/ (e.g. from kb export)")
    imp.add_argument("--by", required=True, metavar="NAME", help="moderator responsible (shown in history)")
    imp.add_argument("--note", help=f"note for the revisions (default: {DEFAULT_IMPORT_NOTE!r})")
    imp.set_defaults(handler=cmd_kb_import)

    history = kb_sub.add_parser(
        "history",
        help="list the revisions of an entry or region, one a line",
        formatter_class=formatter,
        description=(
            "One revision a line: number, time (UTC), author, status, note. Revision 0 is the bundled YAML.\n"
            "ID is an entry id (what-is-sex-trafficking) or a referral region code in capitals (DE, EU, INTL).\n"
            + where
        ),
    )
    history.add_argument("id", metavar="ID", help="entry id, region code in capitals, or LANG.LABEL of examples")
    history.add_argument("--lang", metavar="LANG", help="the entry's translation into LANG (e.g. es)")
    history.set_defaults(handler=cmd_kb_history)

    revert = kb_sub.add_parser(
        "revert",
        help="publish a new revision with the content of an earlier one (0 = bundled YAML)",
        formatter_class=formatter,
        description=(
            "Publish a new revision of ID with the content of published revision REV; `revert ID 0` restores\n"
            "the bundled text. The result is validated with the rest of the knowledge first.\n" + where
        ),
    )
    revert.add_argument("id", metavar="ID", help="entry id, region code in capitals, or LANG.LABEL of examples")
    revert.add_argument("rev", metavar="REV", type=_revision_number, help="revision to restore (0 = bundled YAML)")
    revert.add_argument("--lang", metavar="LANG", help="the entry's translation into LANG (e.g. es)")
    revert.add_argument("--by", required=True, metavar="NAME", help="moderator responsible (shown in history)")
    revert.add_argument("--note", help="note for the new revision (default: 'revert to revision REV')")
    revert.set_defaults(handler=cmd_kb_revert)

    example = kb_sub.add_parser(
        "example",
        help="add or remove labelled training examples (e.g. en urgent --add TEXT)",
        formatter_class=formatter,
        description="One revision of the training examples of LANG and LABEL, reviewed like any other change\n"
                    "(published at once when require_review is off). History and revert take LANG.LABEL,\n"
                    "e.g. `kb history en.urgent`.\n\n" + where,
    )
    example.add_argument("lang", metavar="LANG", help="two-letter language, e.g. en")
    example.add_argument("label", metavar="LABEL",
                         help="urgent, referral, off_topic, general, answer:ENTRY, near_miss:ENTRY, smalltalk:KIND")
    example.add_argument("--add", action="append", metavar="TEXT", help="an example to add (repeatable)")
    example.add_argument("--remove", action="append", metavar="TEXT", help="an example to remove (repeatable)")
    example.add_argument("--by", required=True, metavar="NAME", help="moderator responsible (shown in history)")
    example.set_defaults(handler=cmd_kb_example)
