"""One storage interface, two implementations, chosen by URL.

`Storage` is what the bot needs from its database: moderators' revisions of the knowledge and count-only stats.
`bot.store.Store` implements it on an embedded SQLite file (the default: nothing to install or run), and
`bot.pgstore.PgStore` on a PostgreSQL server, which several webhook workers share. The store test-suite
(tests/test_store.py) runs against both, so their behaviour cannot drift.

URLs (`database_url` in config.toml or the AWAREBOT_DATABASE_URL environment variable):
- `sqlite:///data/awarebot.sqlite3` (relative path: three slashes) or `sqlite:////srv/awarebot.sqlite3` (absolute);
  when `database_url` is not set, `database_path` names the SQLite file, as before.
- `postgresql://user:password@host:5432/awarebot` (also `postgres://`), any libpq URL asyncpg accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from bot.store import Revision

SQLITE_SCHEMES = frozenset({"sqlite"})
POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})


class BadDatabaseURL(ValueError):
    """`database_url` is not a URL awarebot can use; the message says which forms are allowed."""


@runtime_checkable
class Storage(Protocol):
    """Revisions and count-only stats, whatever the database. Errors (from bot.store): StoreUnavailable at open,
    StoreDown when a server cannot be reached mid-run, StoreBusy, NotFound, Conflict, ValueError, PermissionError."""

    async def open(self) -> None:
        """Connect and migrate; raises StoreUnavailable."""

    async def close(self) -> None:
        """Release the connection(s); safe to call twice."""

    @property
    def shared(self) -> bool:
        """True when other processes may publish into the same database (a server, not a private file)."""

    async def propose(self, kind: str, key: str, content: dict, *, base_rev: int, author_id: int,
                      author_name: str, note: str = "", publish: bool) -> Revision:
        """A new revision (published at once if `publish`); Conflict when `base_rev` is no longer the head."""

    async def approve(self, revision_id: int, *, reviewer_id: int, reviewer_name: str) -> Revision:
        """Publish a pending revision (four eyes)."""

    async def reject(self, revision_id: int, *, reviewer_id: int, reviewer_name: str, note: str = "") -> Revision:
        """Reject a pending revision."""

    async def revert(self, kind: str, key: str, to_rev: int, *, baseline_content: dict | None, author_id: int,
                     author_name: str, note: str = "") -> Revision:
        """Publish again the content of published revision `to_rev` (0 = `baseline_content`)."""

    async def history(self, kind: str, key: str) -> list[Revision]:
        """All revisions of one key, oldest first."""

    async def pending(self) -> list[Revision]:
        """Revisions waiting for review, oldest first."""

    async def get_revision(self, revision_id: int) -> Revision:
        """One revision by id; NotFound."""

    async def published_head(self, kind: str, key: str) -> Revision | None:
        """The latest published revision of a key; None = the bundled YAML applies."""

    async def effective_overrides(self) -> dict[str, dict[str, dict]]:
        """{"entry": {key: content}, "region": {key: content}}: latest published per key."""

    async def published_version(self) -> int:
        """How many revisions were ever published: grows with every publish, approval, revert or import (a
        published revision is never unpublished), so two workers that read the same number serve the same
        knowledge."""

    async def import_revisions(self, items: list[tuple[str, str, dict]], *, author_id: int, author_name: str,
                               note: str) -> list[Revision]:
        """Publish many (kind, key, content) in one transaction."""

    async def count_event(self, event: str, entry_id: str | None = None, day: str | None = None) -> None:
        """Add 1 to a per-day counter."""

    async def record_vote(self, entry_id: str, up: bool, day: str | None = None) -> None:
        """Count one helpful/unhelpful vote."""

    async def stats(self, since_day: str | None = None) -> dict:
        """Counts from since_day on (see Store.stats for the shape)."""

    async def listen(self, callback: Callable[[], None]) -> bool:
        """Call `callback` (on the event loop) whenever another connection publishes. True while a push channel
        is up (PostgreSQL LISTEN); False when this database has none or it is down, so the caller polls."""


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file: `sqlite:///relative/path` or `sqlite:////absolute/path`."""
    return f"sqlite:///{path}"


def check_database_url(url: str) -> str:
    """`url` if it names a database awarebot can use, else BadDatabaseURL saying which forms are allowed."""
    parts = urlsplit(url)
    if parts.scheme in SQLITE_SCHEMES:
        if parts.netloc or not parts.path.strip("/"):
            raise BadDatabaseURL(
                f"database_url = {url!r}: a SQLite URL has three slashes and a file, e.g. "
                "sqlite:///data/awarebot.sqlite3 (relative) or sqlite:////srv/awarebot.sqlite3 (absolute)"
            )
        return url
    if parts.scheme in POSTGRES_SCHEMES:
        if not parts.hostname and "host=" not in parts.query:
            raise BadDatabaseURL("database_url: a PostgreSQL URL needs a host, e.g. "
                                 "postgresql://awarebot:secret@127.0.0.1:5432/awarebot")
        return url
    raise BadDatabaseURL(
        "database_url must start with sqlite:/// (the embedded default) or postgresql:// (several workers); "
        f"got scheme {parts.scheme!r}"
    )


STATE_SCHEMES = frozenset({"memory", "redis", "rediss"})


def check_state_url(url: str) -> str:
    """`url` if it is memory:// or redis://host[:port][/db] (rediss:// for TLS), else BadDatabaseURL."""
    parts = urlsplit(url)
    if parts.scheme not in STATE_SCHEMES or (parts.scheme != "memory" and not parts.hostname):
        raise BadDatabaseURL(
            "state_url must be memory:// (this process, the default) or redis://host:6379/0 (shared by workers); "
            f"got scheme {parts.scheme!r}"
        )
    return url


def sqlite_path(url: str) -> Path:
    """The file a checked `sqlite:///…` URL names (three slashes: relative; four: absolute)."""
    return Path(unquote(urlsplit(url).path[1:]))


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def open_storage(url: str) -> Storage:
    """A not-yet-opened store for `url` (call `await store.open()`); raises BadDatabaseURL."""
    url = check_database_url(url)
    if is_postgres(url):
        from bot.pgstore import (
            PgStore,  # asyncpg is only imported when PostgreSQL is used
        )

        return PgStore(url)
    from bot.store import Store

    return Store(sqlite_path(url))
