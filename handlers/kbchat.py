"""The moderators' conversation in a chat: menus, step-by-step drafts, previews, review and revert, in words.

Chat-shaped and worded for Telegram (command names, light markup, buttons); the rules live in the core:
`bot.kb.revisions.RevisionService` writes (checks the whole, publishes, reverts, swaps the engine) and
`bot.kb.content` checks drafts with the rules of `awarebot kb validate`. User ids, text and plain values in;
`Say` (a body in light markup, buttons with actions, an optional preview Reply, notices for other moderators)
out. handlers/moderation.py turns those into Bot API calls and keeps callback data within Telegram's 64 bytes.

Who may do what: editors propose; reviewers also approve and revert; four eyes when review is on (config).
What a moderator is drafting lives in memory only, per moderator, and expires; like every message it is never
logged.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import wraps
from typing import Any, ParamSpec

from bot.config import Config, Moderator, Role
from bot.engine import Engine, LiveEngine
from bot.errors import KnowledgeError
from bot.kb.content import (
    Content,
    edited_translation,
    entry_problems,
    example_key,
    example_problems,
    flatten,
    label,
    parse_example_key,
    parse_translation_key,
    partial_entry,
    problem_messages,
    region_problems,
    search_entries,
    stale_items,
    translation_key,
    translation_problems,
    with_region,
)
from bot.kb.revisions import (
    AlreadyDecided,
    Author,
    InvalidChange,
    NoDatabase,
    NoSuchRevision,
    NotBundled,
    NotPublished,
    RevisionService,
    SelfApproval,
    UnknownItem,
)
from bot.knowledge import (
    CATEGORY_TITLES,
    ID_PATTERN,
    MIN_QUESTIONS,
    MIN_TRANSLATED_QUESTIONS,
    Entry,
    Knowledge,
    translation_from_data,
)
from bot.markup import literal
from bot.referrals import ReferralDirectory, referral_provenance
from bot.replies import Button, Reply
from bot.storage import Storage
from bot.store import Conflict, NotFound, Revision, RevisionStatus, StoreBusy, StoreDown, StoreUnavailable
from bot.sync import KnowledgeSync
from bot.text import ascii_number, normalize

log = logging.getLogger(__name__)

P = ParamSpec("P")

SESSION_TTL = 30 * 60.0
LIST_PAGE_SIZE = 8
# Votes travel in 64-byte callback data ("v:u:<id>"); ids of new entries are kept short enough for them.
MAX_NEW_ID_CHARS = 60
MAX_SEARCH_BYTES = 40
REGION_KEY = re.compile(r"^(?:[A-Z]{2}|EU|INTL)$")
STATS_DAYS = 30
MAX_STATS_DAYS = 366
STATS_SHOWN_DAYS = 14
STATS_SHOWN_ENTRIES = 25

# Platform-neutral button actions; a front end maps them to its own callback data.
ACTION = "mod:"
PUBLISH, CANCEL, DONE, ANOTHER = "mod:publish", "mod:cancel", "mod:done", "mod:another"
CATEGORY, FIELD, APPROVE, REJECT, SHOW, LIST = (
    "mod:cat:", "mod:field:", "mod:approve:", "mod:reject:", "mod:show:", "mod:list:"
)

# --- what moderators read -------------------------------------------------------------------------------------

NOT_MODERATOR = (
    "Sorry, this command is for awarebot's moderators only. If you'd like to help keep the answers current, "
    "please contact the team that runs this bot."
)
NOT_REVIEWER = "Only reviewers can {what}. Your role is editor: you can propose changes, and a reviewer approves them."
UNAVAILABLE = (
    "⚠️ **Editing is unavailable right now.** The moderation database could not be opened, so awarebot is "
    "answering from the bundled knowledge only. People are still answered, with their hotline. Please tell "
    "whoever runs the server (the log says what is wrong)."
)
DATABASE_DOWN = (
    "⚠️ **Editing is paused: the database cannot be reached right now.** Nothing was changed. People are still "
    "answered from the knowledge already loaded, with their hotline. awarebot reconnects by itself: please try "
    "again in a minute, and tell whoever runs the server if it lasts."
)
STARTUP_UNAVAILABLE = (
    "⚠️ **awarebot started without its moderation database.** It is answering from the bundled knowledge, so "
    "published edits are not shown and editing is unavailable until the database is fixed (see the server log)."
)
NEED_ID = "Which entry? Add its id, e.g. /kb_edit how-to-report. Find ids with /kb_list or /kb_list word."
NEED_CODE = "Which region? Add its code, e.g. /referral_edit DE. Listed regions: {codes}."
UNKNOWN_ENTRY = "There is no entry with the id '{id}'. Send /kb_list to browse, or /kb_list word to search."
UNKNOWN_REGION = "There is no region '{code}'. Listed regions: {codes}."
NO_SESSION = "There is nothing to continue: that draft was finished, cancelled or timed out. Start again with /kb."
CANCELLED = "Cancelled. Nothing was changed."
TIMEOUT_NOTE = "Your draft stays for 30 minutes; /kb_cancel drops it."
FIX = "Not saved yet. Please fix:\n{problems}\n{again}"

EDIT_PROMPT = (
    "↑ **{title}** as people see it now (revision {rev}).\n"
    "Send the new answer as one message. Bold stays bold (or write \\*\\*like this\\*\\*). Phone numbers belong in the "
    "referral directory, not in answers. " + TIMEOUT_NOTE
)
EDIT_AGAIN = "Send the corrected answer."
TRANSLATION_EDIT_PROMPT = (
    "↑ **{title}** as people writing in {lang} see it now (revision {rev} of the {lang} translation).\n"
    "Send the new {lang} answer as one message. It carries exactly the facts of the English answer (reviewed "
    "{reviewed}): the same figures, nothing added or dropped, and no phone numbers (they come from the referral "
    "directory). Publishing marks the translation reviewed today, following that English text.\n"
    "**English answer:**\n{english}\n" + TIMEOUT_NOTE
)
NOT_TRANSLATED_YET = (
    "'{id}' has no {lang} translation yet: people writing in {lang} get the English answer with one line saying "
    "so. A new translation (title, at least 8 phrasings and the answer) comes in with `awarebot kb import` "
    "(entries/{lang}/ of an export)."
)
UNKNOWN_LANGUAGE = "There is no language '{lang}' to edit. Languages: {langs}."
PREVIEW_READY = (
    "↑ **Preview**: exactly what people will see. {how}\nSend another text to change it again."
)
HOW_PUBLISH = "Publish makes it live at once."
HOW_REVIEW = "Submit sends it to a reviewer; it goes live when another reviewer approves it."

PHRASE_USAGE = (
    "**Question phrasings of {what}** (revision {rev}):\n{questions}\n\n"
    "Send `+ new phrasing` to add one, or `- phrasing` (or `- number`) to remove one. At least {min} are needed. "
    + TIMEOUT_NOTE
)
PHRASE_AGAIN = "Send + phrasing to add or - phrasing to remove."
EXAMPLES_USAGE = (
    "**Training examples {key}** (revision {rev}): messages the models learn should be treated as **{label}**.\n"
    "{texts}\n\nSend `+ example` to add one (written for the purpose, never a real person's message), or "
    "`- example` (or `- number`) to remove one. " + TIMEOUT_NOTE
)
EXAMPLES_NEED = (
    "Which examples? /kb_examples LANG LABEL, e.g. /kb_examples en urgent + he has my passport and i can't leave. "
    "Labels: urgent, referral, off_topic, general, answer:ENTRY, near_miss:ENTRY, smalltalk:greeting…"
)
EXAMPLES_READY = (
    "**Examples {key} after your change** ({n}):\n{texts}\n\n**Preview**, reply today → once learned:\n{today}\n"
    "The models are retrained when this is published. {how}\nSend more + or - lines to change it again."
)
EXAMPLES_AGAIN = "Send + example to add or - example to remove."
PHRASE_READY = (
    "**Phrasings of {what} after your change:**\n{questions}\n\n{how}\nSend more + or - lines to change it again."
)

NEW_STEPS = {
    "id": "**New entry** — step 1 of 7: send its **id**: lowercase words joined by hyphens, e.g. `grooming-online`. "
    + TIMEOUT_NOTE,
    "title": "Step 2 of 7: send the **title** (at most 80 characters), e.g. `How online grooming works`.",
    "category": "Step 3 of 7: pick the **category**.",
    "questions": (
        "Step 4 of 7: send the **questions** people ask, in their own words: one per line, in one message or "
        "several. At least " + str(MIN_QUESTIONS) + " are needed."
    ),
    "answer": "Step 5 of 7: send the **answer** as one message (at most 1200 characters, no phone numbers).",
    "related": "Step 6 of 7: send the ids of **related** entries separated by spaces, or - for none.",
    "sources": "Step 7 of 7: send the **sources** (URLs or short references), one per line.",
}
QUESTIONS_SO_FAR = "{n} question(s) so far{need}."
REGION_PROMPT = (
    "↑ **{name}** as people see it now (revision {rev}).\nPick the field to change. Every change needs the URL "
    "of the source you checked it against and the date you verified it. " + TIMEOUT_NOTE
)
REGION_VALUE = "**{label}** is now: {current}\nSend the new value, or - to remove it."
REGION_SOURCE = (
    "Send the **source URL** (http or https) of the page where you verified this value. It is required: "
    "the numbers people call must be traceable."
)
REGION_VERIFIED = "Send the **date you verified** it (YYYY-MM-DD), or `today`."
REGION_READY = "↑ **Preview** of the hotline card with your change. {how}"

PUBLISHED = "✅ Published as revision {rev} of {what}. The next question gets it; no restart needed."
# A write that did not reach the database: say so, keep the draft and offer the same button again.
NOT_SAVED = (
    "⚠️ Not saved: {reason}. Nothing was published and your draft is kept; try again, or tell whoever runs "
    "the bot."
)
NOT_SAVED_REASONS = {
    "StoreUnavailable": "the database file is missing or unusable",
}
NOT_SAVED_OTHER = "the database refused the write"
SUBMITTED = "📝 Submitted as revision {rev} of {what}. A reviewer will look at it; you'll get a message."
CONFLICT = (
    "⚠️ **Not saved: {what} changed meanwhile.** Revision {rev} was published after you started. "
    "↑ That is the newer version. {redo}"
)
CONFLICT_REDO_ENTRY = "Send your answer again, based on it (or /kb_cancel)."
CONFLICT_REDO_PHRASE = "Send your + or - lines again (or /kb_cancel)."
CONFLICT_REDO_REGION = "Pick the field again (or /kb_cancel)."
REVIEW_WAITING = "📝 {author} submitted revision {rev} of {what} for review. Send /kb_pending to see it."
APPROVED_NOTICE = "✅ Your change to {what} (revision {rev}) was approved by {reviewer} and is live now."
REJECTED_NOTICE = "Your change to {what} (revision {rev}) was not approved by {reviewer}.{note}"
NEW_TAKEN = (
    "⚠️ **Not saved:** an entry '{id}' was published meanwhile (revision {rev}). ↑ That is it. Start again with "
    "another id (/kb_new), or change this one with /kb_edit {id}."
)
SELF_APPROVAL = "You made this change, so another reviewer must approve it (four eyes)."


class ModerationError(Exception):
    """Something to tell the moderator instead of going on; str() is the message (light markup)."""


class Step(StrEnum):
    """Where a draft is: which text or button the moderator's next message answers."""
    ANSWER = "answer"  # /kb_edit and the new-entry answer
    PHRASES = "phrases"
    ID = "id"
    TITLE = "title"
    CATEGORY = "category"
    QUESTIONS = "questions"
    RELATED = "related"
    SOURCES = "sources"
    FIELD = "field"  # /referral_edit: which field
    VALUE = "value"
    SOURCE_URL = "source-url"
    VERIFIED = "verified"
    CONFIRM = "confirm"  # a preview is shown with Publish / Cancel


