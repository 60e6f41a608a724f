"""Tests for the storage backends: revisions, concurrency, crash safety, corruption, locking, count-only stats.

Every behaviour test takes the `store` fixture, which runs it once on SQLite (bot.store.Store) and once on a real
PostgreSQL server (bot.pgstore.PgStore), so the two cannot drift. File-level tests (WAL, corruption, a killed
writer, locks) are about SQLite's file and use `Store` directly; PostgreSQL's own are in tests/test_pgstore.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.storage import Storage, open_storage, sqlite_path
from bot.store import (
    DOCUMENTED_COLUMNS,
    SCHEMA_VERSION,
    Conflict,
    NotFound,
    RevisionStatus,
    Store,
    StoreBusy,
    StoreUnavailable,
)

ROOT = Path(__file__).resolve().parent.parent

ALICE = {"author_id": 101, "author_name": "Alice"}
BOB = {"author_id": 202, "author_name": "Bob"}


def entry(entry_id: str, answer: str) -> dict:
    return {
        "id": entry_id,
        "title": entry_id.replace("-", " ").title(),
        "category": "basics",
        "questions": [f"what is {entry_id}?"],
        "keywords": [entry_id],
        "answer": answer,
        "related": [],
        "sources": ["https://example.org/source"],
        "reviewed": "2025-01-01",
    }


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "awarebot.db"


@pytest.fixture
async def store(database_url: str):
    """The store under test, on each backend in turn (see conftest.database_url)."""
    s = open_storage(database_url)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


async def assert_unavailable(path: Path, match: str) -> None:
    """open() must refuse; if it wrongly succeeds, close it so the test fails instead of hanging."""
    store = Store(path)
    try:
        with pytest.raises(StoreUnavailable, match=match):
            await store.open()
    finally:
        await store.close()


# --- open / schema --------------------------------------------------------------------------------


async def test_open_creates_file_wal_and_latest_schema(db_path: Path) -> None:
    assert not db_path.parent.exists()
    async with Store(db_path):
        assert db_path.is_file()
        con = raw(db_path)
        try:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        finally:
            con.close()
    assert SCHEMA_VERSION >= 2


# The v1 DDL as released, copied here on purpose: if someone edits the released step in
# store.MIGRATIONS instead of adding a new one, real old databases stop migrating and this test shows it.
V1_DDL = [
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
]


async def test_migrates_v1_database_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = raw(path)
    for statement in V1_DDL:
        con.execute(statement)
    con.execute(
        """INSERT INTO revisions (kind, key, rev, base_rev, content, author_id, author_name,
                                  created_at, note, status)
           VALUES ('entry', 'what-is-trafficking', 1, 0, ?, 7, 'Old Mod', '2024-01-01T00:00:00+00:00',
                   'from v1', 'published')""",
        ('{"id": "what-is-trafficking", "answer": "old"}',),
    )
    con.execute("PRAGMA user_version = 1")
    con.close()

    async with Store(path) as store:
        head = await store.published_head("entry", "what-is-trafficking")
        assert head is not None
        assert head.content == {"id": "what-is-trafficking", "answer": "old"}
        assert (head.rev, head.author_name, head.note) == (1, "Old Mod", "from v1")
        assert head.reviewer_id is None and head.review_note == ""  # v2 columns got defaults
        # v2 tables work
        await store.count_event("served", "what-is-trafficking", day="2025-02-01")
        # and new revisions continue the numbering
        nxt = await store.propose("entry", "what-is-trafficking", entry("what-is-trafficking", "new"),
                                  base_rev=1, publish=True, **ALICE)
        assert nxt.rev == 2
        # v3 and v4 kinds are accepted by the migrated table: examples and translations
        await store.propose("example", "en.urgent", {"lang": "en", "label": "urgent", "texts": ["x"]},
                            base_rev=0, publish=True, **ALICE)
        translated = await store.propose("translation", "es:what-is-trafficking", {"id": "what-is-trafficking"},
                                         base_rev=0, publish=True, **ALICE)
        assert translated.rev == 1 and (await store.history("entry", "what-is-trafficking"))[0].note == "from v1"

    con = raw(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        assert {"revisions", "daily_counts", "daily_votes"} <= tables
    finally:
        con.close()


async def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    con = raw(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    before = path.read_bytes()
    await assert_unavailable(path, "newer")
    assert path.read_bytes() == before


async def test_failed_migration_step_rolls_back(tmp_path: Path, monkeypatch) -> None:
    import bot.store as store_module

    path = tmp_path / "m.db"
    async with Store(path) as store:
        await store.count_event("served", "x", day="2025-01-01")
    broken_v3 = ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL")
    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, broken_v3))

    await assert_unavailable(path, f"migration to schema version {SCHEMA_VERSION + 1} failed")
    con = raw(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_schema")}
        assert "half_done" not in names  # the step's first statement was rolled back too
        assert con.execute("SELECT n FROM daily_counts").fetchall() == [(1,)]
    finally:
        con.close()


# --- revisions ------------------------------------------------------------------------------------


async def test_propose_publish_history_overrides(store: Storage) -> None:
    r1 = await store.propose("entry", "debt-bondage", entry("debt-bondage", "v1"), base_rev=0,
                             publish=True, note="first", **ALICE)
    assert (r1.rev, r1.base_rev, r1.status) == (1, 0, RevisionStatus.PUBLISHED)
    assert (r1.author_id, r1.author_name, r1.note) == (101, "Alice", "first")
    assert r1.created_at.endswith("+00:00")

    r2 = await store.propose("entry", "debt-bondage", entry("debt-bondage", "v2"), base_rev=1,
                             publish=True, **BOB)
    region = {"code": "DE", "name": "Germany", "hotline": "+49 800 000 0000",
              "source": "https://example.org/de"}
    g1 = await store.propose("region", "DE", region, base_rev=0, publish=True, **ALICE)
    pend = await store.propose("entry", "debt-bondage", entry("debt-bondage", "v3"), base_rev=2,
                               publish=False, **ALICE)
    assert pend.status is RevisionStatus.PENDING and pend.rev == 3

    history = await store.history("entry", "debt-bondage")
    assert [r.rev for r in history] == [1, 2, 3]
    assert [r.content["answer"] for r in history] == ["v1", "v2", "v3"]
    assert (await store.published_head("entry", "debt-bondage")).id == r2.id
    assert await store.published_head("entry", "nope") is None
    assert (await store.get_revision(g1.id)).content["source"] == "https://example.org/de"

    overrides = await store.effective_overrides()
    assert overrides == {
        "entry": {"debt-bondage": entry("debt-bondage", "v2")},  # pending v3 does not count
        "region": {"DE": region},
    }
    assert [r.id for r in await store.pending()] == [pend.id]

    with pytest.raises(NotFound):
        await store.get_revision(9999)
    with pytest.raises(ValueError):
        await store.propose("recipe", "x", {}, base_rev=0, publish=True, **ALICE)


async def test_translations_are_revisions_of_their_own_kind(store: Storage) -> None:
    """An entry's translation ("translation", key "<lang>:<entry id>") is stored, reviewed, reverted and listed
    like any other revision, apart from the entry and from the other languages."""
    es = {"id": "debt-bondage", "title": "Servidumbre por deudas", "questions": ["q"], "answer": "v1\n",
          "reviewed": "2026-11-30", "source_reviewed": "2026-11-28"}
    t1 = await store.propose("translation", "es:debt-bondage", es, base_rev=0, publish=True, **ALICE)
    pending = await store.propose("translation", "es:debt-bondage", {**es, "answer": "v2\n"}, base_rev=1,
                                  publish=False, **ALICE)
    await store.propose("translation", "uk:debt-bondage", {**es, "answer": "uk\n"}, base_rev=0, publish=True, **BOB)
    approved = await store.approve(pending.id, reviewer_id=202, reviewer_name="Bob")
    assert (t1.rev, approved.rev, approved.status) == (1, 2, RevisionStatus.PUBLISHED)
    assert await store.history("entry", "debt-bondage") == []
    overrides = await store.effective_overrides()
    assert overrides["translation"] == {"es:debt-bondage": {**es, "answer": "v2\n"},
                                        "uk:debt-bondage": {**es, "answer": "uk\n"}}
    back = await store.revert("translation", "es:debt-bondage", 1, baseline_content=None, **BOB)
    assert back.rev == 3 and (await store.published_head("translation", "es:debt-bondage")).content == es


async def test_approve_reject_and_four_eyes(store: Storage) -> None:
    p = await store.propose("entry", "grooming", entry("grooming", "a"), base_rev=0,
                            publish=False, **ALICE)
    with pytest.raises(PermissionError):
        await store.approve(p.id, reviewer_id=ALICE["author_id"], reviewer_name="Alice again")
    assert (await store.get_revision(p.id)).status is RevisionStatus.PENDING
    assert await store.effective_overrides() == {"entry": {}, "region": {}}

    ok = await store.approve(p.id, reviewer_id=202, reviewer_name="Bob")
    assert ok.status is RevisionStatus.PUBLISHED
    assert (ok.reviewed_by, ok.reviewer_id) == ("Bob", 202) and ok.reviewed_at
    assert (await store.effective_overrides())["entry"]["grooming"]["answer"] == "a"
    with pytest.raises(ValueError):  # already published
        await store.approve(p.id, reviewer_id=303, reviewer_name="Carol")

    q = await store.propose("entry", "grooming", entry("grooming", "b"), base_rev=1,
                            publish=False, **ALICE)
    rejected = await store.reject(q.id, reviewer_id=202, reviewer_name="Bob", note="needs source")
    assert rejected.status is RevisionStatus.REJECTED
    assert rejected.review_note == "needs source"
    assert await store.pending() == []
    assert (await store.effective_overrides())["entry"]["grooming"]["answer"] == "a"
    with pytest.raises(ValueError):
        await store.approve(q.id, reviewer_id=202, reviewer_name="Bob")
    # numbers are never reused, even after a rejection
    r = await store.propose("entry", "grooming", entry("grooming", "c"), base_rev=1,
                            publish=True, **BOB)
    assert r.rev == 3


async def test_conflict_on_stale_base(store: Storage) -> None:
    # Both moderators open the baseline (rev 0) and edit it.
    first = await store.propose("entry", "signs", entry("signs", "alice's"), base_rev=0,
                                publish=True, **ALICE)
    with pytest.raises(Conflict) as info:
        await store.propose("entry", "signs", entry("signs", "bob's"), base_rev=0,
                            publish=True, **BOB)
    assert info.value.current_rev == first.rev == 1
    assert info.value.current_content == entry("signs", "alice's")
    assert (info.value.kind, info.value.key) == ("entry", "signs")
    assert [r.author_name for r in await store.history("entry", "signs")] == ["Alice"]

    # A base newer than what exists is stale too (current is 1, not 5).
    with pytest.raises(Conflict):
        await store.propose("entry", "signs", {}, base_rev=5, publish=False, **BOB)


async def test_simultaneous_proposals_one_wins(store: Storage, database_url: str) -> None:
    # Same process, interleaved coroutines.
    results = await asyncio.gather(
        *(store.propose("entry", "race", entry("race", f"writer {i}"), base_rev=0, publish=True,
                        author_id=i, author_name=f"M{i}") for i in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, Conflict) and r.current_rev == 1
               for r in results if isinstance(r, BaseException))

    # Two connections to one database (as two bot processes would have): the database keeps them apart.
    other = open_storage(database_url)
    await other.open()
    try:
        results = await asyncio.gather(
            store.propose("entry", "race", entry("race", "a"), base_rev=1, publish=True, **ALICE),
            other.propose("entry", "race", entry("race", "b"), base_rev=1, publish=True, **BOB),
            return_exceptions=True,
        )
    finally:
        await other.close()
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Revision"]
    assert [r.rev for r in await store.history("entry", "race")] == [1, 2]


async def test_approve_of_stale_pending_is_conflict(store: Storage) -> None:
    pending = await store.propose("entry", "signs", entry("signs", "pending"), base_rev=0,
                                  publish=False, **ALICE)
    published = await store.propose("entry", "signs", entry("signs", "direct"), base_rev=0,
                                    publish=True, **BOB)
    with pytest.raises(Conflict) as info:
        await store.approve(pending.id, reviewer_id=303, reviewer_name="Carol")
    assert info.value.current_rev == published.rev
    assert info.value.current_content["answer"] == "direct"
    assert (await store.get_revision(pending.id)).status is RevisionStatus.PENDING
    assert (await store.effective_overrides())["entry"]["signs"]["answer"] == "direct"


async def test_revert_to_baseline_and_earlier_rev(store: Storage) -> None:
    base = entry("help", "baseline")
    await store.propose("entry", "help", entry("help", "one"), base_rev=0, publish=True, **ALICE)
    await store.propose("entry", "help", entry("help", "two"), base_rev=1, publish=True, **ALICE)

    back = await store.revert("entry", "help", 1, baseline_content=base, **BOB)
    assert (back.rev, back.base_rev, back.status) == (3, 2, RevisionStatus.PUBLISHED)
    assert back.content == entry("help", "one")
    assert (await store.effective_overrides())["entry"]["help"] == entry("help", "one")

    zero = await store.revert("entry", "help", 0, baseline_content=base, note="undo all", **BOB)
    assert (zero.rev, zero.base_rev, zero.note) == (4, 3, "undo all")
    assert (await store.effective_overrides())["entry"]["help"] == base
    assert [r.rev for r in await store.history("entry", "help")] == [1, 2, 3, 4]

    with pytest.raises(NotFound):
        await store.revert("entry", "help", 42, baseline_content=base, **BOB)
    rejected = await store.propose("entry", "help", entry("help", "bad"), base_rev=4,
                                   publish=False, **ALICE)
    await store.reject(rejected.id, reviewer_id=202, reviewer_name="Bob")
    with pytest.raises(ValueError):  # restoring never-published content would skip review
        await store.revert("entry", "help", rejected.rev, baseline_content=base, **BOB)


# --- atomicity ------------------------------------------------------------------------------------


async def test_import_is_all_or_nothing(store: Storage) -> None:
    before = await store.propose("entry", "a", entry("a", "kept"), base_rev=0, publish=True, **ALICE)
    items = [
        ("entry", "a", entry("a", "imported")),
        ("entry", "b", entry("b", "imported")),
        ("entry", "c", {"answer": object()}),  # not JSON: fails after two rows were inserted
        ("region", "DE", {"code": "DE"}),
    ]
    with pytest.raises(TypeError):
        await store.import_revisions(items, author_id=0, author_name="cli", note="bulk")
    assert await store.history("entry", "b") == []
    assert await store.history("region", "DE") == []
    assert [r.id for r in await store.history("entry", "a")] == [before.id]
    assert (await store.effective_overrides())["entry"] == {"a": entry("a", "kept")}

    done = await store.import_revisions(items[:2] + items[3:], author_id=0, author_name="cli",
                                        note="bulk")
    assert [(r.kind, r.key, r.rev, r.status) for r in done] == [
        ("entry", "a", 2, RevisionStatus.PUBLISHED),
        ("entry", "b", 1, RevisionStatus.PUBLISHED),
        ("region", "DE", 1, RevisionStatus.PUBLISHED),
    ]


KILL_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from bot.store import Store

    async def main() -> None:
        store = Store(Path(sys.argv[1]))
        await store.open()
        conn = store._conn
        real_execute = conn.execute

        def execute(sql, *args, **kwargs):
            if sql.strip().upper() == "COMMIT":
                return stall()
            return real_execute(sql, *args, **kwargs)

        async def stall():
            # Every row is inserted, the transaction is open: now wait to be killed.
            print("started", flush=True)
            await asyncio.sleep(60)

        conn.execute = execute
        items = [("entry", f"bulk-{i}", {"id": f"bulk-{i}", "answer": "x" * 2000}) for i in range(3000)]
        items.append(("entry", "keep", {"id": "keep", "answer": "overwritten"}))
        await store.import_revisions(items, author_id=0, author_name="cli", note="bulk")
        print("committed", flush=True)

    asyncio.run(main())
    """
)


