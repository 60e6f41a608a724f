"""Configuration: the example file loads, environment overrides, wrong keys are refused."""

from pathlib import Path

import pytest

from bot.config import ConfigError, Role, load_config

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def test_example_config_loads_with_defaults() -> None:
    config = load_config(EXAMPLE, env={})
    assert config.default_region == "INTL"
    assert config.telegram.mode == "polling"
    assert config.moderation.require_review is True
    assert config.matching.answer_threshold == pytest.approx(0.35)
    assert config.matching.urgent_threshold == pytest.approx(0.2)


def test_environment_overrides_token_and_base_url() -> None:
    config = load_config(EXAMPLE, env={"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_BASE_URL": "http://127.0.0.1:1/bot"})
    assert config.telegram.token == "1:abc"
    assert config.telegram.base_url == "http://127.0.0.1:1/bot"
    assert "1:abc" not in repr(config)  # the token never shows in logs of the config


def test_moderators_and_roles(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[moderation.moderators]]\nid = 5\nname = "A"\nrole = "reviewer"\n', encoding="utf-8")
    config = load_config(path, env={})
    assert config.moderation.role_of(5) is Role.REVIEWER
    assert config.moderation.role_of(6) is None


@pytest.mark.parametrize(
    "text",
    ['[awarebot]\nnope = 1\n', '[matching]\nanswer_threshold = "high"\n', '[moderation]\nrequire_review = "yes"\n',
     '[[moderation.moderators]]\nid = 1\nrole = "boss"\n', "[awarebot\n", "[other]\nx = 1\n"],
)
def test_wrong_config_is_refused_clearly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path, env={})


@pytest.mark.parametrize(("cap", "expected"), [(30.0, 30), (0.0, None)])
def test_send_cap_reaches_the_rate_limiter(cap: float, expected: int | None) -> None:
    from dataclasses import replace

    from bot.config import Config, TelegramConfig
    from bot.engine import Engine, LiveEngine
    from handlers.app import build_application

    config = replace(Config(), telegram=TelegramConfig(token="1:abc", max_messages_per_second=cap))
    app = build_application(config, LiveEngine(Engine.load(config)))
    limiter = app.bot.rate_limiter
    base = limiter._base_limiter  # noqa: SLF001 - python-telegram-bot keeps the overall limiter private
    assert (base.max_rate if base else None) == expected
    assert limiter._max_retries == 3  # noqa: SLF001 - flood replies are retried whatever the cap