class Flow(StrEnum):
    """Which kind of change a draft is: an answer, phrasings, examples, a new entry or a region."""
    EDIT = "edit"
    PHRASE = "phrase"
    EXAMPLES = "examples"
    NEW = "new"
    REGION = "region"


@dataclass(frozen=True, slots=True)
class Draft:
    """A change being prepared: kind/key, the published revision it was made from, the full new content.

    `content` is replaced, never mutated, so a draft shown in a preview stays what was shown.
    """

    kind: str  # "entry" | "region"
    key: str
    base_rev: int
    content: dict[str, Any]
    is_new: bool = False

    @property
    def what(self) -> str:
        """How the item is named to moderators: "entry 'x'", "region GB" or "examples en.urgent"."""
        return label(self.kind, self.key)

    def replace(self, content: dict[str, Any]) -> Draft:
        """The same draft with new `content` (drafts are never mutated, so a preview stays what was shown)."""
        return dataclasses.replace(self, content=content)


@dataclass(slots=True)
class Session:
    """One moderator's draft in progress: the flow, the step, the draft and what it started from."""
    flow: Flow
    step: Step
    draft: Draft
    field: str | None = None  # /referral_edit: the field being changed
    before: dict[str, Any] | None = None  # /kb_examples: the content the draft started from
    before_field: dict[str, Any] | None = None  # region content before the field change (to undo a step)
    touched: float = 0.0


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for another moderator (the author of a reviewed change, the reviewers of a new one)."""

    user_id: int
    body: str


@dataclass(frozen=True, slots=True)
class Say:
    """What to tell the moderator: `preview` (a Reply exactly as people see it) first, then `body` + buttons."""

    body: str
    buttons: tuple[Button, ...] = ()
    preview: Reply | None = None
    notices: tuple[Notice, ...] = ()


class Sessions:
    """Moderator id → Session, in memory, each forgotten `ttl` seconds after its last use."""

    def __init__(self, ttl: float = SESSION_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._sessions: dict[int, Session] = {}

    def get(self, user_id: int) -> Session | None:
        """The moderator's session, or None when there is none or it expired (then it is dropped)."""
        session = self._sessions.get(user_id)
        if session is not None and self._clock() - session.touched > self.ttl:
            del self._sessions[user_id]
            return None
        return session

    def put(self, user_id: int, session: Session) -> Session:
        """Store `session` for the moderator and restart its timeout; returns it."""
        session.touched = self._clock()
        self._sessions[user_id] = session
        return session

    def drop(self, user_id: int) -> bool:
        """Forget the moderator's session; True when there was one."""
        return self._sessions.pop(user_id, None) is not None

    def awaiting_text(self, user_id: int) -> bool:
        """True while the moderator's next text message belongs to a draft (not a question to answer)."""
        session = self.get(user_id)
        return session is not None and session.step not in (Step.CATEGORY, Step.FIELD)

    def __len__(self) -> int:
        return sum(1 for user_id in list(self._sessions) if self.get(user_id) is not None)


def _answers(method: Callable[P, Awaitable[Say]]) -> Callable[P, Awaitable[Say]]:
    """A ModerationError raised anywhere below becomes what the moderator is told."""

    @wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Say:
        try:
            return await method(*args, **kwargs)
        except ModerationError as exc:
            return Say(str(exc))
        except (StoreDown, StoreBusy):  # a database server went away (or a file stayed locked): refuse clearly
            return Say(DATABASE_DOWN)

    return wrapper


# --- pure helpers -------------------------------------------------------------------------------------------------


def bullet_list(items: list[str]) -> str:
    """Items as '• item' lines."""
    return "\n".join(f"• {item}" for item in items)


def change_phrasings(questions: list[str], line: str) -> list[str]:
    """`+ text` adds a phrasing, `- text` or `- 3` removes one; raises ModerationError on anything else."""
    line = line.strip()
    op, text = line[:1], line[1:].strip()
    if not op or op not in "+-" or not text:
        raise ModerationError(f"Start the line with + to add or - to remove a phrasing: {literal(repr(line[:80]))}")
    if op == "+":
        return [*questions, text]
    number = ascii_number(text)
    if number is not None and 1 <= number <= len(questions):
        index = number - 1
    else:
        wanted = normalize(text)
        matches = [i for i, q in enumerate(questions) if normalize(q) == wanted]
        if not matches:
            raise ModerationError(f"'{text[:80]}' is not one of the phrasings; send - and its number instead.")
        index = matches[0]
    return questions[:index] + questions[index + 1:]


def numbered(items: list[str]) -> str:
    """Items as '1. item' lines."""
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


# Region fields a moderator may change, by path: "emergency", "h<i>.<key>" (hotline i), "a.<key>" (authority).
HOTLINE_FIELDS = ("phone", "sms", "web", "hours")
AUTHORITY_FIELDS = ("name", "phone", "web", "email", "how_to_report")


