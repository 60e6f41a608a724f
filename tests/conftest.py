"""Shared fixtures. Telegram end-to-end: `fake_api` (a FakeBotAPI on 127.0.0.1) and `tg` (the real application
from `build_application`, polling the fake server; see TelegramBot below). Add fixtures for other layers here."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fakebotapi import Call, FakeBotAPI

from bot.chatstate import ChatStates
from bot.config import Config, TelegramConfig
from bot.engine import Engine, LiveEngine
from bot.knowledge import Knowledge

# Short timeouts keep fault tests fast: a hung call is given up after READ_TIMEOUT and retried after BACKOFF.
READ_TIMEOUT = 1.0
BACKOFF = 0.05
# The fake speaks plain HTTP: skip loading CA certificates for every client (saves ~50 ms a test).
PLAIN_HTTP = {"verify": False}


# The longest files start first, so that with `make test`'s two processes (pytest-xdist, --dist loadfile) neither
# is left running one of them alone at the end. Order only: every test is independent of the others.
SLOW_FILES = ("test_workers.py", "test_kbtools.py", "test_telegram_run.py", "test_bench_smoke.py", "test_models.py",
              "test_cli.py", "test_moderation_telegram.py", "test_i18n.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the SLOW_FILES first, in that order, the rest as collected (a stable sort)."""
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FILES)))


def small_knowledge(base: Knowledge, keep: Iterable[str]) -> Knowledge:
    """`base` cut down to the entries `keep` and the English training examples that concern only them (plus the
    labels of no entry: urgent, general, referral, small talk): an engine over it fits its models in about a second
    instead of ~15 s of CPU. For tests that change the knowledge where what the models learned is not under test."""
    from bot.examples import intent_of

    kept = {k: base.entries[k] for k in keep}
    examples = {key: texts for key, texts in base.examples.items()
                if key[0] == "en" and (not key[1].startswith(("answer:", "near_miss:")) or intent_of(key[1]) in kept)}
    return Knowledge(entries=kept, synonyms=base.synonyms, examples=examples)


SMALL_ENTRIES = ("what-is-sex-trafficking", "how-to-report", "recruitment-tactics", "bot-privacy",
                 "signs-of-trafficking")


