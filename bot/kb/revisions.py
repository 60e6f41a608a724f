"""The revision service: the one place knowledge changes are proposed, reviewed, published, reverted, imported
and exported. Telegram moderators (handlers/kbchat.py) and the `awarebot kb` command line (bot/kbtools.py) both
call it, so both follow the same rules:

- every write is checked first: the whole effective knowledge (bundled YAML + published revisions + this change)
  must pass `kb validate`, or nothing is written (`InvalidChange`);
- optimistic concurrency: a change names the revision it was made from; the Store refuses it (`store.Conflict`)
  when another was published meanwhile;
- only published revisions can be restored; revision 0 is the bundled YAML; restoring what is already in effect
  writes nothing;
- one write at a time per process (check → write → rebuild → swap), so a later publish always swaps in a later
  engine;
- when a `LiveEngine` is given, every publish rebuilds the engine off the event loop and swaps it in whole.

Errors are typed (`RevisionError` and its subclasses, `store.Conflict`, `store.NotFound`) and carry values, not
wording: each front end says them in its own words.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from bot.config import Config
from bot.engine import LiveEngine
from bot.errors import KnowledgeError, Problem
from bot.kb.content import Content, Overrides, content_of, label
from bot.knowledge import Knowledge
from bot.referrals import ReferralDirectory
from bot.service import apply_overrides, load_baseline
from bot.storage import Storage
from bot.store import Conflict, NotFound, Revision, RevisionStatus
from bot.sync import KnowledgeSync

log = logging.getLogger(__name__)

__all__ = [
    "AlreadyDecided", "Author", "Conflict", "InvalidChange", "NoDatabase", "NoSuchRevision", "NotBundled",
    "NotFound", "NotPublished", "RevisionError", "RevisionService", "SelfApproval", "UnknownItem",
]


@dataclass(frozen=True, slots=True)
class Author:
    """Who makes a change: a moderator's Telegram user id (0 for the command line) and the name shown in history."""

    id: int
    name: str


class RevisionError(Exception):
    """A change that cannot be made as asked; the attributes say why (front ends word it)."""


class NoDatabase(RevisionError):
    """The database could not be opened: nothing can be written (people are still answered)."""


class InvalidChange(RevisionError):
    """The knowledge in effect after the change would fail `kb validate`; `problems` lists why."""

    def __init__(self, kind: str, key: str, problems: list[Problem]) -> None:
        super().__init__(f"{label(kind, key)}: {len(problems)} problem(s)")
        self.kind, self.key, self.problems = kind, key, problems