def region_fields(content: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, label) of every editable field of a region, in card order."""
    fields = [("emergency", "Emergency number")]
    for i, hotline in enumerate(content.get("hotlines") or []):
        name = _short(str(hotline.get("name", f"Hotline {i + 1}")), 22)
        fields += [(f"h{i}.{key}", f"{name}: {key}") for key in HOTLINE_FIELDS]
    if content.get("authority"):
        fields += [(f"a.{key}", f"Report: {key.replace('_', ' ')}") for key in AUTHORITY_FIELDS]
    return fields


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quoted(text: str, limit: int) -> str:
    """What someone typed, shortened, as light markup showing exactly those characters (never bold, never HTML)."""
    return literal(_short(text, limit))


def field_holder(content: dict[str, Any], path: str) -> tuple[dict[str, Any], str, str]:
    """(the dict holding the field, the field's key, the key of that dict's source URL) for a field path."""
    if path == "emergency":
        return content, "emergency", "emergency_source"
    head, _, key = path.partition(".")
    if head == "a" and key in AUTHORITY_FIELDS and isinstance(content.get("authority"), dict):
        return content["authority"], key, "source"
    position = ascii_number(head[1:]) if head[:1] == "h" else None
    if position is not None and key in HOTLINE_FIELDS:
        hotlines = content.get("hotlines") or []
        index = position
        if index < len(hotlines):
            return hotlines[index], key, "source"
    raise ModerationError(f"There is no field '{path}' to change here.")


def describe_change(kind: str, old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """What a revision changes, for the reviewer: lists as +/- lines, the answer in full, other fields old → new."""
    if kind == "example":
        before, after = list((old or {}).get("texts") or []), list(new.get("texts") or [])
        changes = [f"+ example: {t}" for t in after if t not in before]
        changes += [f"− example: {t}" for t in before if t not in after]
        return "\n".join(changes) or "No change."
    if old is None:
        entry = partial_entry(new) if kind == "entry" else None
        if entry is not None:
            return (
                f"New entry **{entry.title}** ({entry.category})\nQuestions:\n{bullet_list(list(entry.questions))}\n"
                f"Answer:\n{entry.answer}\nRelated: {', '.join(entry.related) or '—'}\n"
                f"Sources: {', '.join(entry.sources)}"
            )
        return "\n".join(f"{k}: {v}" for k, v in flatten(new).items())
    lines: list[str] = []
    if kind in ("entry", "translation"):
        for key in ("questions", "keywords", "related", "sources"):
            before, after = list(old.get(key) or []), list(new.get(key) or [])
            lines += [f"+ {key[:-1] if key.endswith('s') else key}: {v}" for v in after if v not in before]
            lines += [f"− {key[:-1] if key.endswith('s') else key}: {v}" for v in before if v not in after]
        for key in ("title", "category", "reviewed", "source_reviewed"):
            if old.get(key) != new.get(key) and (key in old or key in new):
                lines.append(f"{key}: {old.get(key, '—')} → {new.get(key, '—')}")
        if str(old.get("answer", "")).strip() != str(new.get("answer", "")).strip():
            lines.append(f"New answer:\n{str(new.get('answer', '')).strip()}")
        return "\n".join(lines) or "No change."
    old_leaves, new_leaves = flatten(old), flatten(new)
    for path in [*new_leaves, *(p for p in old_leaves if p not in new_leaves)]:
        if old_leaves.get(path) != new_leaves.get(path):
            lines.append(f"{path}: {old_leaves.get(path, '—')} → {new_leaves.get(path, '—')}")
    return "\n".join(lines) or "No change."


def when(timestamp: str | None) -> str:
    """'2026-11-28T18:23:43+00:00' → '2026-11-28 18:23 UTC'."""
    if not timestamp:
        return "?"
    try:
        return datetime.fromisoformat(timestamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return timestamp


def format_stats(stats: dict[str, Any], days: int, titles: dict[str, str]) -> str:
    """The /kb_stats text: totals, by day (newest first), by entry (most served first). Counts only."""

    def votes(row: dict[str, int]) -> str:
        return f"👍 {row['up']} · 👎 {row['down']}"

    lines = [
        f"**Usage in the last {days} day(s)** (counts only; nothing people wrote is kept)",
        f"Answers served: {stats['served']} · fell back: {stats['fallback']} · urgent: {stats['urgent']} · "
        f"hotline cards: {stats['referral']} · {votes(stats)}",
    ]
    day_rows = sorted(stats["days"].items(), reverse=True)
    if day_rows:
        lines += ["", "**By day**"]
        for day, row in day_rows[:STATS_SHOWN_DAYS]:
            lines.append(
                f"{day}: served {row['served']} · fell back {row['fallback']} · urgent {row['urgent']} · "
                f"hotline {row['referral']} · {votes(row)}"
            )
    entries = sorted(stats["entries"].items(), key=lambda kv: (-kv[1]["served"], kv[0]))
    if entries:
        lines += ["", "**By entry** (most served first)"]
        for entry_id, row in entries[:STATS_SHOWN_ENTRIES]:
            lines.append(f"{titles.get(entry_id, entry_id)} ({entry_id}): served {row['served']} · {votes(row)}")
        if len(entries) > STATS_SHOWN_ENTRIES:
            lines.append(f"… and {len(entries) - STATS_SHOWN_ENTRIES} more")
    if not day_rows:
        lines.append("No questions counted yet in this period.")
    return "\n".join(lines)


# --- the service --------------------------------------------------------------------------------------------------


class Moderation:
    """Moderators' view of the knowledge: read it, draft changes, review, publish, revert, report.

    `store` is a callable because the database is opened after the front end is built (and may fail to open:
    then every write answers UNAVAILABLE while people keep being answered from the bundled knowledge).
    """

    def __init__(
        self,
        config: Config,
        live: LiveEngine,
        store: Callable[[], Storage | None],
        *,
        sessions: Sessions | None = None,
        today: Callable[[], date] = date.today,
        sync: KnowledgeSync | None = None,
    ) -> None:
        self.config = config
        self.live = live
        self._store = store
        self.sessions = sessions or Sessions()
        self._today = today
        # Every write goes through the one revision service the command line uses too; its rebuilds go through
        # the application's knowledge sync (which also brings in other workers' publishes).
        self.revisions = RevisionService(config, store, live, today=today, sync=sync)

    # -- who ---------------------------------------------------------------------------------------------------

    def moderator(self, user_id: int) -> Moderator | None:
        """The configured moderator with Telegram user id `user_id`, or None."""
        return next((m for m in self.config.moderation.moderators if m.id == user_id), None)

    def is_moderator(self, user_id: int) -> bool:
        """True when `user_id` is a configured moderator (editor or reviewer)."""
        return self.moderator(user_id) is not None

    def is_reviewer(self, user_id: int) -> bool:
        """True when `user_id` is a configured reviewer."""
        return self.config.moderation.role_of(user_id) is Role.REVIEWER

    @property
    def available(self) -> bool:
        """True when the database is open, so changes can be saved."""
        return self.revisions.available

    def _require(self, user_id: int, *, reviewer: str | None = None) -> Moderator:
        """The moderator, or ModerationError; `reviewer` names what only reviewers may do."""
        moderator = self.moderator(user_id)
        if moderator is None:
            raise ModerationError(NOT_MODERATOR)
        if reviewer is not None and moderator.role is not Role.REVIEWER:
            raise ModerationError(NOT_REVIEWER.format(what=reviewer))
        return moderator

    def _require_store(self) -> Storage:
        try:
            return self.revisions.store()
        except NoDatabase:
            raise ModerationError(UNAVAILABLE) from None

    def publishes_directly(self) -> bool:
        """Review off: every moderator publishes. Review on: every change waits for another reviewer."""
        return not self.config.moderation.require_review

    def _how(self) -> tuple[str, tuple[Button, ...]]:
        if self.publishes_directly():
            return HOW_PUBLISH, (Button("✅ Publish", PUBLISH), Button("Cancel", CANCEL))
        return HOW_REVIEW, (Button("📝 Submit for review", PUBLISH), Button("Cancel", CANCEL))

    # -- reading -----------------------------------------------------------------------------------------------

    async def baseline(self) -> tuple[Knowledge, ReferralDirectory]:
        """The bundled YAML (revision 0 of everything), loaded once, off the event loop."""
        return await self.revisions.baseline()

    async def _entry_draft(self, entry_id: str) -> Draft:
        if not entry_id:
            raise ModerationError(NEED_ID)
        if not ID_PATTERN.match(entry_id):
            raise ModerationError(UNKNOWN_ENTRY.format(id=_quoted(entry_id, 60)))
        head = await self._require_store().published_head("entry", entry_id)
        if head is not None:
            return Draft("entry", entry_id, head.rev, head.content)
        entry = (await self.baseline())[0].get(entry_id)
        if entry is None:
            raise ModerationError(UNKNOWN_ENTRY.format(id=entry_id))
        return Draft("entry", entry_id, 0, entry.to_data())

    def _edit_language(self, lang: str) -> str:
        """A language an entry can be translated into (lower case), or ModerationError naming them."""
        wanted = lang.strip().lower()
        languages = [code for code in self.live.current.languages() if code != "en"]
        if wanted not in languages:
            raise ModerationError(UNKNOWN_LANGUAGE.format(lang=_quoted(lang, 10), langs=", ".join(languages)))
        return wanted

    async def _translation_draft(self, entry_id: str, lang: str) -> Draft:
        """The published (or bundled) translation of an entry into `lang`; ModerationError when the entry is
        unknown or not translated into that language yet."""
        if not entry_id:
            raise ModerationError(NEED_ID)
        if not ID_PATTERN.match(entry_id) or entry_id not in self.live.current.knowledge.entries:
            raise ModerationError(UNKNOWN_ENTRY.format(id=_quoted(entry_id, 60)))
        lang = self._edit_language(lang)
        self._require_store()
        key = translation_key(lang, entry_id)
        current = await self.revisions.current("translation", key)
        if current is None:
            raise ModerationError(NOT_TRANSLATED_YET.format(id=entry_id, lang=lang))
        return Draft("translation", key, current[0], current[1])

    def _region_code(self, code: str) -> str:
        wanted = (code or "").strip().upper()
        referrals = self.live.current.referrals
        if not wanted:
            raise ModerationError(NEED_CODE.format(codes=", ".join(referrals.codes())))
        if wanted not in referrals.codes():
            raise ModerationError(UNKNOWN_REGION.format(code=_quoted(code, 12), codes=", ".join(referrals.codes())))
        return wanted

    async def _region_draft(self, code: str) -> Draft:
        code = self._region_code(code)
        head = await self._require_store().published_head("region", code)
        if head is not None:
            return Draft("region", code, head.rev, head.content)
        regions = {r["code"]: r for r in (await self.baseline())[1].to_data()["regions"]}
        if code not in regions:
            raise ModerationError(UNKNOWN_REGION.format(code=code, codes=", ".join(regions)))
        return Draft("region", code, 0, regions[code])

    async def _example_draft(self, key: str) -> Draft:
        parsed = parse_example_key(key)
        if parsed is None:
            raise ModerationError(EXAMPLES_NEED)
        if parsed[1].startswith(("answer:", "near_miss:")) and \
                parsed[1].split(":", 1)[1] not in self.live.current.knowledge.entries:
            raise ModerationError(UNKNOWN_ENTRY.format(id=_short(parsed[1].split(":", 1)[1], 60)))
        self._require_store()
        current = await self.revisions.current("example", key)
        if current is None:  # a (language, label) without examples yet
            return Draft("example", key, 0, {"lang": parsed[0], "label": parsed[1], "texts": []})
        return Draft("example", key, current[0], current[1])

    async def _draft_of(self, kind: str, key: str) -> Draft:
        if kind == "example":
            return await self._example_draft(key)
        if kind == "translation":
            lang, entry_id = parse_translation_key(key) or ("", key)
            return await self._translation_draft(entry_id, lang)
        return await (self._entry_draft(key) if kind == "entry" else self._region_draft(key))

    def _kind_of(self, key: str) -> str:
        """History and revert take an entry id, a region code or an examples key (entry ids win: lower case)."""
        key = key.strip()
        if key in self.live.current.knowledge.entries:
            return "entry"
        if parse_example_key(key):
            return "example"
        if parse_translation_key(key):
            return "translation"
        return "region" if REGION_KEY.match(key.upper()) else "entry"

    # -- previews ----------------------------------------------------------------------------------------------

    async def preview(self, draft: Draft, region: str | None) -> Reply | None:
        """The draft exactly as people will see it, from a throwaway engine (the live one is not touched); None for
        examples, which change what the models learn, not a card (their preview is what people get today)."""
        current = self.live.current
        if draft.kind == "example":
            return None
        if draft.kind == "region":
            # Knowledge is unchanged, so the live models still fit it.
            engine = dataclasses.replace(current, referrals=with_region(current.referrals, draft.content))
            return engine.hotline_reply(draft.key)
        if draft.kind == "translation":
            lang, entry_id = parse_translation_key(draft.key) or ("", draft.key)
            translated = translation_from_data(draft.content, lang)
            # Exactly what a person writing in that language gets: its interface strings, referral labels and the
            # directory's notes; the live models serve it (answer text is not what they learn from).
            engine = dataclasses.replace(
                current, knowledge=current.knowledge.with_translations({(lang, entry_id): translated}))
            return engine.entry_reply(entry_id, region, lang)
        entry = partial_entry(draft.content)
        # The card needs the entry and the referrals only: the live models serve the preview (no retraining).
        engine = dataclasses.replace(current, knowledge=current.knowledge.with_entries({entry.id: entry}))
        return engine.entry_reply(entry.id, region)

    async def _ready(self, session: Session, region: str | None) -> Say:
        """Move to the confirm step with a preview."""
        session.step = Step.CONFIRM
        how, buttons = self._how()
        draft = session.draft
        if session.flow is Flow.PHRASE:
            questions = numbered(list(draft.content["questions"]))
            return Say(PHRASE_READY.format(what=_phrased(draft), questions=questions, how=how), buttons)
        if session.flow is Flow.EXAMPLES:
            return Say(await self._examples_ready(session, region, how), buttons)
        if session.flow is Flow.REGION:
            return Say(
                REGION_READY.format(how=how),
                (buttons[0], Button("Change another field", ANOTHER), buttons[1]),
                preview=await self.preview(draft, region),
            )
        return Say(PREVIEW_READY.format(how=how), buttons, preview=await self.preview(draft, region))

    # -- menu, show, list --------------------------------------------------------------------------------------

    @_answers
    async def menu(self, user_id: int) -> Say:
        """/kb: the moderator's role, whether review is on, what waits, and every command."""
        moderator = self._require(user_id)
        review = "on: every change waits for another reviewer" if not self.publishes_directly() else "off"
        lines = [f"**Moderation** — {moderator.name}, {moderator.role}. Review is {review}."]
        store = self._store()
        if store is None:
            lines.append(UNAVAILABLE)
        else:
            waiting = len(await store.pending())
            lines.append(f"Waiting for review: {waiting}.")
        lines += [
            "",
            "/kb_list [word] — browse or search entries",
            "/kb_show ID [LANG] — an entry and its phrasings (LANG: its translation, as people of that language see it)",
            "/kb_edit ID [LANG] — change an answer (LANG: its translation, e.g. /kb_edit how-to-report es)",
            "/kb_phrase ID [LANG] + text (or - text) — add or remove a phrasing (LANG: of its translation)",
            "/kb_examples LANG LABEL + text — teach what a kind of message is (e.g. en urgent)",
            "/kb_new — a new entry, step by step",
            "/referral_edit CC — a region's numbers",
            "/kb_history ID [LANG] — revisions, with author and time",
            "/kb_pending — changes waiting for review",
            "/kb_stale — what is due for a re-check",
            "/kb_stats [days] — how often entries are served, and votes",
            "/kb_cancel — drop the draft you are working on",
        ]
        if moderator.role is Role.REVIEWER:
            lines.insert(-1, "/kb_revert ID [LANG] REV — bring back an earlier revision")
        return Say("\n".join(lines))

    @_answers
    async def show(self, user_id: int, entry_id: str, region: str | None, lang: str = "") -> Say:
        """/kb_show ID [LANG]: the entry as people see it (preview; in LANG: as a person of that language sees it),
        then its id, revision, phrasings (in LANG: the translation's) and links."""
        self._require(user_id)
        engine = self.live.current
        entry = engine.knowledge.get(entry_id)
        if not entry_id:
            raise ModerationError(NEED_ID)
        if entry is None:
            raise ModerationError(UNKNOWN_ENTRY.format(id=_quoted(entry_id, 60)))
        if lang and lang != "en":
            return self._show_translation(entry, lang.lower(), region)
        store = self._store()
        head = await store.published_head("entry", entry_id) if store is not None else None
        rev = head.rev if head is not None else 0
        body = (
            f"↑ **{entry.title}** — id {entry.id} · {engine.category_title(entry.category)} · "
            f"revision {rev}{' (bundled)' if rev == 0 else ''} · reviewed {entry.reviewed or 'never'}\n"
            f"**Phrasings** ({len(entry.questions)}):\n{numbered(list(entry.questions))}\n"
            f"Related: {', '.join(entry.related) or '—'}\nSources: {', '.join(entry.sources) or '—'}\n"
            f"/kb_edit {entry.id} · /kb_phrase {entry.id} · /kb_history {entry.id}"
        )
        return Say(body, preview=engine.entry_reply(entry_id, region))

    def _show_translation(self, entry: Entry, lang: str, region: str | None) -> Say:
        engine = self.live.current
        if lang not in engine.languages():
            raise ModerationError(f"No language '{_short(lang, 10)}'. Languages: {', '.join(engine.languages())}.")
        translated = engine.knowledge.translation(entry.id, lang)
        preview = engine.entry_reply(entry.id, region, lang)
        if translated is None:
            body = (f"↑ **{entry.title}** — id {entry.id} has no {lang} translation yet: people writing in {lang} "
                    f"get the English answer with one line saying so (preview above).")
            return Say(body, preview=preview)
        stale = " — **older than the English entry** (/kb_stale)" if translated.source_reviewed < entry.reviewed else ""
        body = (
            f"↑ **{translated.title}** — id {entry.id} in {lang} · reviewed {translated.reviewed} · follows the "
            f"English of {translated.source_reviewed or '?'}{stale}\n"
            f"**Phrasings** ({len(translated.questions)}):\n{numbered(list(translated.questions))}\n"
            f"/kb_edit {entry.id} {lang} · /kb_history {entry.id} {lang}"
        )
        return Say(body, preview=preview)

    @_answers
    async def list_entries(self, user_id: int, word: str = "", page: int = 0) -> Say:
        """/kb_list [word]: entries (all, or mentioning the word) as buttons, a page at a time."""
        self._require(user_id)
        if len(word.encode()) > MAX_SEARCH_BYTES:
            raise ModerationError("Search with one shorter word, e.g. /kb_list border.")
        found = search_entries(self.live.current.knowledge, word)
        if not found:
            return Say(f"No entry mentions '{word}'. Try another word, or /kb_list for all.")
        pages = max(1, -(-len(found) // LIST_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        shown = found[page * LIST_PAGE_SIZE:(page + 1) * LIST_PAGE_SIZE]
        buttons = [Button(_short(e.title, 48), f"{SHOW}{e.id}") for e in shown]
        if page > 0:
            buttons.append(Button("◀ Previous", f"{LIST}{page - 1}:{word}"))
        if page < pages - 1:
            buttons.append(Button("Next ▶", f"{LIST}{page + 1}:{word}"))
        about = f" mentioning '{word}'" if word else ""
        return Say(f"**{len(found)} entries{about}** — page {page + 1} of {pages}. Tap one to see it.",
                   tuple(buttons))

    # -- starting flows ----------------------------------------------------------------------------------------

    @_answers
    async def start_edit(self, user_id: int, entry_id: str, region: str | None, lang: str = "") -> Say:
        """/kb_edit ID [LANG]: show the answer as people (of that language) see it and wait for the new answer. In
        LANG the English answer is shown too: the translation must carry exactly its facts."""
        self._require(user_id)
        if lang.strip() and lang.strip().lower() != "en":
            draft = await self._translation_draft(entry_id, lang)
            self.sessions.put(user_id, Session(Flow.EDIT, Step.ANSWER, draft))
            english = self.live.current.knowledge.entries[draft.content["id"]]
            code = draft.key.partition(":")[0]
            return Say(TRANSLATION_EDIT_PROMPT.format(title=draft.content.get("title", entry_id), lang=code,
                                                      rev=draft.base_rev, reviewed=english.reviewed or "never",
                                                      english=english.answer),
                       (Button("Cancel", CANCEL),), preview=await self.preview(draft, region))
        draft = await self._entry_draft(entry_id)
        self.sessions.put(user_id, Session(Flow.EDIT, Step.ANSWER, draft))
        current = await self.preview(draft, region)
        return Say(EDIT_PROMPT.format(title=draft.content.get("title", entry_id), rev=draft.base_rev),
                   (Button("Cancel", CANCEL),), preview=current)

    @_answers
    async def start_phrase(self, user_id: int, entry_id: str, change: str, region: str | None,
                           lang: str = "") -> Say:
        """`/kb_phrase ID [LANG]` lists the phrasings (of the LANG translation) and waits for +/- lines;
        `/kb_phrase ID [LANG] + text` goes straight on. Publishing a phrasing retrains the models."""
        self._require(user_id)
        translated = bool(lang.strip()) and lang.strip().lower() != "en"
        draft = await (self._translation_draft(entry_id, lang) if translated else self._entry_draft(entry_id))
        session = self.sessions.put(user_id, Session(Flow.PHRASE, Step.PHRASES, draft))
        if change.strip():
            return await self._phrase_lines(session, change, region)
        return Say(
            PHRASE_USAGE.format(
                what=_phrased(draft), rev=draft.base_rev, questions=numbered(list(draft.content["questions"])),
                min=MIN_TRANSLATED_QUESTIONS if translated else MIN_QUESTIONS,
            ),
            (Button("Cancel", CANCEL),),
        )

    @_answers
    async def start_examples(self, user_id: int, lang: str, example_label: str, change: str,
                             region: str | None) -> Say:
        """`/kb_examples en urgent` lists those examples and waits for +/- lines; with `+ text` it goes straight on.
        The same draft, preview, review and revert as answers; publishing retrains the models."""
        self._require(user_id)
        if not lang.strip() or not example_label.strip():
            raise ModerationError(EXAMPLES_NEED)
        draft = await self._example_draft(example_key(lang.strip().lower(), example_label.strip()))
        session = self.sessions.put(user_id, Session(Flow.EXAMPLES, Step.PHRASES, draft, before=draft.content))
        if change.strip():
            return await self._example_lines(session, change, region)
        return Say(
            EXAMPLES_USAGE.format(key=draft.key, rev=draft.base_rev, label=draft.content["label"],
                                  texts=numbered(list(draft.content["texts"])) or "(none yet)"),
            (Button("Cancel", CANCEL),),
        )

    async def _example_lines(self, session: Session, text: str, region: str | None) -> Say:
        texts = list(session.draft.content["texts"])
        for line in (part for part in text.splitlines() if part.strip()):
            try:
                texts = change_phrasings(texts, line)
            except ModerationError as exc:
                return Say(FIX.format(problems=bullet_list([str(exc)]), again=EXAMPLES_AGAIN),
                           (Button("Cancel", CANCEL),))
        content = {**session.draft.content, "texts": texts}
        problems = example_problems(content, self.live.current.knowledge)
        if problems:
            return Say(FIX.format(problems=bullet_list(problems), again=EXAMPLES_AGAIN), (Button("Cancel", CANCEL),))
        session.draft = session.draft.replace(content)
        return await self._ready(session, region)

    async def _examples_ready(self, session: Session, region: str | None, how: str) -> str:
        """The examples after the change and, for each added one, the reply people get today and the one they
        would get once the models learn it (from a throwaway engine trained off the event loop; publishing the
        same content reuses those models)."""
        texts = list(session.draft.content["texts"])
        before = set((session.before or {}).get("texts", []))
        current = self.live.current
        key = (session.draft.content["lang"], session.draft.content["label"])
        after = await asyncio.to_thread(
            Engine.build, current.knowledge.with_examples({key: tuple(texts)}), current.referrals,
            current.matching, current.default_region, current.version,
        )

        def said(reply: Reply) -> str:
            return reply.kind.value + (f" ({reply.entry_id})" if reply.entry_id else "")

        today = [f"• {_short(text, 60)}: {said(current.respond(text, region))} → {said(after.respond(text, region))}"
                 for text in texts if text not in before]
        return EXAMPLES_READY.format(key=session.draft.key, n=len(texts), texts=numbered(texts),
                                     today="\n".join(today) or "• (only removals)", how=how)

    @_answers
    async def start_new(self, user_id: int) -> Say:
        """/kb_new: a new entry, one field per step (id, title, category, questions, answer, …)."""
        self._require(user_id)
        self._require_store()
        draft = Draft("entry", "", 0, {}, is_new=True)
        self.sessions.put(user_id, Session(Flow.NEW, Step.ID, draft))
        return Say(NEW_STEPS["id"], (Button("Cancel", CANCEL),))

    @_answers
    async def start_region(self, user_id: int, code: str, region: str | None) -> Say:
        """/referral_edit CC: the region's card, its provenance and a button per editable field."""
        self._require(user_id)
        draft = await self._region_draft(code)
        self.sessions.put(user_id, Session(Flow.REGION, Step.FIELD, draft))
        return await self._field_menu(draft, region)

    async def _field_menu(self, draft: Draft, region: str | None) -> Say:
        buttons = tuple(Button(label, f"{FIELD}{path}") for path, label in region_fields(draft.content))
        try:
            shown = with_region(self.live.current.referrals, draft.content).get(draft.key)
        except KnowledgeError:
            shown = self.live.current.referrals.get(draft.key)
        return Say(
            REGION_PROMPT.format(name=draft.content.get("name", draft.key), rev=draft.base_rev)
            + "\n" + referral_provenance(shown),
            (*buttons, Button("Cancel", CANCEL)),
            preview=await self.preview(draft, region),
        )

    @_answers
    async def cancel(self, user_id: int) -> Say:
        """/kb_cancel: drop the draft in progress; nothing is changed."""
        self._require(user_id)
        self.sessions.drop(user_id)
        return Say(CANCELLED)

    # -- text during a flow ------------------------------------------------------------------------------------

    @_answers
    async def text(self, user_id: int, text: str, region: str | None) -> Say:
        """A text message while a draft waits for one: the next step, or what to fix (the step stays)."""
        self._require(user_id)
        session = self.sessions.get(user_id)
        if session is None:
            raise ModerationError(NO_SESSION)
        self.sessions.put(user_id, session)  # still working on it: the timeout starts again
        flow, step = session.flow, session.step
        if flow is Flow.EDIT:
            return await self._answer_text(session, text, region)
        if flow is Flow.PHRASE:
            return await self._phrase_lines(session, text, region)
        if flow is Flow.EXAMPLES:
            return await self._example_lines(session, text, region)
        if flow is Flow.REGION:
            return await self._region_text(session, text, region)
        if step is Step.ANSWER or step is Step.CONFIRM:
            return await self._answer_text(session, text, region)
        return await self._new_entry_text(session, text, region)

    async def _answer_text(self, session: Session, text: str, region: str | None) -> Say:
        if session.draft.kind == "translation":
            return await self._translation_text(session, text, region)
        content = {**session.draft.content, "answer": text.strip() + "\n", "reviewed": self._today().isoformat()}
        problems = entry_problems(content, self.live.current.knowledge, self._asked(session, "answer"))
        if problems:
            return Say(FIX.format(problems=bullet_list(problems), again=EDIT_AGAIN), (Button("Cancel", CANCEL),))
        session.draft = session.draft.replace(content)
        if session.flow is Flow.NEW and session.step is Step.ANSWER:
            session.step = Step.RELATED
            return Say(NEW_STEPS["related"], (Button("None", f"{DONE}"), Button("Cancel", CANCEL)))
        return await self._ready(session, region)

    async def _translation_text(self, session: Session, text: str, region: str | None) -> Say:
        """A new answer for a translation: the loader's rules (bot.kb.content.translation_problems), reviewed today
        against the English entry in effect."""
        knowledge = self.live.current.knowledge
        lang, entry_id = parse_translation_key(session.draft.key) or ("", "")
        english = knowledge.entries.get(entry_id)
        if english is None:
            raise ModerationError(UNKNOWN_ENTRY.format(id=entry_id))
        content = edited_translation(session.draft.content, english, self._today(), answer=text)
        problems = translation_problems(content, knowledge, lang)
        if problems:
            return Say(FIX.format(problems=bullet_list(problems), again=EDIT_AGAIN), (Button("Cancel", CANCEL),))
        session.draft = session.draft.replace(content)
        return await self._ready(session, region)

    def _asked(self, session: Session, current: str) -> frozenset[str] | None:
        """For a new entry: the fields collected up to and including `current`; None means check everything."""
        if session.flow is not Flow.NEW or session.step is Step.CONFIRM:
            return None
        order = ["id", "title", "category", "questions", "answer", "related", "sources"]
        return frozenset(order[: order.index(current) + 1])

    async def _phrase_lines(self, session: Session, text: str, region: str | None) -> Say:
        questions = list(session.draft.content["questions"])
        for line in (part for part in text.splitlines() if part.strip()):
            try:
                questions = change_phrasings(questions, line)
            except ModerationError as exc:
                return Say(FIX.format(problems=bullet_list([str(exc)]), again=PHRASE_AGAIN),
                           (Button("Cancel", CANCEL),))
        content = {**session.draft.content, "questions": questions}
        knowledge = self.live.current.knowledge
        if session.draft.kind == "translation":
            problems = translation_problems(content, knowledge, session.draft.key.partition(":")[0])
        else:
            problems = entry_problems(content, knowledge)
        if problems:
            return Say(FIX.format(problems=bullet_list(problems), again=PHRASE_AGAIN), (Button("Cancel", CANCEL),))
        session.draft = session.draft.replace(content)
        return await self._ready(session, region)

    async def _new_entry_text(self, session: Session, text: str, region: str | None) -> Say:
        """The id, title, category, questions, related and sources steps of /kb_new."""
        step, content = session.step, dict(session.draft.content)
        text = text.strip()
        cancel = Button("Cancel", CANCEL)
        if step is Step.ID:
            entry_id = text.lower()
            if len(entry_id) > MAX_NEW_ID_CHARS:
                return Say(FIX.format(problems=bullet_list([f"Use at most {MAX_NEW_ID_CHARS} characters."]),
                                      again="Send a shorter id."), (cancel,))
            if entry_id in self.live.current.knowledge.entries:
                return Say(FIX.format(problems=bullet_list([f"'{entry_id}' exists already (/kb_show {entry_id})."]),
                                      again="Send another id."), (cancel,))
            content["id"] = entry_id
        elif step is Step.TITLE:
            content["title"] = text
        elif step is Step.QUESTIONS:
            content["questions"] = [*content.get("questions", []), *(q.strip() for q in text.splitlines() if q.strip())]
        elif step is Step.RELATED:
            content["related"] = [] if text in ("-", "—") else [r for r in re.split(r"[\s,]+", text) if r]
        elif step is Step.SOURCES:
            content["sources"] = [s.strip() for s in text.splitlines() if s.strip()]
            content["reviewed"] = self._today().isoformat()
        elif step is Step.CATEGORY:
            content["category"] = text.lower()
        problems = entry_problems(content, self.live.current.knowledge, self._asked(session, step.value))
        if step is Step.QUESTIONS:  # the minimum is counted down step by step below, not an error yet
            problems = [p for p in problems if not p.endswith(f"at least {MIN_QUESTIONS} needed")]
        if problems:
            return Say(FIX.format(problems=bullet_list(problems), again=f"Send the {step.value} again."), (cancel,))
        session.draft = Draft("entry", content["id"], 0, content, is_new=True)
        if step is Step.SOURCES:
            return await self._ready(session, region)
        return self._next_new_step(session)

    def _next_new_step(self, session: Session) -> Say:
        cancel = Button("Cancel", CANCEL)
        content = session.draft.content
        if session.step is Step.QUESTIONS:
            count = len(content.get("questions", []))
            if count < MIN_QUESTIONS:
                need = f"; at least {MIN_QUESTIONS} are needed, send {MIN_QUESTIONS - count} more"
                return Say(QUESTIONS_SO_FAR.format(n=count, need=need), (cancel,))
            return Say(
                QUESTIONS_SO_FAR.format(n=count, need="") + " Send more, or tap Done.",
                (Button("Done", DONE), cancel),
            )
        order = [Step.ID, Step.TITLE, Step.CATEGORY, Step.QUESTIONS, Step.ANSWER, Step.RELATED, Step.SOURCES]
        session.step = order[order.index(session.step) + 1]
        if session.step is Step.CATEGORY:
            buttons = tuple(Button(title, f"{CATEGORY}{key}") for key, title in CATEGORY_TITLES.items())
            return Say(NEW_STEPS["category"], (*buttons, cancel))
        if session.step is Step.RELATED:
            return Say(NEW_STEPS["related"], (Button("None", DONE), cancel))
        return Say(NEW_STEPS[session.step.value], (cancel,))

    async def _region_text(self, session: Session, text: str, region: str | None) -> Say:
        cancel = Button("Cancel", CANCEL)
        if session.step is Step.CONFIRM or session.step is Step.FIELD:
            return await self._field_menu(session.draft, region)
        content = copy.deepcopy(session.draft.content)
        holder, key, source_key = field_holder(content, session.field or "")
        value = text.strip()
        if session.step is Step.VALUE:
            if value in ("-", "—"):
                holder.pop(key, None)
            else:
                holder[key] = value
            if key == "phone":
                holder.pop("phone_check", None)  # a "manual" exception was about the old number
            again, next_step, prompt = "Send the value again, or - to remove it.", Step.SOURCE_URL, REGION_SOURCE
        elif session.step is Step.SOURCE_URL:
            if not value or value in ("-", "—"):
                return Say(FIX.format(problems=bullet_list(["A source URL is required."]), again=REGION_SOURCE),
                           (cancel,))
            if holder.get(source_key) != value:
                holder[source_key] = value
                holder.pop("source_date", None)  # it dated the old source page
            again, next_step, prompt = REGION_SOURCE, Step.VERIFIED, REGION_VERIFIED
        else:
            holder["verified"] = self._today().isoformat() if value.lower() == "today" else value
            again, next_step, prompt = REGION_VERIFIED, Step.CONFIRM, ""
        problems = region_problems(content, self.live.current.referrals)
        if problems:
            return Say(FIX.format(problems=bullet_list(problems), again=again), (cancel,))
        session.draft = session.draft.replace(content)
        if next_step is Step.CONFIRM:
            return await self._ready(session, region)
        session.step = next_step
        return Say(prompt, (cancel,))

    # -- buttons during a flow ---------------------------------------------------------------------------------

    @_answers
    async def press(self, user_id: int, action: str, region: str | None) -> Say:
        """A button of a draft: Publish/Submit, Cancel, Done, a category, a region field, another field."""
        moderator = self._require(user_id)
        if action == CANCEL:
            self.sessions.drop(user_id)
            return Say(CANCELLED)
        session = self.sessions.get(user_id)
        if session is None:
            raise ModerationError(NO_SESSION)
        self.sessions.put(user_id, session)
        if action == PUBLISH and session.step is Step.CONFIRM:
            return await self._submit(moderator, session, region)
        if action.startswith(CATEGORY) and session.step is Step.CATEGORY:
            return await self._new_entry_text(session, action.removeprefix(CATEGORY), region)
        if action == DONE and session.step is Step.QUESTIONS:
            session.step = Step.ANSWER
            return Say(NEW_STEPS["answer"], (Button("Cancel", CANCEL),))
        if action == DONE and session.step is Step.RELATED:
            return await self._new_entry_text(session, "-", region)
        if action.startswith(FIELD) and session.flow is Flow.REGION and session.step in (Step.FIELD, Step.CONFIRM):
            path = action.removeprefix(FIELD)
            holder, key, _ = field_holder(copy.deepcopy(session.draft.content), path)
            session.field, session.step = path, Step.VALUE
            label = dict(region_fields(session.draft.content)).get(path, path)
            return Say(REGION_VALUE.format(label=label, current=holder.get(key, "(empty)")),
                       (Button("Cancel", CANCEL),))
        if action == ANOTHER and session.flow is Flow.REGION:
            session.step = Step.FIELD
            return await self._field_menu(session.draft, region)
        return Say("That button belongs to an earlier step. " + NO_SESSION)

    # -- writing -----------------------------------------------------------------------------------------------

    async def _submit(self, moderator: Moderator, session: Session, region: str | None) -> Say:
        draft = session.draft
        self._require_store()
        publish = self.publishes_directly()
        try:
            revision = await self.revisions.propose(
                draft.kind, draft.key, draft.content, base_rev=draft.base_rev,
                author=Author(moderator.id, moderator.name), publish=publish,
            )
        except Conflict as conflict:
            return await self._conflict(moderator.id, session, conflict, region)
        except InvalidChange as exc:
            raise ModerationError(_invalid(exc, "Nothing was published.")) from None
        except (StoreDown, StoreBusy):  # a server away or a file locked: editing is paused; the draft stays
            return Say(DATABASE_DOWN, self._how()[1])
        except (StoreUnavailable, sqlite3.Error, OSError) as exc:
            kind = type(exc).__name__
            log.error("moderation: %s %s not saved (%s)", draft.kind, draft.key, kind)
            # Either way the draft is kept and Publish offered again; a database server that went away (or a file
            # that stayed locked) gets the same words as every other refused edit while it is down.
            if isinstance(exc, (StoreDown, StoreBusy)):
                return Say(DATABASE_DOWN, self._how()[1])
            reason = NOT_SAVED_REASONS.get(kind, NOT_SAVED_OTHER)
            return Say(NOT_SAVED.format(reason=reason), self._how()[1])
        self.sessions.drop(moderator.id)
        if publish:
            return Say(PUBLISHED.format(rev=revision.rev, what=draft.what))
        notices = tuple(
            Notice(m.id, REVIEW_WAITING.format(author=moderator.name, rev=revision.rev, what=draft.what))
            for m in self.config.moderation.moderators if m.role is Role.REVIEWER and m.id != moderator.id
        )
        return Say(SUBMITTED.format(rev=revision.rev, what=draft.what), notices=notices)

    async def _conflict(self, user_id: int, session: Session, conflict: Conflict, region: str | None) -> Say:
        """Someone published first: show the newer version and start the same change again from it."""
        newer = await self._draft_of(session.draft.kind, session.draft.key)
        if session.flow is Flow.NEW:
            self.sessions.drop(user_id)
            body = NEW_TAKEN.format(id=newer.key, rev=conflict.current_rev)
            return Say(body, preview=await self.preview(newer, region))
        session.draft = newer
        redo = {Flow.PHRASE: CONFLICT_REDO_PHRASE, Flow.EXAMPLES: CONFLICT_REDO_PHRASE,
                Flow.REGION: CONFLICT_REDO_REGION}.get(session.flow, CONFLICT_REDO_ENTRY)
        session.step = {Flow.PHRASE: Step.PHRASES, Flow.EXAMPLES: Step.PHRASES, Flow.REGION: Step.FIELD}.get(
            session.flow, Step.ANSWER)
        session.before = newer.content
        body = CONFLICT.format(what=newer.what, rev=conflict.current_rev, redo=redo)
        buttons: tuple[Button, ...] = (Button("Cancel", CANCEL),)
        if session.flow is Flow.PHRASE:
            body += "\nPhrasings now:\n" + numbered(list(newer.content["questions"]))
        if session.flow is Flow.EXAMPLES:
            body += "\nExamples now:\n" + numbered(list(newer.content["texts"]))
        if session.flow is Flow.REGION:
            buttons = tuple(Button(label, f"{FIELD}{path}") for path, label in region_fields(newer.content)) + buttons
        return Say(body, buttons, preview=await self.preview(newer, region))

    # -- review ------------------------------------------------------------------------------------------------

    async def pending(self, user_id: int) -> list[Say]:
        """One Say per waiting change, with Approve / Reject (reviewers) or Withdraw (its author)."""
        try:
            self._require(user_id)
            store = self._require_store()
        except ModerationError as exc:
            return [Say(str(exc))]
        try:
            waiting = await store.pending()
        except (StoreDown, StoreBusy):
            return [Say(DATABASE_DOWN)]
        if not waiting:
            return [Say("Nothing is waiting for review.")]
        out = [Say(f"**{len(waiting)} change(s) waiting for review**, oldest first:")]
        for revision in waiting:
            out.append(Say(await self._describe(store, revision), self._review_buttons(user_id, revision)))
        return out

    def _review_buttons(self, user_id: int, revision: Revision) -> tuple[Button, ...]:
        if revision.author_id == user_id:
            return (Button("Withdraw", f"{REJECT}{revision.id}"),)
        if self.is_reviewer(user_id):
            return (Button("✅ Approve", f"{APPROVE}{revision.id}"), Button("✖ Reject", f"{REJECT}{revision.id}"))
        return ()

    async def _describe(self, store: Storage, revision: Revision) -> str:
        head = await store.published_head(revision.kind, revision.key)
        current_rev = head.rev if head is not None else 0
        if head is not None:
            old: dict[str, Any] | None = head.content
        else:
            old = await self._baseline_content(revision.kind, revision.key)
        what = Draft(revision.kind, revision.key, 0, {}).what
        lines = [
            f"**Revision {revision.rev} of {what}** by {revision.author_name}, {when(revision.created_at)} "
            f"(made from revision {revision.base_rev})"
        ]
        if current_rev != revision.base_rev:
            lines.append(f"⚠️ Revision {current_rev} was published since: this change can't be approved any more. "
                         "Reject it and ask the author to redo it.")
        lines.append(describe_change(revision.kind, old, revision.content))
        return "\n".join(lines)

    async def _baseline_content(self, kind: str, key: str) -> Content | None:
        return await self.revisions.bundled(kind, key)

    @_answers
    async def approve(self, user_id: int, revision_id: int) -> Say:
        """A reviewer publishes someone else's pending change (checked as a whole first); its author is told."""
        reviewer = self._require(user_id, reviewer="approve changes")
        self._require_store()
        try:
            revision = await self.revisions.approve(revision_id, Author(reviewer.id, reviewer.name))
        except NotFound:
            raise ModerationError("That change no longer exists.") from None
        except AlreadyDecided as exc:
            raise ModerationError(
                f"Revision {exc.revision.rev} of {exc.revision.key} is already {exc.revision.status}."
            ) from None
        except SelfApproval:
            raise ModerationError(SELF_APPROVAL) from None
        except InvalidChange as exc:
            raise ModerationError(_invalid(exc, "Nothing was published.")) from None
        except Conflict as conflict:
            raise ModerationError(
                f"Can't approve: revision {conflict.current_rev} was published after this change was made, so "
                "approving would overwrite it. Reject this one and ask the author to redo it."
            ) from None
        what = Draft(revision.kind, revision.key, 0, {}).what
        notice = Notice(revision.author_id, APPROVED_NOTICE.format(what=what, rev=revision.rev, reviewer=reviewer.name))
        return Say(f"✅ Approved: revision {revision.rev} of {what} is live now.", notices=(notice,))

    @_answers
    async def reject(self, user_id: int, revision_id: int, note: str = "") -> Say:
        """Reject someone's pending change (reviewers) or withdraw one's own; the author is told."""
        moderator = self._require(user_id)
        store = self._require_store()
        try:
            revision = await store.get_revision(revision_id)
        except NotFound:
            raise ModerationError("That change no longer exists.") from None
        own = revision.author_id == moderator.id
        if not own and moderator.role is not Role.REVIEWER:
            raise ModerationError(NOT_REVIEWER.format(what="reject other people's changes"))
        try:
            revision = await self.revisions.reject(revision_id, Author(moderator.id, moderator.name), note)
        except AlreadyDecided:
            raise ModerationError(f"Revision {revision.rev} of {revision.key} is already {revision.status}.") from None
        except NotFound:
            raise ModerationError("That change no longer exists.") from None
        what = Draft(revision.kind, revision.key, 0, {}).what
        if own:
            return Say(f"Withdrawn: revision {revision.rev} of {what}.")
        reason = f" Reason: {note}" if note else " You can change it and submit it again."
        notice = Notice(revision.author_id,
                        REJECTED_NOTICE.format(what=what, rev=revision.rev, reviewer=moderator.name, note=reason))
        return Say(f"✖ Rejected: revision {revision.rev} of {what}. The author has been told.", notices=(notice,))

    # -- history and revert ------------------------------------------------------------------------------------

    @_answers
    async def history(self, user_id: int, key: str, lang: str = "") -> Say:
        """/kb_history ID [LANG]: every revision of an entry (or its translation), region or examples key, newest
        first."""
        self._require(user_id)
        store = self._require_store()
        key = key.strip()
        if not key:
            raise ModerationError(NEED_ID)
        if lang.strip() and lang.strip().lower() != "en":
            key = translation_key(self._edit_language(lang), key)
        kind = self._kind_of(key)
        if kind == "translation":
            code, entry_id = parse_translation_key(key) or ("", "")
            if entry_id not in self.live.current.knowledge.entries:
                raise ModerationError(UNKNOWN_ENTRY.format(id=_quoted(entry_id, 60)))
            self._edit_language(code)
        elif kind == "region":
            key = self._region_code(key)
        elif kind == "entry" and not ID_PATTERN.match(key):
            raise ModerationError(UNKNOWN_ENTRY.format(id=_quoted(key, 60)))
        revisions = await store.history(kind, key)
        if kind == "entry" and not revisions and key not in self.live.current.knowledge.entries:
            raise ModerationError(UNKNOWN_ENTRY.format(id=key))
        head = await store.published_head(kind, key)
        what = Draft(kind, key, 0, {}).what
        lines = [f"**History of {what}**, newest first:"]
        marks = {RevisionStatus.PUBLISHED: "✅", RevisionStatus.PENDING: "⏳", RevisionStatus.REJECTED: "✖"}
        for revision in reversed(revisions):
            live = " — **live**" if head is not None and revision.rev == head.rev else ""
            review = f" · reviewed by {revision.reviewed_by}" if revision.reviewed_by else ""
            note = f" · {revision.note}" if revision.note else ""
            lines.append(
                f"{marks[revision.status]} {revision.rev}: {revision.status} · {revision.author_name} · "
                f"{when(revision.created_at)} · from {revision.base_rev}{review}{note}{live}"
            )
        bundled = await self._baseline_content(kind, key)
        if bundled is not None:
            lines.append(f"✅ 0: bundled YAML{' — **live**' if head is None else ''}")
        if kind == "translation" and bundled is None and not revisions:
            lines.append("No translation yet.")
        if self.is_reviewer(user_id):
            lang_code, _, entry_id = key.partition(":")
            target = f"{entry_id} {lang_code}" if kind == "translation" else key
            lines.append(f"Bring back an earlier one: /kb_revert {target} REV")
        return Say("\n".join(lines))

    @_answers
    async def revert(self, user_id: int, key: str, rev: str, lang: str = "") -> Say:
        """A reviewer brings back published revision `rev` (0 = bundled) of an entry (or, with `lang`, its
        translation), region or examples, checked first."""
        reviewer = self._require(user_id, reviewer="revert")
        self._require_store()
        if lang.strip() and lang.strip().lower() != "en" and key.strip():
            key = translation_key(self._edit_language(lang), key.strip())
        kind = self._kind_of(key)
        key = self._region_code(key) if kind == "region" else key.strip()
        number = ascii_number(rev)
        if not key or number is None:
            raise ModerationError("Usage: /kb_revert ID REV, e.g. /kb_revert how-to-report 2 (0 = bundled); a "
                                  "translation: /kb_revert ID LANG REV, e.g. /kb_revert how-to-report es 1.")
        to_rev = number
        what = Draft(kind, key, 0, {}).what
        try:
            revision = await self.revisions.revert(kind, key, to_rev, Author(reviewer.id, reviewer.name))
        except UnknownItem:
            raise ModerationError(UNKNOWN_ENTRY.format(id=_quoted(key, 60))) from None
        except (NoSuchRevision, NotBundled):
            raise ModerationError(f"{what} has no revision {to_rev}. See /kb_history {key}.") from None
        except NotPublished as exc:
            raise ModerationError(f"Can't revert: revision {to_rev} was never published ({exc.status}); restoring "
                                  "it would skip review.") from None
        except InvalidChange as exc:
            raise ModerationError(_invalid(exc, "Nothing was published.")) from None
        if revision is None:
            return Say(f"{what} already has the content of revision {to_rev}; nothing was changed.")
        return Say(f"↩️ {what} is back to revision {to_rev}, published as revision "
                   f"{revision.rev}. The next question gets it.")

    # -- reports -----------------------------------------------------------------------------------------------

    @_answers
    async def stale(self, user_id: int) -> Say:
        """/kb_stale: entries and regions not reviewed or verified within stale_after_days."""
        self._require(user_id)
        engine = self.live.current
        after = self.config.moderation.stale_after_days
        entries, regions = stale_items(engine.knowledge, engine.referrals, self._today(), after)
        lines = [f"**Due for a re-check** (not reviewed or verified in the last {after} days)"]
        lines.append(f"**Entries** ({len(entries)}):")
        lines += [f"• {entry_id}: reviewed {day} — /kb_edit {entry_id}" for entry_id, day in entries] or ["• none"]
        lines.append(f"**Regions** ({len(regions)}):")
        lines += [f"• {code}: oldest check {day} — /referral_edit {code}" for code, day in regions] or ["• none"]
        stale_translations = engine.knowledge.stale_translations()
        lines.append(f"**Translations older than their English entry** ({len(stale_translations)}):")
        lines += [
            f"• {t.id} ({t.lang}): follows the English of {t.source_reviewed}, English reviewed "
            f"{engine.knowledge.entries[t.id].reviewed} — /kb_edit {t.id} {t.lang}"
            for t in stale_translations
        ] or ["• none"]
        return Say("\n".join(lines))

    @_answers
    async def stats(self, user_id: int, days: str = "") -> Say:
        """/kb_stats [days]: count-only usage (served, fallbacks, urgent, cards, votes) per day and entry."""
        self._require(user_id)
        store = self._require_store()
        asked = ascii_number(days)
        # A period longer than the counts are useful for (or than dates go back) is shown as the longest one.
        span = min(asked, MAX_STATS_DAYS) if asked else STATS_DAYS
        since = (self._today() - timedelta(days=span - 1)).isoformat()
        counts = await store.stats(since_day=since)
        titles = {e.id: e.title for e in self.live.current.knowledge.entries.values()}
        return Say(format_stats(counts, span, titles))

    def startup_notices(self) -> list[Notice]:
        """At start without a database: tell every moderator that editing is unavailable."""
        if self.available:
            return []
        return [Notice(m.id, STARTUP_UNAVAILABLE) for m in self.config.moderation.moderators]


def _phrased(draft: Draft) -> str:
    """How /kb_phrase names what it changes: "'how-to-report'" or "the es translation of 'how-to-report'"."""
    return f"the {draft.what}" if draft.kind == "translation" else f"'{draft.key}'"


def _invalid(exc: InvalidChange, again: str) -> str:
    """What to fix when the knowledge as a whole would not validate after a change."""
    own = exc.key if exc.kind == "entry" else label(exc.kind, exc.key) if exc.kind == "translation" else None
    return FIX.format(problems=bullet_list(problem_messages(exc.problems, own)), again=again)