@pytest.fixture(scope="session")
def small_knowledge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge *folder* cut down like small_knowledge: the bundled folder with only SMALL_ENTRIES (their related
    ids trimmed to those), no translations, and the English examples that concern no other entry. For tests whose
    revisions are applied over the folder (moderation, revert) and publish a change that retrains: a fit takes
    ~2 s of CPU instead of ~15 s. Nothing in it may be edited (one per session)."""
    import shutil

    import yaml

    folder = tmp_path_factory.mktemp("small") / "knowledge"
    shutil.copytree(Config().knowledge_dir, folder, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    for path in (folder / "entries").glob("*.yaml"):
        kept = [e for e in yaml.safe_load(path.read_text(encoding="utf-8")) or [] if e["id"] in SMALL_ENTRIES]
        for entry in kept:
            entry["related"] = [r for r in entry.get("related", []) if r in SMALL_ENTRIES]
        path.write_text(yaml.safe_dump(kept, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    for path in (folder / "entries").iterdir():
        if path.is_dir():
            shutil.rmtree(path)
    for path in (folder / "examples").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("lang") != "en":
            path.unlink()
            continue
        for key in ("answers", "near_miss"):
            data[key] = [x for x in data.get(key) or [] if x["entry"] in SMALL_ENTRIES]
        data = {k: v for k, v in data.items() if v}
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def small_engine(small_knowledge_dir: Path) -> Engine:
    """The engine over small_knowledge_dir."""
    return Engine.load(replace(Config(), knowledge_dir=small_knowledge_dir))


@pytest.fixture(scope="session")
def bundled_engine() -> Engine:
    """The engine over the bundled knowledge (immutable, so one per session)."""
    return Engine.load(Config())


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
def bot_config(tmp_path: Path, fake_api: FakeBotAPI) -> Config:
    """A config pointing at the fake server, with its data directory under tmp_path."""
    return replace(
        Config(),
        database_path=tmp_path / "data" / "awarebot.sqlite3",
        telegram=TelegramConfig(token=fake_api.token, base_url=fake_api.base_url),
    )


class TelegramBot:
    """The real application (handlers.app.build_application) polling the fake Bot API, plus conveniences."""

    def __init__(self, server: FakeBotAPI, config: Config, engine: Engine, **build: Any) -> None:
        from telegram.request import HTTPXRequest

        from handlers.app import build_application
        from handlers.request import RetryingRequest

        self.server = server
        self.config = config
        self._stopped = False
        self.live = LiveEngine(engine)
        chats = build.pop("chats", None)
        self.chats: ChatStates = chats if chats is not None else ChatStates()
        self.app = build_application(
            config,
            self.live,
            request=RetryingRequest(read_timeout=READ_TIMEOUT, connect_timeout=READ_TIMEOUT, backoff=BACKOFF,
                                    httpx_kwargs=PLAIN_HTTP),
            get_updates_request=HTTPXRequest(read_timeout=READ_TIMEOUT + 2, httpx_kwargs=PLAIN_HTTP),
            chats=self.chats,
            **build,
        )

        # Which updates the application has finished handling, so "no reply" can be proved by an event (every
        # update pushed so far was handled, and made no call) instead of a quiet window.
        self.pushed: set[int] = set()
        self.handled: set[int] = set()
        self._handled_changed = asyncio.Condition()
        push_update = server.push_update

        def push(payload: dict[str, Any]) -> dict[str, Any]:
            update = push_update(payload)
            self.pushed.add(update["update_id"])
            return update

        server.push_update = push  # type: ignore[method-assign]
        process_update = self.app.process_update

        async def counted(update: object) -> None:
            try:
                await process_update(update)
            finally:
                self.handled.add(getattr(update, "update_id", -1))
                async with self._handled_changed:
                    self._handled_changed.notify_all()

        self.app.process_update = counted  # type: ignore[method-assign]

    async def handled_all(self, timeout: float = 5.0) -> None:
        """Return once the application has finished handling every update pushed so far (its Bot API calls are
        made and answered by then). Raises AssertionError after `timeout` seconds."""
        async with self._handled_changed:
            try:
                await asyncio.wait_for(self._handled_changed.wait_for(lambda: self.pushed <= self.handled), timeout)
            except TimeoutError:
                raise AssertionError(f"updates {sorted(self.pushed - self.handled)} were not handled") from None

    @property
    def engine(self) -> Engine:
        return self.live.current

    async def start(self) -> None:
        """What run_polling does, step by step: initialize, post_init, start, poll."""
        from handlers.app import ALLOWED_UPDATES

        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)

    async def stop(self) -> None:
        """What run_polling does on SIGTERM / Ctrl-C (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        if self.app.post_stop:
            await self.app.post_stop(self.app)
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)

    async def say(self, chat_id: int, text: str, **kwargs: Any) -> Call:
        """A person sends `text`; returns the bot's (first) sendMessage to that chat."""
        self.server.send_text(chat_id, text, **kwargs)
        return await self.server.wait_for("sendMessage", chat_id=chat_id)

    async def tap(self, chat_id: int, message_id: int, data: str | None = None, *, label: str | None = None,
                  method: str = "editMessageText") -> Call:
        """A person taps a button; waits until the callback is answered and returns the bot's `method` call."""
        update = self.server.press(chat_id, message_id, data, label=label)
        await self.server.wait_for("answerCallbackQuery", callback_query_id=update["callback_query"]["id"])
        return await self.server.wait_for(method, chat_id=chat_id)

    def message_id(self, call: Call) -> int:
        """The id the fake assigned to the message a sendMessage call created."""
        return int(call.result["message_id"])


@pytest.fixture
async def tg(fake_api: FakeBotAPI, bot_config: Config, bundled_engine: Engine) -> AsyncIterator[TelegramBot]:
    """The bot running against the fake server; stopped cleanly afterwards. No call may hit a missing method."""
    bot = TelegramBot(fake_api, bot_config, bundled_engine)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
    assert not fake_api.unhandled, f"the bot called methods the fake lacks: {fake_api.unhandled}"


# -- real servers for the distributed mode (tests/servers.py) -------------------------------------------------


def _session_server(kind: str) -> Iterator[Any]:
    """Start one server of `kind` (a class of tests/servers.py) for the session and destroy it at the end. Not
    installed is a failure naming the package, never a skip."""
    import servers

    try:
        server = getattr(servers, kind)()
    except servers.ServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One PostgreSQL cluster for the session (initdb ~3 s); each test gets its own database (`pg_url`)."""
    yield from _session_server("PostgresServer")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """One redis-server (no persistence) for the session; tests use their own key prefix or FLUSHDB."""
    yield from _session_server("RedisServer")


_databases = itertools.count(1)


def _admin(url: str, statement: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def pg_url(postgres_server: Any) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped afterwards); its libpq URL."""
    postgres_server.start()  # a test that stopped the server leaves it running again for the next one
    name = f"t{os.getpid()}_{next(_databases)}"
    _admin(postgres_server.url, f"CREATE DATABASE {name}")
    yield postgres_server.url_for(name)
    postgres_server.start()
    _admin(postgres_server.url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage backend in turn: a fresh SQLite file, then a fresh PostgreSQL database (a real server)."""
    if request.param == "sqlite":
        from bot.storage import sqlite_url

        return sqlite_url(tmp_path / "nested" / "dir" / "awarebot.db")
    return str(request.getfixturevalue("pg_url"))