async def test_kill_during_import_keeps_old_state(tmp_path: Path) -> None:
    path = tmp_path / "kill.db"
    async with Store(path) as store:
        await store.propose("entry", "keep", entry("keep", "original"), base_rev=0, publish=True,
                            **ALICE)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD, str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=60)
        assert line.strip() == "started", child.stderr.read() if child.poll() is not None else line
        # Mid-transaction: the big import was written (partly into the WAL file) but not committed.
        assert path.with_name(path.name + "-wal").stat().st_size > 1_000_000
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    async with Store(path) as store:  # open() runs quick_check: raises if corrupt
        history = await store.history("entry", "keep")
        assert [(r.rev, r.content["answer"]) for r in history] == [(1, "original")]
        assert await store.history("entry", "bulk-0") == []
        assert (await store.effective_overrides())["entry"] == {"keep": entry("keep", "original")}
        # and writable again: the dead writer's lock is gone
        await store.propose("entry", "keep", entry("keep", "after"), base_rev=1, publish=True, **BOB)

    con = raw(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM revisions").fetchone()[0] == 2
    finally:
        con.close()


# --- corruption -----------------------------------------------------------------------------------


async def test_random_bytes_file_is_unavailable_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    junk = b"definitely not SQLite" + os.urandom(8192)
    path.write_bytes(junk)
    mtime = path.stat().st_mtime_ns
    await assert_unavailable(path, "corrupt.db: integrity check failed .file is not a database")
    assert path.read_bytes() == junk
    assert path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.db"]  # no -wal/-shm, not moved


def scribble_cell_pointers(data: bytearray, start: int) -> None:
    data[start + 8 : start + 64] = b"\xff" * 56  # SQLite raises "malformed"


def bad_freeblock(data: bytearray, start: int) -> None:
    data[start + 1 : start + 3] = b"\x00\x09"  # quick_check reports "free space corruption"


@pytest.mark.parametrize("damage", [scribble_cell_pointers, bad_freeblock])
async def test_damaged_pages_fail_quick_check(tmp_path: Path, damage) -> None:
    path = tmp_path / "damaged.db"
    async with Store(path) as store:
        for i in range(200):
            await store.count_event("served", f"entry-{i}", day="2025-03-01")
    con = raw(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode = DELETE")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(path.read_bytes())
    # The header (page 1) stays valid, so only a real integrity check notices the damage.
    for page in range(1, len(data) // page_size):
        damage(data, page * page_size)
    path.write_bytes(bytes(data))
    damaged = path.read_bytes()

    await assert_unavailable(path, "damaged.db: integrity check failed")
    assert path.read_bytes() == damaged


# --- locking --------------------------------------------------------------------------------------


async def test_locked_database_is_retried(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    # A tiny busy_timeout so SQLite gives up at once and our own retry/backoff has to do the work.
    async with Store(path, busy_timeout_ms=10, retries=6, retry_delay=0.05) as store:
        other = raw(path)
        other.execute("BEGIN IMMEDIATE")  # another process' writer holds the lock
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, other.rollback)
        started = time.monotonic()
        try:
            rev = await store.propose("entry", "x", entry("x", "ok"), base_rev=0, publish=True,
                                      **ALICE)
        finally:
            other.close()
        assert time.monotonic() - started >= 0.25
        assert rev.rev == 1
        assert store.busy_retries >= 1
        assert len(await store.history("entry", "x")) == 1


async def test_lock_held_too_long_gives_up_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "stuck.db"
    async with Store(path, busy_timeout_ms=10, retries=2, retry_delay=0.01) as store:
        other = raw(path)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreBusy):
                await store.propose("entry", "x", entry("x", "no"), base_rev=0, publish=True,
                                    **ALICE)
        finally:
            other.rollback()
            other.close()
        assert store.busy_retries == 2
        # the store is still usable afterwards
        assert (await store.propose("entry", "x", entry("x", "yes"), base_rev=0, publish=True,
                                    **ALICE)).rev == 1


# --- stats and privacy ----------------------------------------------------------------------------


async def test_stats_counts_only(store: Storage) -> None:
    for _ in range(3):
        await store.count_event("served", "debt-bondage", day="2025-05-01")
    await store.count_event("served", "grooming", day="2025-05-02")
    await store.count_event("fallback", day="2025-05-01")
    await store.count_event("urgent", day="2025-05-02")
    await store.count_event("referral", "DE", day="2025-05-02")
    await store.record_vote("debt-bondage", True, day="2025-05-01")
    await store.record_vote("debt-bondage", True, day="2025-05-02")
    await store.record_vote("debt-bondage", False, day="2025-05-02")
    await store.count_event("served")  # today, UTC

    zero = dict.fromkeys(("served", "fallback", "urgent", "referral", "up", "down"), 0)
    stats = await store.stats(since_day="2025-05-01")
    assert stats["since"] == "2025-05-01"
    assert (stats["served"], stats["fallback"], stats["urgent"], stats["referral"]) == (5, 1, 1, 1)
    assert (stats["up"], stats["down"]) == (2, 1)
    assert stats["days"]["2025-05-01"] == {**zero, "served": 3, "fallback": 1, "up": 1}
    assert stats["days"]["2025-05-02"] == {**zero, "served": 1, "urgent": 1, "referral": 1,
                                           "up": 1, "down": 1}
    assert stats["entries"] == {
        "debt-bondage": {**zero, "served": 3, "up": 2, "down": 1},
        "grooming": {**zero, "served": 1},
        "DE": {**zero, "referral": 1},
    }

    later = await store.stats(since_day="2025-05-02")
    assert set(later["days"]) >= {"2025-05-02"} and "2025-05-01" not in later["days"]
    assert later["entries"]["debt-bondage"] == {**zero, "served": 0, "up": 1, "down": 1}

    with pytest.raises(ValueError):
        await store.count_event("message", "x")
    with pytest.raises(ValueError):
        await store.count_event("served", "x", day="May 1st")


# Every table and column, written out here (not imported) so that adding one needs a conscious
# edit of this list. None of them may hold text from ordinary users or their ids.
EXPECTED_SCHEMA = {
    "revisions": {
        "id", "kind", "key", "rev", "base_rev", "content", "author_id", "author_name",
        "created_at", "note", "status", "reviewed_by", "reviewed_at", "reviewer_id", "review_note",
    },
    "daily_counts": {"day", "event", "entry_id", "n"},
    "daily_votes": {"day", "entry_id", "up", "down"},
}


async def actual_schema(database_url: str) -> dict[str, set[str]]:
    """Every table and its columns, read from the database itself."""
    if database_url.startswith("sqlite"):
        con = raw(sqlite_path(database_url))
        try:
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            return {t: {c[1] for c in con.execute(f"PRAGMA table_info({t})")} for t in tables}
        finally:
            con.close()
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    schema: dict[str, set[str]] = {}
    for row in rows:
        schema.setdefault(row["table_name"], set()).add(row["column_name"])
    return schema


async def test_schema_matches_documented_privacy_set(store: Storage, database_url: str) -> None:
    actual = await actual_schema(database_url)
    # PostgreSQL keeps its schema version in a table (SQLite in the file header): a bare number.
    expected = EXPECTED_SCHEMA if database_url.startswith("sqlite") else {**EXPECTED_SCHEMA,
                                                                           "schema_version": {"version"}}
    assert actual == expected
    assert {t: set(c) for t, c in DOCUMENTED_COLUMNS.items()} == EXPECTED_SCHEMA


async def everything_stored(database_url: str, request: pytest.FixtureRequest) -> bytes:
    """Every byte the database keeps: SQLite's file (+ WAL), or PostgreSQL's whole data folder (tables, WAL)
    after a CHECKPOINT, plus every row as text."""
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = []
        for table in EXPECTED_SCHEMA:
            rows += [str(tuple(r)) for r in await conn.fetch(f"SELECT * FROM {table}")]
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    server = request.getfixturevalue("postgres_server")
    files = [p for p in server.data.rglob("*") if p.is_file()]
    return "\n".join(rows).encode() + b"".join(p.read_bytes() for p in files)


async def test_no_user_text_reaches_the_database(database_url: str, request: pytest.FixtureRequest) -> None:
    canary = "CANARY my boss took my passport 5550123"
    user_id = 987654321987
    store = open_storage(database_url)
    await store.open()
    try:
        # A normal flow: the bot answered the user's message (canary) with an entry, user voted.
        await store.count_event("served", "passport-confiscation")
        await store.count_event("urgent")
        await store.record_vote("passport-confiscation", up=True)
        p = await store.propose("entry", "passport-confiscation",
                                entry("passport-confiscation", "Keeping your passport is a red flag."),
                                base_rev=0, publish=False, **ALICE)
        await store.approve(p.id, reviewer_id=202, reviewer_name="Bob")
        # A bug passing the message where an id belongs is refused, not stored.
        with pytest.raises(ValueError):
            await store.count_event("served", canary)
        with pytest.raises(ValueError):
            await store.record_vote(canary, up=False)
        await store.stats()
    finally:
        await store.close()

    blob = await everything_stored(database_url, request)
    assert blob  # the scan looked at something
    assert b"passport-confiscation" in blob  # ... including the data we did write
    for needle in (canary, "CANARY", "5550123", str(user_id)):
        assert needle.encode() not in blob


async def test_published_version_grows_with_every_publish(store: Storage) -> None:
    assert await store.published_version() == 0
    pending = await store.propose("entry", "a", entry("a", "1"), base_rev=0, publish=False, **ALICE)
    assert await store.published_version() == 0  # pending is not served
    await store.approve(pending.id, reviewer_id=202, reviewer_name="Bob")
    assert await store.published_version() == 1
    rejected = await store.propose("entry", "a", entry("a", "2"), base_rev=1, publish=False, **ALICE)
    await store.reject(rejected.id, reviewer_id=202, reviewer_name="Bob")
    assert await store.published_version() == 1
    await store.revert("entry", "a", 0, baseline_content=entry("a", "0"), **BOB)
    await store.import_revisions([("entry", "b", entry("b", "x")), ("region", "DE", {"code": "DE"})],
                                 author_id=0, author_name="cli", note="bulk")
    assert await store.published_version() == 4
