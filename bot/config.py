"""Configuration: `config.toml` in the current folder (optional) plus environment overrides, as frozen dataclasses."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

CONFIG_FILENAME = "config.toml"


class ConfigError(Exception):
    """The config file is unreadable or holds a wrong value."""


class Role(StrEnum):
    EDITOR = "editor"
    REVIEWER = "reviewer"


@dataclass(frozen=True, slots=True)
class Moderator:
    id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    # Calibrated on tests/data/devset.yaml; see tests/test_devset.py.
    answer_threshold: float = 0.11
    # A runner-up within this distance of the best is offered as "Did you mean…".
    runner_up_margin: float = 0.08


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "telegram"
    secret_token: str = ""


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str = field(default="", repr=False)
    mode: str = "polling"  # "polling" or "webhook"
    base_url: str = ""
    base_file_url: str = ""
    # Proactive cap on messages sent per second, Telegram's documented bulk limit; 0 turns the cap off (a
    # self-hosted Bot API server, or a bot whose limit Telegram raised). Flood replies (429) are honoured either way.
    max_messages_per_second: float = 30.0
    webhook: WebhookConfig = WebhookConfig()


@dataclass(frozen=True, slots=True)
class ModerationConfig:
    require_review: bool = True
    stale_after_days: int = 180
    moderators: tuple[Moderator, ...] = ()

    def role_of(self, user_id: int) -> Role | None:
        for moderator in self.moderators:
            if moderator.id == user_id:
                return moderator.role
        return None


@dataclass(frozen=True, slots=True)
class Config:
    default_region: str = "INTL"
    knowledge_dir: Path = field(default_factory=lambda: bundled_knowledge_dir())
    database_path: Path = Path("data/awarebot.sqlite3")
    # Where revisions and stats live, as a URL: "" = the SQLite file database_path (the embedded default), or
    # postgresql://user:password@host:5432/awarebot for several workers. Env: AWAREBOT_DATABASE_URL.
    database_url: str = ""
    # Where per-chat memory lives: memory:// (this process) or redis://host:6379/0 (shared). Env: AWAREBOT_STATE_URL.
    state_url: str = "memory://"
    log_level: str = "INFO"
    matching: MatchingConfig = MatchingConfig()
    telegram: TelegramConfig = TelegramConfig()
    moderation: ModerationConfig = ModerationConfig()


def bundled_knowledge_dir() -> Path:
    """The knowledge shipped with awarebot, wherever it is installed or checked out."""
    return Path(str(resources.files("knowledge")))


def _build(cls: type, raw: dict[str, Any], where: str) -> Any:
    """Build a config dataclass from a TOML table, refusing unknown keys and wrong types."""
    known = {f.name: f for f in fields(cls)}
    unknown = set(raw) - set(known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    defaults = cls()
    for name, value in raw.items():
        default = getattr(defaults, name)
        key = f"{where}.{name}" if where else name
        if is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"{key}: expected a table")
            values[name] = _build(type(default), value, key)
        elif isinstance(default, Path):
            values[name] = Path(str(value)).expanduser()
        elif name == "moderators":
            values[name] = tuple(_moderator(item, f"{key}[{i}]") for i, item in enumerate(value))
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{key}: expected true or false")
            values[name] = value
        elif isinstance(default, (int, float)) and not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number")
        elif isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string")
        else:
            values[name] = type(default)(value)
    return cls(**values)


def _moderator(item: Any, where: str) -> Moderator:
    if not isinstance(item, dict) or "id" not in item:
        raise ConfigError(f"{where}: a moderator needs an id")
    try:
        role = Role(item.get("role", "editor"))
    except ValueError:
        raise ConfigError(f"{where}: role must be 'editor' or 'reviewer'") from None
    return Moderator(id=int(item["id"]), name=str(item.get("name", item["id"])), role=role)


# Environment variables that override the backend URLs (deployments keep passwords out of config files).
URL_ENVIRONMENT = {"database_url": "AWAREBOT_DATABASE_URL", "state_url": "AWAREBOT_STATE_URL"}


def check_urls(config: Config, where: str) -> None:
    """Refuse a database_url or state_url awarebot cannot use; ConfigError names the key and the allowed forms."""
    from bot.storage import BadDatabaseURL, check_database_url, check_state_url

    try:
        if config.database_url:
            check_database_url(config.database_url)
        check_state_url(config.state_url)
    except BadDatabaseURL as exc:
        raise ConfigError(f"{where}: {exc}") from None


def database_url(config: Config) -> str:
    """The database to use: `database_url`, or the SQLite file `database_path` when it is not set."""
    return config.database_url or f"sqlite:///{config.database_path}"


def load_config(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read `path` (or ./config.toml when present), then apply TELEGRAM_BOT_TOKEN and TELEGRAM_BASE_URL."""
    env = dict(os.environ) if env is None else env
    raw: dict[str, Any] = {}
    if path is None and Path(CONFIG_FILENAME).is_file():
        path = Path(CONFIG_FILENAME)
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    section = raw.pop("awarebot", {})
    merged = {**section, **{k: v for k, v in raw.items() if k in ("matching", "telegram", "moderation")}}
    stray = set(raw) - {"matching", "telegram", "moderation"}
    if stray:
        raise ConfigError(f"{path}: unknown table(s): {', '.join(sorted(stray))}")
    config: Config = _build(Config, merged, "")
    from dataclasses import replace

    urls: dict[str, Any] = {name: env.get(variable, "").strip() for name, variable in URL_ENVIRONMENT.items()}
    config = replace(config, **{name: value for name, value in urls.items() if value})
    check_urls(config, str(path) if path is not None else "environment")
    telegram = config.telegram
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or telegram.token
    base_url = env.get("TELEGRAM_BASE_URL", "").strip() or telegram.base_url
    if (token, base_url) != (telegram.token, telegram.base_url):
        config = replace(config, telegram=replace(telegram, token=token, base_url=base_url))
    return config
