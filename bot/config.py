"""Configuration: `config.toml` in the current folder (optional) plus environment overrides, as frozen dataclasses.

The settings are declared once, below, as dataclasses whose field types carry the allowed values (`Literal`,
`Annotated[..., Meta(ge=..., le=..., pattern=...)]`). `load_config` validates a file against them with msgspec
(`msgspec.convert`, strict: `true` is not a port, `8443.9` is not a whole number), refuses unknown keys with their
section named, and turns every refusal into one `ConfigError` line naming the key (with its section), the value
given and what is allowed. The classes stay plain dataclasses so code and tests can build and `dataclasses.replace`
them directly (values built in code are trusted; values read from a file or the environment are checked).

Environment overrides live in one table, `ENVIRONMENT`, and are validated like the file.

Whether `default_region` names a region of the referral directory can only be known once the knowledge is loaded:
`check_default_region` does that and is called wherever an engine is built from a config.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

CONFIG_FILENAME = "config.toml"

# Environment variable → (section, key) it overrides. The one place environment overrides are defined.
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "TELEGRAM_BASE_URL": ("telegram", "base_url"),
    # Backends of the distributed mode; deployments keep passwords out of config files this way.
    "AWAREBOT_DATABASE_URL": ("awarebot", "database_url"),
    "AWAREBOT_STATE_URL": ("awarebot", "state_url"),
}

# Region keys: ISO 3166-1 alpha-2 codes (upper case) or the two fallbacks of the referral directory.
REGION_PATTERN = r"^(?:[A-Z]{2}|EU|INTL)$"
# Telegram's rule for setWebhook's secret_token (Bot API docs: 1-256 characters, A-Z, a-z, 0-9, _ and -).
SECRET_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{0,256}$"


class ConfigError(Exception):
    """The config file is unreadable or holds a wrong value; the message names file, key, value and what is allowed."""


class Role(StrEnum):
    """A moderator's role: editors propose changes, reviewers also approve and revert."""

    EDITOR = "editor"
    REVIEWER = "reviewer"


@dataclass(frozen=True, slots=True)
class Moderator:
    """One moderator: Telegram user id (a positive whole number), display name and role."""

    id: Annotated[int, msgspec.Meta(ge=1)]
    name: str = ""
    role: Role = Role.EDITOR


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    """Decision thresholds on calibrated probabilities (bot/models.py), so each means the same after every
    publish; all on a 0-1 scale."""

    # Answer (or refer, or small-talk) when the intent model's top class has at least this probability.
    answer_threshold: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.35
    # A runner-up within this distance of the best is offered as "Did you mean…".
    runner_up_margin: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.5
    # Urgent when p(urgent) reaches this (recall first), or a strong rule fires. Chosen as the highest threshold that
    # loses no urgent item against 0.2 in pooled leave-one-set-out over the training data: the English example sets
    # (bench/loso.py) and the seven <lang>-voices files (rule or model, kind == urgent). Re-run after every change of
    # the training data; 2026-12-01 with en-border and en-everyday: 778/787 urgent at 0.2, 777 at 0.25, 775 at 0.3;
    # near-miss false alarms (English / other languages) 8.1 % / 11.9 % at 0.2, 7.7 % / 10.0 % at 0.25.
    urgent_threshold: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.2
    # Between this and urgent_threshold a message that is not clearly answered gets the unsure reply; an answer in
    # this band puts the referral lines first.
    unsure_threshold: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.1
    # Fitted models are cached here by a hash of the knowledge (never message text); "" disables the disk cache.
    # The default is the user's cache folder, so every run from any folder (a question, the tests) shares it and
    # none writes into the folder it was started from.
    model_cache_dir: str = field(default_factory=lambda: default_model_cache_dir())


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Webhook mode: the public URL Telegram posts to, and where python-telegram-bot's server listens."""

    url: str = ""
    listen: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8443
    path: str = "telegram"
    secret_token: Annotated[str, msgspec.Meta(pattern=SECRET_TOKEN_PATTERN)] = field(default="", repr=False)
    # Several workers (state_url = redis://…): seconds a worker may take to answer one update before another
    # worker, receiving it again from Telegram, takes it over (a worker that died mid-update holds it that long).
    claim_seconds: Annotated[float, msgspec.Meta(ge=0.5, le=600.0)] = 30.0
    # GET /healthz on this port (same listen address): 200 when knowledge, database and Redis are up, else 503.
    # 0 turns it off; with --workers N, worker i uses health_port + i.
    health_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """How awarebot talks to the Bot API: token, polling or webhook, server address, send cap (messages/s)."""

    token: str = field(default="", repr=False)
    mode: Literal["polling", "webhook"] = "polling"
    base_url: str = ""
    base_file_url: str = ""
    # Proactive cap on messages sent per second, Telegram's documented bulk limit; 0 turns the cap off (a
    # self-hosted Bot API server, or a bot whose limit Telegram raised). Flood replies (429) are honoured either way.
    max_messages_per_second: Annotated[float, msgspec.Meta(ge=0.0)] = 30.0
    webhook: WebhookConfig = WebhookConfig()


