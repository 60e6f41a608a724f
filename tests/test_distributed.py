"""Several workers on one database (real PostgreSQL; SQLite for the embedded safety net): a publish on one worker
is served by the others, the database going away costs no answers and refuses edits clearly, and everything
comes back by itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import (
    Config,
    ConfigError,
    ModerationConfig,
    Moderator,
    Role,
    database_url,
    load_config,
)
from bot.engine import Engine, LiveEngine
from bot.pgstore import PgStore
from bot.service import open_store_or_retry
from bot.storage import Storage, open_storage, sqlite_url
from bot.sync import KnowledgeSync
from handlers.kbchat import DATABASE_DOWN, PUBLISH, Moderation

EDITOR = 1001
ENTRY = "what-is-sex-trafficking"
NEW_ANSWER = "Published on worker one: trafficking means exploiting a person through force, fraud or coercion."


def moderated(config: Config, url: str) -> Config:
    return replace(config, database_url=url, moderation=ModerationConfig(
        require_review=False, moderators=(Moderator(EDITOR, "Erin", Role.EDITOR),)))


class Worker:
    """One worker's knowledge side: its own store connection, live engine, sync and moderation service."""

    def __init__(self, config: Config, engine: Engine, *, interval: float, retry: float = 0.05) -> None:
        self.config = config
        self.store: Storage | None = open_storage(database_url(config))
        self.live = LiveEngine(engine)
        self.sync = KnowledgeSync(config, self.live, lambda: self.store, interval=interval, retry=retry)
        self.moderation = Moderation(config, self.live, lambda: self.store, sync=self.sync)

    async def open(self) -> Worker:
        assert self.store is not None
        await self.store.open()
        await self.sync.refresh(force=True, first=True)
        return self

    async def close(self) -> None:
        await self.sync.stop()
        if self.store is not None:
            await self.store.close()

    def answer(self) -> str:
        return self.live.current.entry_reply(ENTRY).text

    async def publish(self, answer: str) -> str:
        await self.moderation.start_edit(EDITOR, ENTRY, None)
        await self.moderation.text(EDITOR, answer, None)
        return (await self.moderation.press(EDITOR, PUBLISH, None)).body


@pytest.fixture
async def workers(request: pytest.FixtureRequest, bundled_engine: Engine) -> AsyncIterator[Any]:
    """make(url, interval=…) → an opened Worker; all closed afterwards."""
    made: list[Worker] = []

    async def make(url: str, *, interval: float) -> Worker:
        worker = Worker(moderated(Config(), url), bundled_engine, interval=interval)
        made.append(worker)
        return await worker.open()

    yield make
    for worker in made:
        await worker.close()


async def until(condition: Any, timeout: float = 10.0) -> None:
    """Wait (yielding to the loop) until condition() is true; fail after `timeout` seconds."""
    async def loop() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(loop(), timeout)


async def test_publish_on_worker_one_is_served_by_worker_three(pg_url: str, workers: Any) -> None:
    # The safety net is an hour: only the notification (LISTEN/NOTIFY) can bring the change in time.
    one, _two, three = [await workers(pg_url, interval=3600) for _ in range(3)]
    three.sync.start()
    await until(lambda: three.store is not None and three.store._listener is not None)
    before = three.live.current
    assert NEW_ANSWER not in three.answer()

    said = await one.publish(NEW_ANSWER)
    assert "Published" in said, said
    assert NEW_ANSWER in one.answer()
    await until(lambda: three.live.current is not before)
    assert NEW_ANSWER in three.answer()
    assert three.sync.published == await three.store.published_version() == 1


async def test_safety_net_without_notifications(tmp_path: Path, workers: Any) -> None:
    """Two processes on one SQLite file have no push channel: the periodic version check brings the change."""
    url = sqlite_url(tmp_path / "shared.sqlite3")
    one = await workers(url, interval=3600)
    other = await workers(url, interval=0.05)
    other.sync.start()
    before = other.live.current
    assert "Published" in await one.publish(NEW_ANSWER)
    await until(lambda: other.live.current is not before)
    assert NEW_ANSWER in other.answer()


