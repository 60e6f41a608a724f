"""PostgreSQL-only behaviour of bot.pgstore, against a real server: migrations under concurrent starts, refusals,
publish notifications, and an outage (server stopped and started) that the store survives by itself."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from bot import pgstore
from bot.pgstore import SCHEMA_VERSION, PgStore
from bot.store import StoreDown, StoreUnavailable

ALICE = {"author_id": 101, "author_name": "Alice"}


def entry(entry_id: str, answer: str) -> dict:
    return {"id": entry_id, "answer": answer}


async def fetchval(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_many_workers_starting_at_once_migrate_once(pg_url: str) -> None:
    stores = [PgStore(pg_url) for _ in range(8)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        assert sum(s.migrated for s in stores) == SCHEMA_VERSION  # each step applied by exactly one of them
        assert await fetchval(pg_url, "SELECT version FROM schema_version") == SCHEMA_VERSION
        assert await fetchval(pg_url, "SELECT COUNT(*) FROM schema_version") == 1
        # and all of them work on the one schema
        await stores[0].propose("entry", "a", entry("a", "x"), base_rev=0, publish=True, **ALICE)
        assert [r.rev for r in await stores[7].history("entry", "a")] == [1]
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_newer_schema_is_refused(pg_url: str) -> None:
    async with PgStore(pg_url):
        pass
    conn = await asyncpg.connect(pg_url)
    await conn.execute("UPDATE schema_version SET version = 99")
    await conn.close()
    with pytest.raises(StoreUnavailable, match="schema version 99 is newer"):
        await PgStore(pg_url).open()


async def test_foreign_database_is_refused_untouched(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    await conn.execute("CREATE TABLE revisions (whatever TEXT)")
    await conn.close()
    with pytest.raises(StoreUnavailable, match="not an awarebot database"):
        await PgStore(pg_url).open()
    assert await fetchval(pg_url, "SELECT to_regclass('schema_version') IS NULL")


async def test_failed_migration_step_rolls_back(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with PgStore(pg_url) as store:
        await store.count_event("served", "x", day="2025-01-01")
    broken = ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL")
    monkeypatch.setattr(pgstore, "MIGRATIONS", (*pgstore.MIGRATIONS, broken))
    with pytest.raises(StoreUnavailable, match=f"migration to schema version {SCHEMA_VERSION + 1} failed"):
        await PgStore(pg_url).open()
    assert await fetchval(pg_url, "SELECT version FROM schema_version") == SCHEMA_VERSION
    assert await fetchval(pg_url, "SELECT to_regclass('half_done') IS NULL")
    assert await fetchval(pg_url, "SELECT n FROM daily_counts") == 1


async def test_a_version_1_database_migrates_to_translations_keeping_its_rows(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:  # a database made by a bot from before version 2
        patch.setattr(pgstore, "MIGRATIONS", pgstore.MIGRATIONS[:1])
        async with PgStore(pg_url) as old:
            await old.propose("entry", "a", entry("a", "v1"), base_rev=0, publish=True, **ALICE)
            with pytest.raises(asyncpg.CheckViolationError):  # version 1 refuses the kind
                await old.propose("translation", "es:a", {"id": "a"}, base_rev=0, publish=True, **ALICE)
    async with PgStore(pg_url) as store:
        assert await fetchval(pg_url, "SELECT version FROM schema_version") == SCHEMA_VERSION
        translated = await store.propose("translation", "es:a", {"id": "a", "answer": "uno"}, base_rev=0,
                                         publish=True, **ALICE)
        assert translated.rev == 1
        overrides = await store.effective_overrides()
        assert overrides["entry"] == {"a": entry("a", "v1")} and overrides["translation"] == {
            "es:a": {"id": "a", "answer": "uno"}}


async def test_publish_notifies_every_listener(pg_url: str) -> None:
    async with PgStore(pg_url) as worker1, PgStore(pg_url) as worker3:
        heard = asyncio.Event()
        assert await worker3.listen(heard.set)
        await worker1.propose("entry", "a", entry("a", "draft"), base_rev=0, publish=False, **ALICE)
        await asyncio.sleep(0)  # a pending revision publishes nothing ...
        assert not heard.is_set()
        await worker1.propose("entry", "b", entry("b", "live"), base_rev=0, publish=True, **ALICE)
        await asyncio.wait_for(heard.wait(), timeout=5)  # ... a published one is heard (on commit)
        assert await worker3.published_version() == 1


async def test_unreachable_at_start_is_unavailable() -> None:
    from servers import free_port

    with pytest.raises(StoreUnavailable, match="cannot connect"):
        await PgStore(f"postgresql://awarebot@127.0.0.1:{free_port()}/nothing").open()


async def test_server_down_then_back_recovers_by_itself(pg_url: str, postgres_server: Any) -> None:
    async with PgStore(pg_url) as store:
        heard = asyncio.Event()
        assert await store.listen(heard.set)
        await store.propose("entry", "a", entry("a", "1"), base_rev=0, publish=True, **ALICE)
        await asyncio.wait_for(heard.wait(), timeout=5)

        await asyncio.to_thread(postgres_server.stop)
        with pytest.raises(StoreDown):
            await store.propose("entry", "a", entry("a", "2"), base_rev=1, publish=True, **ALICE)
        with pytest.raises(StoreDown):
            await store.published_version()
        with pytest.raises(StoreDown):
            await store.count_event("served", "a")
        assert not await store.listen(heard.set)  # the listening connection is gone too

        await asyncio.to_thread(postgres_server.start)
        # No reopen: the pool makes new connections on the next call (the first may still meet a dead one).
        for _ in range(3):
            try:
                assert await store.published_version() == 1
                break
            except StoreDown:
                continue
        else:
            pytest.fail("the store did not recover after the server came back")
        heard.clear()
        assert await store.listen(heard.set)
        revision = await store.propose("entry", "a", entry("a", "2"), base_rev=1, publish=True, **ALICE)
        assert revision.rev == 2
        await asyncio.wait_for(heard.wait(), timeout=5)