@dataclass(frozen=True, slots=True)
class ModerationConfig:
    """Who may change the knowledge, whether changes wait for review, when content counts as stale (days)."""

    require_review: bool = True
    stale_after_days: Annotated[int, msgspec.Meta(ge=1)] = 180
    moderators: tuple[Moderator, ...] = ()

    def role_of(self, user_id: int) -> Role | None:
        """The role of Telegram user `user_id`, or None for everyone who is not a moderator."""
        for moderator in self.moderators:
            if moderator.id == user_id:
                return moderator.role
        return None


def default_model_cache_dir() -> str:
    """$XDG_CACHE_HOME/awarebot/models, or ~/.cache/awarebot/models (the XDG base-directory default)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return str(Path(base) / "awarebot" / "models")


def bundled_knowledge_dir() -> Path:
    """The knowledge shipped with awarebot, wherever it is installed or checked out."""
    return Path(str(resources.files("knowledge")))


@dataclass(frozen=True, slots=True)
class Config:
    """All settings. Top-level fields come from the `[awarebot]` table; the others from their own tables."""

    default_region: Annotated[str, msgspec.Meta(pattern=REGION_PATTERN)] = "INTL"
    knowledge_dir: Path = field(default_factory=bundled_knowledge_dir)
    database_path: Path = Path("data/awarebot.sqlite3")
    # Where revisions and stats live, as a URL: "" = the SQLite file database_path (the embedded default), or
    # postgresql://user:password@host:5432/awarebot, shared by several workers. Checked by check_urls.
    database_url: str = field(default="", repr=False)  # may hold a password: never printed
    # Where per-chat memory lives: memory:// (this process, the default) or redis://host:6379/0 (shared by workers).
    state_url: str = field(default="memory://", repr=False)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    matching: MatchingConfig = MatchingConfig()
    telegram: TelegramConfig = TelegramConfig()
    moderation: ModerationConfig = ModerationConfig()


# Tables of the file: `[awarebot]` holds Config's own scalar fields, the others map to its nested sections.
SECTIONS = ("matching", "telegram", "moderation")
TOP_TABLE = "awarebot"


# -- describing what is allowed --------------------------------------------------------------------------------


def _allowed(tp: Any) -> str:
    """A person-readable description of the values a field type accepts, e.g. 'a whole number from 1 to 65535'."""
    metas: list[msgspec.Meta] = []
    if typing.get_origin(tp) is Annotated:
        tp, *extra = typing.get_args(tp)
        metas = [m for m in extra if isinstance(m, msgspec.Meta)]
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    if tp is bool:
        return "true or false"
    if tp is Path:
        return "a path (a string)"
    if dataclasses.is_dataclass(tp):
        return "a table"
    if typing.get_origin(tp) is tuple:
        return "a list of tables ([[...]])"
    low = next((m.ge for m in metas if m.ge is not None), None)
    high = next((m.le for m in metas if m.le is not None), None)
    pattern = next((m.pattern for m in metas if m.pattern is not None), None)
    if tp in (int, float):
        noun = "a whole number" if tp is int else "a number"
        if low is not None and high is not None:
            return f"{noun} from {low:g} to {high:g}"
        if low is not None:
            return f"{noun} of at least {low:g}"
        return noun
    if pattern == REGION_PATTERN:
        return "a region code: two capital letters (ISO 3166-1, e.g. US, GB, KE), EU or INTL"
    if pattern == SECRET_TOKEN_PATTERN:
        return "up to 256 of A-Z, a-z, 0-9, _ and -"
    return "a string"


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _field_type(path: Sequence[str | int]) -> Any:
    """The declared type at a msgspec error path (keys and list indexes from Config down)."""
    tp: Any = Config
    for step in path:
        base = typing.get_args(tp)[0] if typing.get_origin(tp) is Annotated else tp
        if isinstance(step, int):
            tp = typing.get_args(base)[0]
        elif dataclasses.is_dataclass(base):
            tp = _hints(typing.cast(type, base))[step]
        else:
            return None
    return tp


def _key_name(path: Sequence[str | int]) -> str:
    """'[telegram.webhook] port' or '[[moderation.moderators]] #2 id' or '[awarebot] log_level'."""
    if not path:
        return "the file"
    if len(path) == 1 or isinstance(path[0], str) and path[0] not in SECTIONS:
        return f"[{TOP_TABLE}] {path[0]}"
    section: list[str] = []
    rest: list[str] = []
    for i, step in enumerate(path[:-1]):
        if isinstance(step, int):
            return f"[[{'.'.join(section)}]] #{step + 1} {'.'.join(str(s) for s in path[i + 1:])}"
        section.append(step)
    rest.append(str(path[-1]))
    return f"[{'.'.join(section)}] {'.'.join(rest)}"


def _value_at(raw: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        try:
            raw = raw[step]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _unknown_keys(raw: Mapping[str, Any], cls: type, path: tuple[str | int, ...]) -> list[str]:
    """Every key in `raw` (and nested tables) the dataclass `cls` does not declare, as readable messages."""
    problems: list[str] = []
    hints = _hints(cls)
    section = ".".join(str(p) for p in path) if path else TOP_TABLE
    for key, value in raw.items():
        if key not in hints:
            known = ", ".join(k for k in hints if path or k not in SECTIONS)
            problems.append(f"[{section}] {key}: unknown key (keys of [{section}]: {known})")
            continue
        tp = hints[key]
        if dataclasses.is_dataclass(tp) and isinstance(value, Mapping):
            problems += _unknown_keys(value, typing.cast(type, tp), (*path, key))
        elif typing.get_origin(tp) is tuple and isinstance(value, list):
            item = typing.get_args(tp)[0]
            for i, element in enumerate(value):
                if dataclasses.is_dataclass(item) and isinstance(element, Mapping):
                    for message in _unknown_keys(element, typing.cast(type, item), (*path, key, i)):
                        problems.append(message.replace(f"[{section}.{key}.{i}]", f"[[{section}.{key}]] #{i + 1}"))
    return problems


def _dec_hook(tp: type, obj: Any) -> Any:
    if tp is Path and isinstance(obj, str):
        return Path(obj).expanduser()
    raise NotImplementedError


def _validation_message(exc: msgspec.ValidationError, raw: Mapping[str, Any]) -> str:
    """Turn msgspec's 'Expected `int` >= 1 - at `$.telegram.webhook.port`' into key, value and what is allowed."""
    text = str(exc)
    where = text.rsplit(" - at `", 1)
    path: list[str | int] = []
    if len(where) == 2:
        for part in where[1].rstrip("`").removeprefix("$").replace("[", ".[").split("."):
            if part.startswith("["):
                path.append(int(part.strip("[]")))
            elif part:
                path.append(part)
    value = _value_at(raw, path)
    tp = _field_type(path)
    if tp is None:
        return f"{_key_name(path)}: {where[0]}"
    if value is None and path and isinstance(path[-1], str):
        return f"{_key_name(path)}: missing; it must be {_allowed(tp)}"
    return f"{_key_name(path)} = {_show(value)} is not allowed: it must be {_allowed(tp)}"