class UnknownItem(RevisionError):
    """Neither the bundled YAML nor the database has this entry or region."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"unknown {label(kind, key)}")
        self.kind, self.key = kind, key


class NoSuchRevision(RevisionError):
    """The item exists but has no revision `rev`; `known` lists the revision numbers it has (0 = bundled)."""

    def __init__(self, kind: str, key: str, rev: int, known: list[int]) -> None:
        super().__init__(f"{label(kind, key)} has no revision {rev}")
        self.kind, self.key, self.rev, self.known = kind, key, rev, known


class NotPublished(RevisionError):
    """Revision `rev` was never published (pending or rejected): restoring it would skip review."""

    def __init__(self, kind: str, key: str, rev: int, status: RevisionStatus) -> None:
        super().__init__(f"revision {rev} of {label(kind, key)} is {status}")
        self.kind, self.key, self.rev, self.status = kind, key, rev, status


class NotBundled(RevisionError):
    """Revert to 0 asked for an item the bundled YAML does not have (it was added by a revision)."""

    def __init__(self, kind: str, key: str, first_rev: int) -> None:
        super().__init__(f"{label(kind, key)} is not in the bundled YAML")
        self.kind, self.key, self.first_rev = kind, key, first_rev


class AlreadyDecided(RevisionError):
    """The revision was already approved, published or rejected."""

    def __init__(self, revision: Revision) -> None:
        super().__init__(f"revision {revision.rev} of {label(revision.kind, revision.key)} is {revision.status}")
        self.revision = revision


class SelfApproval(RevisionError):
    """A reviewer may not approve their own change (four eyes)."""


class RevisionService:
    """Reads and writes knowledge revisions for every front end.

    `config` names the bundled knowledge (the baseline, revision 0) and the matching settings of rebuilt engines.
    `store` is a callable returning the open Store or None (the database may fail to open; then every write raises
    NoDatabase). `live`, when given, is rebuilt and swapped after every publish.
    """

    def __init__(
        self,
        config: Config,
        store: Callable[[], Storage | None],
        live: LiveEngine | None = None,
        *,
        today: Callable[[], date] = date.today,
        sync: KnowledgeSync | None = None,
    ) -> None:
        self.config = config
        self.live = live
        self.today = today
        self._store = store
        self._baseline: tuple[Knowledge, ReferralDirectory] | None = None
        self._write_lock = asyncio.Lock()
        # Rebuilds of `live` go through one KnowledgeSync (the application's, which also brings in other workers'
        # publishes), so a rebuild after this write and one after a notification never swap out of order.
        self.sync = sync if sync is not None or live is None else KnowledgeSync(config, live, store)

    # -- reading ---------------------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """True when the database is open (writes possible)."""
        return self._store() is not None

    def store(self) -> Storage:
        """The open storage (SQLite or PostgreSQL, see bot.storage); raises NoDatabase."""
        store = self._store()
        if store is None:
            raise NoDatabase("the moderation database is unavailable")
        return store

    async def baseline(self) -> tuple[Knowledge, ReferralDirectory]:
        """The bundled YAML (revision 0 of everything), loaded and validated once, off the event loop."""
        if self.sync is not None:
            return await self.sync.baseline()
        if self._baseline is None:
            self._baseline = await asyncio.to_thread(load_baseline, self.config)
        return self._baseline

    async def bundled(self, kind: str, key: str) -> Content | None:
        """Revision 0 of one item: its content in the bundled YAML, or None when it is not there."""
        return content_of(*await self.baseline(), kind, key)

    async def head(self, kind: str, key: str) -> Revision | None:
        """The latest published revision of an item, or None while the bundled YAML is in effect."""
        return await self.store().published_head(kind, key)

    async def current(self, kind: str, key: str) -> tuple[int, Content] | None:
        """(revision number, content) in effect for an item, 0 meaning the bundled YAML; None when unknown."""
        head = await self.head(kind, key)
        if head is not None:
            return head.rev, head.content
        bundled = await self.bundled(kind, key)
        return (0, bundled) if bundled is not None else None

    async def history(self, kind: str, key: str) -> list[Revision]:
        """Every revision of an item in the database, oldest first (revision 0, the bundled YAML, is not listed)."""
        return await self.store().history(kind, key)

    async def pending(self) -> list[Revision]:
        """Revisions waiting for review, oldest first."""
        return await self.store().pending()

    async def overrides(self) -> Overrides:
        """kind → key → content of every item's latest published revision."""
        return await self.store().effective_overrides()

    async def effective(self) -> tuple[Knowledge, ReferralDirectory]:
        """The knowledge in effect (baseline + published revisions); raises InvalidChange when those revisions do
        not form valid knowledge (the running bot then serves the bundled YAML)."""
        baseline = await self.baseline()
        overrides = await self.overrides()
        try:
            return await asyncio.to_thread(apply_overrides, *baseline, overrides)
        except KnowledgeError as exc:
            raise InvalidChange("region" if "region" in overrides else "entry", "*", exc.problems) from None

    async def check(self, changes: Iterable[tuple[str, str, Content]]) -> None:
        """Raise InvalidChange unless the effective knowledge with these (kind, key, content) changes is valid."""
        changes = list(changes)
        trial = copy.deepcopy(await self.overrides())
        for kind, key, content in changes:
            trial.setdefault(kind, {})[key] = content
        baseline = await self.baseline()
        try:
            await asyncio.to_thread(apply_overrides, *baseline, trial)
        except KnowledgeError as exc:
            kind, key = (changes[0][0], changes[0][1]) if len(changes) == 1 else ("entry", "*")
            raise InvalidChange(kind, key, exc.problems) from None

    # -- writing ---------------------------------------------------------------------------------------------

    async def propose(
        self, kind: str, key: str, content: Content, *, base_rev: int, author: Author, publish: bool
    ) -> Revision:
        """A new revision made from `base_rev`: published at once (checked first, engine swapped) when `publish`,
        else pending review. Raises InvalidChange, store.Conflict (another revision was published since
        `base_rev`), NoDatabase."""
        store = self.store()
        async with self._write_lock:
            if publish:
                await self.check([(kind, key, content)])
            revision = await store.propose(kind, key, content, base_rev=base_rev, author_id=author.id,
                                           author_name=author.name, publish=publish)
            if publish:
                await self._reload()
        log.info("revisions: %s %s %s revision %d by %d",
                 "published" if publish else "proposed", kind, key, revision.rev, author.id)
        return revision

    async def approve(self, revision_id: int, reviewer: Author) -> Revision:
        """Publish a pending revision. Raises store.NotFound, AlreadyDecided, SelfApproval, store.Conflict
        (another revision was published since it was made), InvalidChange, NoDatabase."""
        store = self.store()
        async with self._write_lock:
            revision = await store.get_revision(revision_id)
            if revision.status is not RevisionStatus.PENDING:
                raise AlreadyDecided(revision)
            if revision.author_id == reviewer.id:
                raise SelfApproval("a reviewer cannot approve their own change")
            await self.check([(revision.kind, revision.key, revision.content)])
            try:
                revision = await store.approve(revision_id, reviewer_id=reviewer.id, reviewer_name=reviewer.name)
            except PermissionError:
                raise SelfApproval("a reviewer cannot approve their own change") from None
            await self._reload()
        log.info("revisions: approved %s %s revision %d", revision.kind, revision.key, revision.rev)
        return revision

    async def reject(self, revision_id: int, moderator: Author, note: str = "") -> Revision:
        """Reject (or, by its author, withdraw) a pending revision. Who may do so is the caller's rule.
        Raises store.NotFound, AlreadyDecided, NoDatabase."""
        store = self.store()
        await store.get_revision(revision_id)  # NotFound before anything else
        try:
            return await store.reject(revision_id, reviewer_id=moderator.id, reviewer_name=moderator.name, note=note)
        except ValueError:
            raise AlreadyDecided(await store.get_revision(revision_id)) from None

    async def revert(self, kind: str, key: str, to_rev: int, author: Author, note: str = "") -> Revision | None:
        """Publish a new revision with the content of published revision `to_rev` (0 = the bundled YAML).

        Returns None, writing nothing, when that content is already in effect. Raises UnknownItem, NotBundled,
        NoSuchRevision, NotPublished, InvalidChange (the result would not validate), NoDatabase.
        """
        store = self.store()
        bundled = await self.bundled(kind, key)
        async with self._write_lock:
            revisions = await store.history(kind, key)
            if bundled is None and not revisions:
                raise UnknownItem(kind, key)
            if to_rev == 0:
                if bundled is None:
                    raise NotBundled(kind, key, revisions[0].rev)
                target = bundled
            else:
                found = next((r for r in revisions if r.rev == to_rev), None)
                if found is None:
                    raise NoSuchRevision(kind, key, to_rev, [0, *(r.rev for r in revisions)] if bundled else
                                         [r.rev for r in revisions])
                if found.status is not RevisionStatus.PUBLISHED:
                    raise NotPublished(kind, key, to_rev, found.status)
                target = found.content
            await self.check([(kind, key, target)])
            if await self._in_effect(kind, key) == await self._normalised(kind, key, target):
                return None
            revision = await store.revert(kind, key, to_rev, baseline_content=bundled, author_id=author.id,
                                          author_name=author.name, note=note)
            await self._reload()
        log.info("revisions: reverted %s %s to %d as revision %d", kind, key, to_rev, revision.rev)
        return revision

    async def import_changes(
        self, changes: list[tuple[str, str, Content]], author: Author, note: str
    ) -> list[Revision]:
        """Publish many changes in one transaction, all or nothing, after checking the result as a whole.
        Raises InvalidChange, NoDatabase, TypeError / ValueError (a key the store refuses; nothing written)."""
        store = self.store()
        async with self._write_lock:
            await self.check(changes)
            done = await store.import_revisions(changes, author_id=author.id, author_name=author.name, note=note)
            await self._reload()
        log.info("revisions: imported %d revisions", len(done))
        return done

    # -- internals -------------------------------------------------------------------------------------------

    async def _in_effect(self, kind: str, key: str) -> Content | None:
        try:
            return content_of(*await self.effective(), kind, key)
        except InvalidChange:
            return None

    async def _normalised(self, kind: str, key: str, content: Content) -> Content | None:
        trial = copy.deepcopy(await self.overrides())
        trial.setdefault(kind, {})[key] = content
        merged = await asyncio.to_thread(apply_overrides, *await self.baseline(), trial)
        return content_of(*merged, kind, key)

    async def _reload(self) -> None:
        """Baseline + every published revision → a new engine, swapped in whole (caller holds the write lock).
        Not forced: when this worker's own notification already brought the same version in, nothing is rebuilt."""
        if self.sync is None:
            return
        await self.sync.refresh()
        log.info("revisions: engine version %d is live", self.sync.live.current.version)