async def test_database_down_answers_go_on_edits_refused_then_recovers(
    pg_url: str, postgres_server: Any, workers: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    worker = await workers(pg_url, interval=3600)
    assert "Published" in await worker.publish("First version, published before the outage.")
    served = worker.live.current
    # A moderator is half-way through an edit when the database goes away.
    await worker.moderation.start_edit(EDITOR, ENTRY, None)
    await worker.moderation.text(EDITOR, "Written while the database is down.", None)

    await asyncio.to_thread(postgres_server.stop)
    caplog.set_level(logging.WARNING, logger="bot.sync")
    for _ in range(3):  # three checks while down: one warning, not three
        assert await worker.sync.step() == worker.sync.retry
    assert worker.sync.down
    assert [r.message for r in caplog.records].count(
        next(r.message for r in caplog.records if "UNREACHABLE" in r.message)) == 1
    # People are answered from the knowledge already loaded ...
    assert worker.live.current is served
    reply = worker.live.current.respond("what is sex trafficking")
    assert "First version" in reply.text
    # ... and a moderator's edit is refused with a message that says what is going on.
    refused = await worker.moderation.press(EDITOR, PUBLISH, None)
    assert refused.body.startswith("⚠️ **Editing is paused: the database cannot be reached right now.**")
    assert "Nothing was changed" in refused.body
    # The draft is kept: the Publish button stays for a press once the database is back.
    assert any(button.action == PUBLISH for button in refused.buttons)
    assert (await worker.moderation.menu(EDITOR)).body == DATABASE_DOWN

    await asyncio.to_thread(postgres_server.start)

    async def recovered() -> None:
        while await worker.sync.step() != worker.sync.interval:  # as run() does, every `retry` seconds
            await asyncio.sleep(worker.sync.retry)

    await asyncio.wait_for(recovered(), 10)
    assert not worker.sync.down
    assert any("REACHABLE again" in r.message for r in caplog.records)
    # The draft kept through the outage is published with one more press.
    assert "Published" in (await worker.moderation.press(EDITOR, PUBLISH, None)).body
    assert "Written while the database is down." in worker.answer()
    assert "Published" in await worker.publish("Second version, after the outage.")
    assert "Second version" in worker.answer()


async def test_server_down_at_start_is_opened_when_it_answers(
    pg_url: str, postgres_server: Any, bundled_engine: Engine
) -> None:
    config = moderated(Config(), pg_url)
    async with PgStore(pg_url) as other:  # someone published while this worker was away
        await other.propose("entry", ENTRY, {**bundled_engine.knowledge.entries[ENTRY].to_data(),
                                             "answer": NEW_ANSWER}, base_rev=0, publish=True,
                            author_id=EDITOR, author_name="Erin")
    await asyncio.to_thread(postgres_server.stop)
    store, retry = await open_store_or_retry(config)
    assert store is None and retry is not None
    holder: dict[str, Any] = {"store": None}
    live = LiveEngine(bundled_engine)
    sync = KnowledgeSync(config, live, lambda: holder["store"], retry=0.05)
    sync.retry_open(retry, lambda s: holder.__setitem__("store", s))
    assert await sync.step() == sync.retry and holder["store"] is None
    assert NEW_ANSWER not in live.current.entry_reply(ENTRY).text  # the baseline meanwhile

    await asyncio.to_thread(postgres_server.start)
    assert await sync.step() == sync.interval
    try:
        assert holder["store"] is retry
        assert NEW_ANSWER in live.current.entry_reply(ENTRY).text
    finally:
        await retry.close()


def test_backend_urls_from_config_and_environment(tmp_path: Path) -> None:
    assert database_url(Config()) == "sqlite:///data/awarebot.sqlite3"  # the embedded default, unchanged
    assert Config().state_url == "memory://"
    path = tmp_path / "config.toml"
    path.write_text('[awarebot]\ndatabase_url = "postgresql://bot:pw@db.internal:5432/awarebot"\n'
                    'state_url = "redis://cache.internal:6379/0"\n')
    config = load_config(path, env={})
    assert database_url(config) == "postgresql://bot:pw@db.internal:5432/awarebot"
    assert config.state_url == "redis://cache.internal:6379/0"
    config = load_config(path, env={"AWAREBOT_DATABASE_URL": "sqlite:////srv/awarebot.sqlite3",
                                    "AWAREBOT_STATE_URL": "memory://"})
    assert (database_url(config), config.state_url) == ("sqlite:////srv/awarebot.sqlite3", "memory://")
    for bad, says in (("mysql://x/y", "must start with sqlite:/// .* or postgresql://"),
                      ("sqlite://data.db", "three slashes"), ("postgresql:///awarebot", "needs a host")):
        path.write_text(f'[awarebot]\ndatabase_url = "{bad}"\n')
        with pytest.raises(ConfigError, match=says):
            load_config(path, env={})
    path.write_text('[awarebot]\nstate_url = "memcached://x"\n')
    with pytest.raises(ConfigError, match="state_url must be memory:// .* or redis://"):
        load_config(path, env={})


async def test_telegram_publish_on_one_bot_answered_by_another(
    pg_url: str, fake_api: Any, bot_config: Config, bundled_engine: Engine
) -> None:
    """The real application twice (as two workers), one PostgreSQL: a moderator publishes through worker 1's chat,
    a person asking worker 3 gets the new answer, with nothing but the database between them."""
    from conftest import TelegramBot
    from fakebotapi import FakeBotAPI
    from test_moderation_telegram import MODERATORS, Person, ask, publish_edit

    config = replace(bot_config, database_url=pg_url,
                     moderation=ModerationConfig(require_review=False, moderators=MODERATORS))
    async with FakeBotAPI() as other_api:
        one = TelegramBot(fake_api, config, bundled_engine, open_store=True)
        three = TelegramBot(other_api, replace(config, telegram=replace(
            config.telegram, token=other_api.token, base_url=other_api.base_url)), bundled_engine, open_store=True)
        await one.start()
        await three.start()
        try:
            person = Person(three, 4242)
            assert "Version 7" not in (await ask(person)).text
            before = three.engine
            await publish_edit(Person(one, MODERATORS[0].id), "Sex trafficking is exploitation. Version 7.")
            await until(lambda: three.engine is not before)
            assert "Version 7" in (await ask(person)).text
        finally:
            await three.stop()
            await one.stop()


def test_example_config_documents_the_backends() -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    text = example.read_text()
    assert "database_url" in text and "AWAREBOT_DATABASE_URL" in text and "AWAREBOT_STATE_URL" in text
    config = load_config(example, env={})
    assert (database_url(config), config.state_url) == ("sqlite:///data/awarebot.sqlite3", "memory://")