def _file_tables(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The file's tables reshaped to Config's fields: `[awarebot]` keys at the top, sections nested."""
    stray = sorted(set(raw) - {TOP_TABLE, *SECTIONS})
    if stray:
        names = ", ".join(f"[{name}]" for name in stray)
        raise ConfigError(f"{where}: unknown table(s) {names}; the tables are [{TOP_TABLE}], "
                          + ", ".join(f"[{s}]" for s in SECTIONS))
    top = raw.get(TOP_TABLE, {})
    if not isinstance(top, dict):
        raise ConfigError(f"{where}: {TOP_TABLE} must be a table ([{TOP_TABLE}])")
    for name in SECTIONS:
        if name in top:
            raise ConfigError(f"{where}: [{TOP_TABLE}] {name}: unknown key; [{name}] is a table of its own")
    return {**top, **{k: v for k, v in raw.items() if k in SECTIONS}}


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read `path` (or ./config.toml when present; no file means every default), apply `ENVIRONMENT`, validate.

    `env` defaults to os.environ. Raises ConfigError with one message per problem found, each naming the key with
    its section, the value and what is allowed (unknown keys name their section and its keys).
    """
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is None and Path(CONFIG_FILENAME).is_file():
        path = Path(CONFIG_FILENAME)
    where = str(path) if path is not None else "environment"
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    data = _file_tables(raw, where)
    for variable, (section, key) in ENVIRONMENT.items():
        value = env.get(variable, "").strip()
        if value:
            table = data if section == TOP_TABLE else data.setdefault(section, {})
            if isinstance(table, dict):
                table[key] = value
    problems = _unknown_keys(data, Config, ())
    if problems:
        raise ConfigError("\n".join(f"{where}: {p}" for p in problems))
    try:
        config = msgspec.convert(data, Config, strict=True, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where}: {_validation_message(exc, data)}") from None
    moderators = tuple(
        m if m.name else dataclasses.replace(m, name=str(m.id)) for m in config.moderation.moderators
    )
    if moderators != config.moderation.moderators:
        config = dataclasses.replace(
            config, moderation=dataclasses.replace(config.moderation, moderators=moderators)
        )
    check_urls(config, where)
    return config


def check_urls(config: Config, where: str) -> None:
    """Refuse a database_url or state_url awarebot cannot use; ConfigError names the key and the allowed forms
    (never the whole value: a database URL may hold a password)."""
    from bot.storage import BadDatabaseURL, check_database_url, check_state_url

    try:
        if config.database_url:
            check_database_url(config.database_url)
        check_state_url(config.state_url)
    except BadDatabaseURL as exc:
        raise ConfigError(f"{where}: [{TOP_TABLE}] {exc}") from None


def database_url(config: Config) -> str:
    """The database to use: `database_url`, or the SQLite file `database_path` when it is not set."""
    return config.database_url or f"sqlite:///{config.database_path}"


def check_default_region(config: Config, codes: Sequence[str]) -> None:
    """Refuse a `default_region` that the referral directory (region codes `codes`) does not list.

    Raises ConfigError naming the key, the value and the listed codes. Called where an engine is built from a
    config, since the directory lives in the knowledge folder the config names.
    """
    if config.default_region not in codes:
        raise ConfigError(
            f'[{TOP_TABLE}] default_region = "{config.default_region}" is not allowed: it must be a region of '
            f"the referral directory: {', '.join(codes)}"
        )
