"""SQLite storage: moderator revisions on top of the bundled YAML knowledge, and count-only stats.

This module owns the one database connection; all SQL of the bot lives here.

Privacy is absolute: the database never holds message text of ordinary people, nor their user ids.
The only free-text columns are written by moderators (revision content, notes, display names);
stats are per-day counters keyed by curated entry ids, never by anything a user typed.

Schema (latest version, see ``MIGRATIONS``; ``PRAGMA user_version`` holds the applied version):

``revisions`` — one row per proposed change of a knowledge entry, referral region, examples or translation
    id INTEGER PK, kind TEXT ('entry'|'region'|'example' (v3)|'translation' (v4)), key TEXT (entry id / ISO code /
    "<lang>.<label>" / "<lang>:<entry id>"),
    rev INTEGER (>= 1, unique per kind+key, never reused), base_rev INTEGER (the published revision
    the author edited; 0 = bundled YAML), content TEXT (JSON of the whole entry/region),
    author_id INTEGER, author_name TEXT (moderator; CLI uses id 0), created_at TEXT (UTC ISO),
    note TEXT, status TEXT ('pending'|'published'|'rejected'), reviewed_by TEXT, reviewed_at TEXT,
    reviewer_id INTEGER (v2), review_note TEXT (v2)
``daily_counts`` (v2) — day TEXT (YYYY-MM-DD, UTC), event TEXT, entry_id TEXT ('' = none), n INTEGER
``daily_votes`` (v2) — day TEXT, entry_id TEXT, up INTEGER, down INTEGER

``DOCUMENTED_COLUMNS`` lists exactly these; tests compare it with the real schema so that a new
column (a possible leak of user text) cannot slip in unnoticed.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")

# entry: an entry id; region: an ISO code; example: "<lang>.<label>" of labelled training examples (bot/examples.py).
# translation: "<lang>:<entry id>", an entry's text in another language (knowledge/entries/<lang>/).
KINDS: frozenset[str] = frozenset({"entry", "region", "example", "translation"})
# The content of one revision: plain JSON-shaped data (dicts, lists, strings, numbers), stored as JSON text.
Content = dict[str, Any]
EVENTS: frozenset[str] = frozenset({"served", "fallback", "urgent", "referral"})

# Keys and entry ids are curated identifiers ("what-is-trafficking", "DE", "US-CA"). The pattern has
# no room for spaces, so a user's message can never be stored by mistake in place of an id.
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}")

# SQLite result codes for "someone else holds the lock" (extended codes share the low byte).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


class StoreUnavailable(Exception):
    """The database cannot be used (corrupt, unreadable, newer schema, locked at start).

    The caller serves the bundled YAML and warns moderators. The file is never touched.
    """


class StoreBusy(Exception):
    """A write (or read) still found the database locked after all retries."""


class StoreDown(Exception):
    """The database server cannot be reached right now (PostgreSQL stopped, restarting or unreachable).

    Raised mid-run by a server-backed store; the bot keeps answering from the knowledge it has and refuses
    moderators' edits until the server is back (the store reconnects by itself).
    """


class NotFound(Exception):
    """No revision with that id / number."""


class Conflict(Exception):
    """The revision the moderator edited is no longer the published one."""

    def __init__(self, kind: str, key: str, current_rev: int, current_content: Content | None) -> None:
        self.kind = kind
        self.key = key
        self.current_rev = current_rev
        # None when the current state is the bundled YAML (revision 0): the store does not hold it.
        self.current_content = current_content
        super().__init__(
            f"{kind} {key!r} changed meanwhile: revision {current_rev} is now published"
        )


class RevisionStatus(StrEnum):
    """Where a revision is: waiting for review, published, or rejected (withdrawn included)."""
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Revision:
    """One stored revision: kind ('entry', 'region', 'example'), key, its number (rev, per key from 1), the
    revision it was made from, the full content, who wrote and reviewed it and when (ISO timestamps, UTC)."""
    id: int
    kind: str  # "entry" | "region"
    key: str
    rev: int
    base_rev: int
    content: Content  # the YAML-shaped content of the entry, region or examples
    author_id: int
    author_name: str
    created_at: str
    note: str
    status: RevisionStatus
    reviewed_by: str | None
    reviewed_at: str | None
    # Added in schema v2; defaulted so callers may build a Revision without them.
    reviewer_id: int | None = None
    review_note: str = ""


# --- schema ---------------------------------------------------------------------------------------
# Append-only: a released step is never edited, a change is a new step. Each step runs in its own
# transaction together with the user_version bump, so a crash leaves the previous version intact.
def _rebuild_revisions(version: int, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The statements of a migration that rebuilds the revisions table with a new set of allowed kinds (SQLite cannot
    change a CHECK constraint): same columns, rows and index. The SQL of released steps must never change."""
    allowed = ", ".join(f"'{kind}'" for kind in kinds)
    return (
        f"""
        CREATE TABLE revisions_v{version} (
            id          INTEGER PRIMARY KEY,
            kind        TEXT    NOT NULL CHECK (kind IN ({allowed})),
            key         TEXT    NOT NULL CHECK (key <> ''),
            rev         INTEGER NOT NULL CHECK (rev >= 1),
            base_rev    INTEGER NOT NULL CHECK (base_rev >= 0),
            content     TEXT    NOT NULL,
            author_id   INTEGER NOT NULL,
            author_name TEXT    NOT NULL,
            created_at  TEXT    NOT NULL,
            note        TEXT    NOT NULL DEFAULT '',
            status      TEXT    NOT NULL CHECK (status IN ('pending', 'published', 'rejected')),
            reviewed_by TEXT,
            reviewed_at TEXT,
            reviewer_id INTEGER,
            review_note TEXT    NOT NULL DEFAULT '',
            UNIQUE (kind, key, rev)
        )
        """,
        f"""
        INSERT INTO revisions_v{version} (id, kind, key, rev, base_rev, content, author_id, author_name, created_at, note,
                                  status, reviewed_by, reviewed_at, reviewer_id, review_note)
        SELECT id, kind, key, rev, base_rev, content, author_id, author_name, created_at, note,
               status, reviewed_by, reviewed_at, reviewer_id, review_note FROM revisions
        """,
        "DROP TABLE revisions",
        f"ALTER TABLE revisions_v{version} RENAME TO revisions",
        "CREATE INDEX revisions_by_status ON revisions (status, id)",
    )


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: revisions
    (
        """
        CREATE TABLE revisions (
            id          INTEGER PRIMARY KEY,
            kind        TEXT    NOT NULL CHECK (kind IN ('entry', 'region')),
            key         TEXT    NOT NULL CHECK (key <> ''),
            rev         INTEGER NOT NULL CHECK (rev >= 1),
            base_rev    INTEGER NOT NULL CHECK (base_rev >= 0),
            content     TEXT    NOT NULL,
            author_id   INTEGER NOT NULL,
            author_name TEXT    NOT NULL,
            created_at  TEXT    NOT NULL,
            note        TEXT    NOT NULL DEFAULT '',
            status      TEXT    NOT NULL CHECK (status IN ('pending', 'published', 'rejected')),
            reviewed_by TEXT,
            reviewed_at TEXT,
            UNIQUE (kind, key, rev)
        )
        """,
        "CREATE INDEX revisions_by_status ON revisions (status, id)",
    ),
    # v2: count-only stats and feedback; who reviewed (id, for four eyes) and why.
    (
        "ALTER TABLE revisions ADD COLUMN reviewer_id INTEGER",
        "ALTER TABLE revisions ADD COLUMN review_note TEXT NOT NULL DEFAULT ''",
        """
        CREATE TABLE daily_counts (
            day      TEXT    NOT NULL,
            event    TEXT    NOT NULL CHECK (event IN ('served', 'fallback', 'urgent', 'referral')),
            entry_id TEXT    NOT NULL DEFAULT '',
            n        INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
            PRIMARY KEY (day, event, entry_id)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE daily_votes (
            day      TEXT    NOT NULL,
            entry_id TEXT    NOT NULL,
            up       INTEGER NOT NULL DEFAULT 0 CHECK (up >= 0),
            down     INTEGER NOT NULL DEFAULT 0 CHECK (down >= 0),
            PRIMARY KEY (day, entry_id)
        ) WITHOUT ROWID
        """,
    ),
    # v3: a third kind of revision, labelled training examples ("example", key "<lang>.<label>"). SQLite cannot
    # change a CHECK constraint, so the table is rebuilt with the same columns, rows and index.
    _rebuild_revisions(3, ("entry", "region", "example")),
    # v4: a fourth kind, an entry's translation ("translation", key "<lang>:<entry id>"); rebuilt as in v3.
    _rebuild_revisions(4, ("entry", "region", "example", "translation")),
)
SCHEMA_VERSION = len(MIGRATIONS)

