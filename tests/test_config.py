"""Configuration: the example file loads, environment overrides, wrong keys are refused."""

from pathlib import Path

import pytest

from bot.config import ConfigError, Role, load_config

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def test_example_config_is_the_commented_reference_of_the_defaults() -> None:
    """config.example.toml documents every setting with its default: loading it changes nothing, and every
    declared key appears in it (commented out or set)."""
    import dataclasses

    from bot.config import Config

    assert load_config(EXAMPLE, env={}) == Config()
    text = EXAMPLE.read_text(encoding="utf-8")

    def keys(cls: type) -> list[str]:
        out = []
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(f.default):
                out += keys(type(f.default))
            else:
                out.append(f.name)
        return out

    missing = [k for k in keys(Config) if f"{k} =" not in text and k != "moderators"]
    assert not missing, missing


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


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[matching]\nanswer_threshold = 7\n',
         "[matching] answer_threshold = 7 is not allowed: it must be a number from 0 to 1"),
        ('[matching]\nrunner_up_margin = -0.1\n', "[matching] runner_up_margin = -0.1 is not allowed"),
        ('[moderation]\nstale_after_days = -5\n',
         "[moderation] stale_after_days = -5 is not allowed: it must be a whole number of at least 1"),
        ('[telegram]\nmax_messages_per_second = -1\n', "[telegram] max_messages_per_second = -1 is not allowed"),
        ('[awarebot]\nlog_level = "LOUD"\n',
         "[awarebot] log_level = \"LOUD\" is not allowed: it must be one of 'DEBUG', 'INFO', 'WARNING', 'ERROR'"),
        ('[telegram]\nmode = "webhok"\n',
         "[telegram] mode = \"webhok\" is not allowed: it must be one of 'polling', 'webhook'"),
        ('[telegram.webhook]\nport = true\n',
         "[telegram.webhook] port = true is not allowed: it must be a whole number from 1 to 65535"),
        ('[telegram.webhook]\nport = 8443.9\n', "[telegram.webhook] port = 8443.9 is not allowed"),
        ('[telegram.webhook]\nport = 0\n', "[telegram.webhook] port = 0 is not allowed"),
        ('[telegram.webhook]\nsecret_token = "has spaces"\n', "[telegram.webhook] secret_token = \"has spaces\""),
        ('[awarebot]\ndefault_region = "Germany"\n', "[awarebot] default_region = \"Germany\" is not allowed"),
        ('[[moderation.moderators]]\nid = "abc"\n',
         "[[moderation.moderators]] #1 id = \"abc\" is not allowed: it must be a whole number of at least 1"),
        ('[[moderation.moderators]]\nid = 1\n[[moderation.moderators]]\nid = 2\nrole = "boss"\n',
         "[[moderation.moderators]] #2 role = \"boss\" is not allowed: it must be one of 'editor', 'reviewer'"),
        ('[[moderation.moderators]]\nid = 1\nnmae = "x"\n', "[[moderation.moderators]] #1 nmae: unknown key"),
        ('[telegram.webhook]\nprot = 1\n', "[telegram.webhook] prot: unknown key (keys of [telegram.webhook]: url,"),
        ('[matching]\nthreshold = 0.2\n', "[matching] threshold: unknown key (keys of [matching]: answer_threshold"),
        ('[awarebot]\nmatching = 1\n', "[awarebot] matching: unknown key"),
        ('[matchng]\nanswer_threshold = 0.2\n', "unknown table(s) [matchng]"),
    ],
)
def test_each_wrong_value_is_named_with_its_section_value_and_what_is_allowed(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert said in str(caught.value)
    assert str(path) in str(caught.value)


def test_environment_values_are_validated_too(tmp_path: Path) -> None:
    config = load_config(None, env={"TELEGRAM_BOT_TOKEN": "  1:abc  "})
    assert config.telegram.token == "1:abc"


def test_a_moderator_without_a_name_is_called_by_id(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[[moderation.moderators]]\nid = 42\n", encoding="utf-8")
    (moderator,) = load_config(path, env={}).moderation.moderators
    assert (moderator.id, moderator.name, moderator.role) == (42, "42", Role.EDITOR)


def test_a_default_region_the_directory_does_not_list_stops_start_up(tmp_path: Path) -> None:
    from bot.engine import Engine

    path = tmp_path / "c.toml"
    path.write_text('[awarebot]\ndefault_region = "XX"\n', encoding="utf-8")
    config = load_config(path, env={})  # the format is right; the directory decides
    with pytest.raises(ConfigError) as caught:
        Engine.load(config)
    assert 'default_region = "XX" is not allowed' in str(caught.value) and "GB" in str(caught.value)


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
    # Flood replies are waited out until a deadline, whatever the cap (handlers.delivery.PatientRateLimiter).
    from handlers.delivery import FLOOD_DEADLINE, PatientRateLimiter

    assert isinstance(limiter, PatientRateLimiter) and limiter.deadline == FLOOD_DEADLINE