# Every table and column of the latest schema. Nothing here holds text from ordinary users.
DOCUMENTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "revisions": (
        "id", "kind", "key", "rev", "base_rev", "content", "author_id", "author_name",
        "created_at", "note", "status", "reviewed_by", "reviewed_at", "reviewer_id", "review_note",
    ),
    "daily_counts": ("day", "event", "entry_id", "n"),
    "daily_votes": ("day", "entry_id", "up", "down"),
}

_REVISION_COLUMNS = ", ".join(DOCUMENTED_COLUMNS["revisions"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _check_day(day: str | None) -> str:
    if day is None:
        return _today()
    try:
        return date.fromisoformat(day).isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"day must be YYYY-MM-DD, got {day!r}") from None


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise ValueError(f"{what} must be an identifier like 'what-is-trafficking' or 'DE'")
    return value


def _check_kind(kind: object) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    return str(kind)


def _to_json(content: object) -> str:
    if not isinstance(content, dict):
        raise TypeError(f"content must be a dict, got {type(content).__name__}")
    # allow_nan=False: NaN is not JSON and would not round-trip to other tools.
    return json.dumps(content, ensure_ascii=False, allow_nan=False)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _revision(row: sqlite3.Row) -> Revision:
    return Revision(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        rev=row["rev"],
        base_rev=row["base_rev"],
        content=json.loads(row["content"]),
        author_id=row["author_id"],
        author_name=row["author_name"],
        created_at=row["created_at"],
        note=row["note"],
        status=RevisionStatus(row["status"]),
        reviewed_by=row["reviewed_by"],
        reviewed_at=row["reviewed_at"],
        reviewer_id=row["reviewer_id"],
        review_note=row["review_note"],
    )


Conn = aiosqlite.Connection


class Store:
    """Owner of the SQLite connection. Use ``async with Store(path) as store:``.

    All operations go through one asyncio.Lock: the connection is shared, so without it a reader
    could see another coroutine's uncommitted (and maybe later rolled back) writes. Other processes
    are kept apart by SQLite's own locking (WAL: readers never block, one writer at a time).
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout_ms: int = 1000,
        retries: int = 5,
        retry_delay: float = 0.05,
    ) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._retries = retries
        self._retry_delay = retry_delay
        self._conn: Conn | None = None
        # (device, inode) of the file opened: a write into a file deleted or replaced since would be lost.
        self._identity: tuple[int, int] | None = None
        self._lock = asyncio.Lock()
        # How often a locked database was retried; for logs and tests.
        self.busy_retries = 0

    # --- lifecycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect, check integrity, switch to WAL and migrate. Raises StoreUnavailable.

        Checks run before anything is written, so a corrupt file is reported, never modified.
        """
        if self._conn is not None:
            return
        where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"{where}: cannot create folder: {exc}") from exc
        if self.path.exists() and not self.path.is_file():
            raise StoreUnavailable(f"{where}: exists but is not a file")
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, Python must not add its own.
            conn = await aiosqlite.connect(where, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{where}: cannot open database: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            await conn.execute("PRAGMA foreign_keys = ON")
            await self._retrying(lambda: self._check(conn))
            await self._retrying(lambda: self._enable_wal(conn))
            await conn.execute("PRAGMA synchronous = FULL")  # a committed edit survives power loss
            for version in range(1, len(MIGRATIONS) + 1):
                try:
                    await self._retrying(functools.partial(self._migrate_to, conn, version))
                except sqlite3.Error as exc:  # a lock that never cleared arrives as StoreBusy
                    raise StoreUnavailable(
                        f"{where}: migration to schema version {version} failed ({exc}); "
                        f"the database stays at version {version - 1}"
                    ) from exc
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, StoreUnavailable):
                raise
            if isinstance(exc, StoreBusy):
                raise StoreUnavailable(f"{where}: database stays locked by another process") from exc
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailable(
                    f"{where}: not a usable awarebot database ({exc}); the file was left untouched"
                ) from exc
            raise
        self._conn = conn
        self._identity = self._file_identity()

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def _check_still_there(self) -> None:
        """Raise StoreUnavailable when the database file was deleted or replaced since it was opened (a data folder
        removed under a running bot): a write would then "succeed" into a file nobody will read again."""
        if self._identity is not None and self._file_identity() != self._identity:
            raise StoreUnavailable(f"{self.path}: the database file was removed or replaced while awarebot ran")

    async def close(self) -> None:
        """Close the database connection (idempotent)."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        async with self._lock:
            await conn.close()

    @property
    def shared(self) -> bool:
        """False: a SQLite file is one machine's; other processes on it are seen by `published_version` polls."""
        return False

    async def listen(self, callback: Callable[[], None]) -> bool:
        """SQLite has no push channel: always False (callers poll `published_version`)."""
        return False

    async def _check(self, conn: Conn) -> None:
        """Read-only checks: is this a healthy awarebot database this code understands?"""
        try:
            rows = await conn.execute_fetchall("PRAGMA quick_check")
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise  # locked, not broken: _retrying waits
            # "file is not a database", "database disk image is malformed", ...
            raise self._damaged(str(exc)) from exc
        problems = [str(row[0]) for row in rows]
        if problems != ["ok"]:
            raise self._damaged("; ".join(problems[:3]))
        version = await self._user_version(conn)
        if version > len(MIGRATIONS):
            raise StoreUnavailable(
                f"{self.path}: schema version {version} is newer than this bot's {len(MIGRATIONS)}"
            )
        if version == 0:
            rows = await conn.execute_fetchall(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            if rows:
                # Not ours (our migrations bump the version in the same transaction as the DDL).
                raise StoreUnavailable(f"{self.path}: holds tables but is not an awarebot database")

    def _damaged(self, reason: str) -> StoreUnavailable:
        reason = " ".join(reason.split())  # quick_check reports span lines
        if len(reason) > 300:
            reason = reason[:300] + "…"
        return StoreUnavailable(
            f"{self.path}: integrity check failed ({reason}); the file was left untouched"
        )

    @staticmethod
    async def _user_version(conn: Conn) -> int:
        rows = list(await conn.execute_fetchall("PRAGMA user_version"))
        return int(rows[0][0])

    async def _enable_wal(self, conn: Conn) -> None:
        rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
        mode = str(rows[0][0]).lower()
        if mode != "wal":
            raise StoreUnavailable(f"{self.path}: cannot switch to WAL (journal mode {mode})")

    async def _migrate_to(self, conn: Conn, version: int) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            if await self._user_version(conn) < version:
                for statement in MIGRATIONS[version - 1]:
                    await conn.execute(statement)
                # user_version is part of the database header, so it commits with the DDL.
                await conn.execute(f"PRAGMA user_version = {version}")
                log.info("%s: migrated to schema version %d", self.path, version)
            await conn.execute("COMMIT")
        except BaseException:
            await self._rollback(conn)
            raise

    # --- transactions -----------------------------------------------------------------------------

    def _require(self) -> Conn:
        if self._conn is None:
            raise StoreUnavailable(f"{self.path}: store is not open")
        return self._conn

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run attempt; on 'database is locked' wait with exponential backoff and run it again."""
        delay = self._retry_delay
        for tries_left in range(self._retries, -1, -1):
            try:
                return await attempt()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if tries_left == 0:
                    raise StoreBusy(f"{self.path}: database is locked; gave up") from exc
                self.busy_retries += 1
                log.warning("%s: database is locked, retrying in %.2fs", self.path, delay)
                await asyncio.sleep(delay * random.uniform(1.0, 1.5))  # jitter: avoid lockstep
                delay *= 2
        raise AssertionError("unreachable")

    @staticmethod
    async def _rollback(conn: Conn) -> None:
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.Error:
            # No transaction active (BEGIN itself failed or COMMIT went through): nothing to undo.
            pass

    async def _transaction(
        self, work: Callable[[Conn], Awaitable[T]], *, write: bool = True
    ) -> T:
        """Run work inside one transaction: all of it commits or none of it does.

        Writes take the write lock up front (BEGIN IMMEDIATE) so reads inside work (the current
        head, the next rev) cannot go stale before the insert. Reads use a deferred transaction,
        which gives work a consistent snapshot across several queries.
        """
        conn = self._require()

        if write:
            self._check_still_there()

        async def attempt() -> T:
            await conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = await work(conn)
                await conn.execute("COMMIT")
            except BaseException:
                await self._rollback(conn)
                raise
            return result

        async with self._lock:
            return await self._retrying(attempt)

    # --- revisions: helpers (run inside a transaction) --------------------------------------------

    @staticmethod
    async def _fetch_one(conn: Conn, sql: str, params: Iterable[Any]) -> sqlite3.Row | None:
        rows = list(await conn.execute_fetchall(sql, tuple(params)))
        return rows[0] if rows else None

    async def _head(self, conn: Conn, kind: str, key: str) -> sqlite3.Row | None:
        return await self._fetch_one(
            conn,
            f"""
            SELECT {_REVISION_COLUMNS} FROM revisions
            WHERE kind = ? AND key = ? AND status = 'published'
            ORDER BY rev DESC LIMIT 1
            """,
            (kind, key),
        )

    async def _head_rev(self, conn: Conn, kind: str, key: str) -> tuple[int, Content | None]:
        row = await self._head(conn, kind, key)
        if row is None:
            return 0, None
        return row["rev"], json.loads(row["content"])

    async def _get(self, conn: Conn, revision_id: int) -> Revision:
        row = await self._fetch_one(
            conn, f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE id = ?", (revision_id,)
        )
        if row is None:
            raise NotFound(f"no revision with id {revision_id}")
        return _revision(row)

    async def _insert(
        self,
        conn: Conn,
        *,
        kind: str,
        key: str,
        content: Content,
        base_rev: int,
        author_id: int,
        author_name: str,
        note: str,
        status: RevisionStatus,
    ) -> Revision:
        payload = _to_json(content)
        row = await self._fetch_one(
            conn, "SELECT COALESCE(MAX(rev), 0) FROM revisions WHERE kind = ? AND key = ?", (kind, key)
        )
        # Pending and rejected revisions count too: a number, once shown, never means two things.
        rev = int(row[0]) + 1 if row else 1
        cursor = await conn.execute(
            """
            INSERT INTO revisions
                (kind, key, rev, base_rev, content, author_id, author_name, created_at, note, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (kind, key, rev, base_rev, payload, int(author_id), str(author_name), _now(), note,
             str(status)),
        )
        revision_id = cursor.lastrowid
        await cursor.close()
        assert revision_id is not None
        return await self._get(conn, revision_id)

    # --- revisions: public ------------------------------------------------------------------------

    async def propose(
        self,
        kind: str,
        key: str,
        content: Content,
        *,
        base_rev: int,
        author_id: int,
        author_name: str,
        note: str = "",
        publish: bool,
    ) -> Revision:
        """Add a revision edited from base_rev; published at once if publish, else pending.

        Raises Conflict if base_rev is no longer the latest published revision of the key.
        """
        kind = _check_kind(kind)
        key = _check_id(key, "key")

        async def work(conn: Conn) -> Revision:
            current_rev, current_content = await self._head_rev(conn, kind, key)
            if current_rev != base_rev:
                raise Conflict(kind, key, current_rev, current_content)
            return await self._insert(
                conn, kind=kind, key=key, content=content, base_rev=base_rev,
                author_id=author_id, author_name=author_name, note=note,
                status=RevisionStatus.PUBLISHED if publish else RevisionStatus.PENDING,
            )

        return await self._transaction(work)

    async def approve(self, revision_id: int, *, reviewer_id: int, reviewer_name: str) -> Revision:
        """Publish a pending revision. Four eyes: the author cannot approve their own change.

        Raises NotFound, PermissionError (self-approval), ValueError (not pending),
        Conflict (another revision was published since this one's base).
        """

        async def work(conn: Conn) -> Revision:
            revision = await self._get(conn, revision_id)
            if revision.status is not RevisionStatus.PENDING:
                raise ValueError(f"revision {revision_id} is {revision.status}, not pending")
            if int(reviewer_id) == revision.author_id:
                raise PermissionError("four eyes: the author cannot approve their own revision")
            current_rev, current_content = await self._head_rev(conn, revision.kind, revision.key)
            if current_rev != revision.base_rev:
                raise Conflict(revision.kind, revision.key, current_rev, current_content)
            await conn.execute(
                """
                UPDATE revisions
                SET status = 'published', reviewed_by = ?, reviewer_id = ?, reviewed_at = ?
                WHERE id = ?
                """,
                (str(reviewer_name), int(reviewer_id), _now(), revision_id),
            )
            return await self._get(conn, revision_id)

        return await self._transaction(work)

    async def reject(
        self, revision_id: int, *, reviewer_id: int, reviewer_name: str, note: str = ""
    ) -> Revision:
        """Reject a pending revision (the author may reject their own: that is a withdrawal)."""

        async def work(conn: Conn) -> Revision:
            revision = await self._get(conn, revision_id)
            if revision.status is not RevisionStatus.PENDING:
                raise ValueError(f"revision {revision_id} is {revision.status}, not pending")
            await conn.execute(
                """
                UPDATE revisions
                SET status = 'rejected', reviewed_by = ?, reviewer_id = ?, reviewed_at = ?,
                    review_note = ?
                WHERE id = ?
                """,
                (str(reviewer_name), int(reviewer_id), _now(), note, revision_id),
            )
            return await self._get(conn, revision_id)

        return await self._transaction(work)

    async def revert(
        self,
        kind: str,
        key: str,
        to_rev: int,
        *,
        baseline_content: Content | None,
        author_id: int,
        author_name: str,
        note: str = "",
    ) -> Revision:
        """Publish a new revision whose content is that of published revision to_rev.

        to_rev=0 restores baseline_content (the bundled YAML, given by the caller). Only published
        revisions can be restored: restoring a pending or rejected one would skip review.
        Raises NotFound (no such rev) and ValueError (not published / no baseline).
        """
        kind = _check_kind(kind)
        key = _check_id(key, "key")

        async def work(conn: Conn) -> Revision:
            if to_rev == 0:
                if baseline_content is None:
                    raise ValueError(f"{kind} {key!r} has no baseline to revert to")
                content = baseline_content
            else:
                row = await self._fetch_one(
                    conn,
                    f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE kind = ? AND key = ? AND rev = ?",
                    (kind, key, to_rev),
                )
                if row is None:
                    raise NotFound(f"{kind} {key!r} has no revision {to_rev}")
                target = _revision(row)
                if target.status is not RevisionStatus.PUBLISHED:
                    raise ValueError(f"revision {to_rev} was never published ({target.status})")
                content = target.content
            current_rev, _ = await self._head_rev(conn, kind, key)
            return await self._insert(
                conn, kind=kind, key=key, content=content, base_rev=current_rev,
                author_id=author_id, author_name=author_name,
                note=note or f"revert to revision {to_rev}", status=RevisionStatus.PUBLISHED,
            )

        return await self._transaction(work)

    async def history(self, kind: str, key: str) -> list[Revision]:
        """All revisions of one key, oldest first."""

        async def work(conn: Conn) -> list[Revision]:
            rows = await conn.execute_fetchall(
                f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE kind = ? AND key = ? ORDER BY rev",
                (kind, key),
            )
            return [_revision(row) for row in rows]

        return await self._transaction(work, write=False)

    async def pending(self) -> list[Revision]:
        """Revisions waiting for review, oldest first."""

        async def work(conn: Conn) -> list[Revision]:
            rows = await conn.execute_fetchall(
                f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE status = 'pending' ORDER BY id"
            )
            return [_revision(row) for row in rows]

        return await self._transaction(work, write=False)

    async def get_revision(self, revision_id: int) -> Revision:
        """The revision with database id `revision_id`; raises NotFound."""
        return await self._transaction(lambda conn: self._get(conn, revision_id), write=False)

    async def published_head(self, kind: str, key: str) -> Revision | None:
        """The latest published revision of a key; None means the bundled YAML applies."""

        async def work(conn: Conn) -> Revision | None:
            row = await self._head(conn, kind, key)
            return _revision(row) if row is not None else None

        return await self._transaction(work, write=False)

    async def effective_overrides(self) -> dict[str, dict[str, Content]]:
        """{"entry": {key: content}, "region": {key: content}[, "example": {key: content}]}: the latest published
        revision per key."""

        async def work(conn: Conn) -> dict[str, dict[str, Content]]:
            rows = await conn.execute_fetchall(
                """
                SELECT r.kind, r.key, r.content FROM revisions AS r
                WHERE r.status = 'published'
                  AND r.rev = (SELECT MAX(p.rev) FROM revisions AS p
                               WHERE p.kind = r.kind AND p.key = r.key AND p.status = 'published')
                ORDER BY r.kind, r.key
                """
            )
            # "entry" and "region" are always there; "example" only once such a revision was published.
            result: dict[str, dict[str, Content]] = {"entry": {}, "region": {}}
            for row in rows:
                result.setdefault(row["kind"], {})[row["key"]] = json.loads(row["content"])
            return result

        return await self._transaction(work, write=False)

    async def published_version(self) -> int:
        """How many revisions were ever published (published rows are never unpublished, so this only grows)."""

        async def work(conn: Conn) -> int:
            row = await self._fetch_one(conn, "SELECT COUNT(*) FROM revisions WHERE status = 'published'", ())
            return int(row[0]) if row else 0

        return await self._transaction(work, write=False)

    async def import_revisions(
        self,
        items: list[tuple[str, str, Content]],
        *,
        author_id: int,
        author_name: str,
        note: str,
    ) -> list[Revision]:
        """Publish many (kind, key, content) at once, all-or-nothing in ONE transaction.

        An import is a deliberate override (CLI), so each item's base is whatever is published.
        """

        async def work(conn: Conn) -> list[Revision]:
            done: list[Revision] = []
            for kind, key, content in items:
                # Checked inside the transaction on purpose: a bad item rolls back all before it.
                kind = _check_kind(kind)
                key = _check_id(key, "key")
                current_rev, _ = await self._head_rev(conn, kind, key)
                done.append(
                    await self._insert(
                        conn, kind=kind, key=key, content=content, base_rev=current_rev,
                        author_id=author_id, author_name=author_name, note=note,
                        status=RevisionStatus.PUBLISHED,
                    )
                )
            return done

        return await self._transaction(work)

    # --- stats: counts only -----------------------------------------------------------------------

    async def count_event(self, event: str, entry_id: str | None = None, day: str | None = None) -> None:
        """Add 1 to the counter (UTC day, event, entry id). Nothing else about the message is kept."""
        if event not in EVENTS:
            raise ValueError(f"event must be one of {sorted(EVENTS)}, got {event!r}")
        entry = "" if entry_id is None else _check_id(entry_id, "entry_id")
        day = _check_day(day)

        async def work(conn: Conn) -> None:
            await conn.execute(
                """
                INSERT INTO daily_counts (day, event, entry_id, n) VALUES (?, ?, ?, 1)
                ON CONFLICT (day, event, entry_id) DO UPDATE SET n = n + 1
                """,
                (day, event, entry),
            )

        await self._transaction(work)

    async def record_vote(self, entry_id: str, up: bool, day: str | None = None) -> None:
        """Count one helpful/unhelpful vote on an entry; who voted is not kept."""
        entry = _check_id(entry_id, "entry_id")
        day = _check_day(day)
        column = "up" if up else "down"  # one of two literals, never caller text

        async def work(conn: Conn) -> None:
            await conn.execute(
                f"""
                INSERT INTO daily_votes (day, entry_id, {column}) VALUES (?, ?, 1)
                ON CONFLICT (day, entry_id) DO UPDATE SET {column} = {column} + 1
                """,
                (day, entry),
            )

        await self._transaction(work)

    async def stats(self, since_day: str | None = None) -> dict:
        """Counts from since_day (inclusive, UTC) on; all days if None. Shape::

            {
              "since": "2025-01-01" | None,
              "served": n, "fallback": n, "urgent": n, "referral": n, "up": n, "down": n,  # totals
              "days": {"2025-01-01": {"served": n, "fallback": n, "urgent": n, "referral": n,
                                      "up": n, "down": n}, ...},                  # days with data
              "entries": {entry_id: {"served": n, "fallback": n, "urgent": n, "referral": n,
                                     "up": n, "down": n}, ...},  # events counted with an entry id
            }
        """
        since = None if since_day is None else _check_day(since_day)
        names = (*sorted(EVENTS), "up", "down")

        async def work(conn: Conn) -> dict:
            # Built afresh inside work: a retried (locked) read must not count anything twice.
            totals = dict.fromkeys(names, 0)
            days: dict[str, dict[str, int]] = {}
            entries: dict[str, dict[str, int]] = {}

            def add(day: str, entry_id: str, name: str, n: int) -> None:
                totals[name] += n
                days.setdefault(day, dict.fromkeys(names, 0))[name] += n
                if entry_id:  # '' = counted without an entry (fallback, urgent, ...)
                    entries.setdefault(entry_id, dict.fromkeys(names, 0))[name] += n

            first = since or ""  # '' sorts before every ISO day
            for row in await conn.execute_fetchall(
                "SELECT day, event, entry_id, n FROM daily_counts WHERE day >= ?", (first,)
            ):
                add(row["day"], row["entry_id"], row["event"], row["n"])
            for row in await conn.execute_fetchall(
                "SELECT day, entry_id, up, down FROM daily_votes WHERE day >= ?", (first,)
            ):
                add(row["day"], row["entry_id"], "up", row["up"])
                add(row["day"], row["entry_id"], "down", row["down"])
            return {
                "since": since,
                **totals,
                "days": dict(sorted(days.items())),
                "entries": dict(sorted(entries.items())),
            }

        return await self._transaction(work, write=False)
