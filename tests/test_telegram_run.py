"""Running for real: `awarebot run` in a subprocess against the fake server, polling and webhook; SIGTERM
finishes the reply in flight; the token help; bad run settings."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest
from fakebotapi import FakeBotAPI

from bot.config import Config, TelegramConfig, WebhookConfig
from handlers.app import TOKEN_HELP, run_bot, webhook_url

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, server: FakeBotAPI, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[awarebot]\ndatabase_path = "{tmp_path / "data" / "awarebot.sqlite3"}"\nlog_level = "INFO"\n\n'
        f'[telegram]\ntoken = "{server.token}"\nbase_url = "{server.base_url}"\n{extra}',
        encoding="utf-8",
    )
    return path


async def start_cli(tmp_path: Path, config: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["PYTHONPATH"] = str(ROOT)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "run",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def started(process: asyncio.subprocess.Process, server: FakeBotAPI, method: str) -> object:
    """Wait for the bot's start-up call `method`; if the process died instead, show why."""
    waiting = asyncio.ensure_future(server.wait_received(method, timeout=20))
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():
        waiting.cancel()
        _, err = await process.communicate()
        raise AssertionError(f"awarebot exited with {process.returncode}: {err.decode()[-2000:]}")
    exited.cancel()
    return waiting.result()


async def post_when_listening(client: httpx.AsyncClient, url: str, update: dict, headers: dict[str, str],
                              attempts: int = 100) -> httpx.Response:
    """POST `update` to the webhook once its server accepts connections (it may still be starting)."""
    for _ in range(attempts - 1):
        try:
            return await client.post(url, json=update, headers=headers)
        except httpx.ConnectError:
            await asyncio.sleep(0.1)
    return await client.post(url, json=update, headers=headers)


async def stop_cli(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(process.communicate(), 15)
    except TimeoutError:
        process.kill()
        raise
    return process.returncode, err.decode()


async def test_polling_run_sets_commands_answers_and_sigterm_finishes_the_reply(tmp_path, fake_api: FakeBotAPI):
    process = await start_cli(tmp_path, write_config(tmp_path, fake_api))
    try:
        await started(process, fake_api, "setMyCommands")
        assert [c["command"] for c in fake_api.commands][:1] == ["start"]
        fake_api.send_text(11, "what is trafficking")
        first = await fake_api.wait_for("sendMessage", chat_id=11, timeout=10)
        assert "Region: International" in first.text

        # SIGTERM while a reply is on its way: the reply is finished, then the process exits cleanly.
        fake_api.fail("sendMessage", "delay", seconds=0.8, chat_id=12)
        fake_api.send_text(12, "secretcanary what is trafficking")
        await fake_api.wait_received("sendMessage", chat_id=12, timeout=10)
        code, err = await stop_cli(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, err
    assert [c.status for c in fake_api.calls_of("sendMessage", ok_only=False, chat_id=12)] == [200]
    assert "secretcanary" not in err
    assert "Traceback" not in err


async def test_webhook_run_checks_the_secret_and_answers(tmp_path, fake_api: FakeBotAPI):
    port = free_port()
    extra = (
        f'mode = "webhook"\n\n[telegram.webhook]\nurl = "https://bot.example.org"\nlisten = "127.0.0.1"\n'
        f'port = {port}\npath = "tg-hook"\nsecret_token = "s3cret-Token_1"\n'
    )
    process = await start_cli(tmp_path, write_config(tmp_path, fake_api, extra))
    try:
        hook = await started(process, fake_api, "setWebhook")
        assert hook.params["url"] == "https://bot.example.org/tg-hook"
        assert hook.params["secret_token"] == "s3cret-Token_1"
        assert sorted(hook.params["allowed_updates"]) == ["callback_query", "inline_query", "message"]
        update = {"update_id": 1, "message": fake_api.message(21, "/hotline")}
        async with httpx.AsyncClient() as client:
            wrong = await post_when_listening(client, f"http://127.0.0.1:{port}/tg-hook", update,
                                              {"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert wrong.status_code == 403
            # At least once: Telegram gets its 200 only after the answer went out (a slow one here), so an update
            # in flight when the process dies is sent again by Telegram.
            fake_api.fail("sendMessage", "delay", seconds=0.5, chat_id=21)
            right = await client.post(f"http://127.0.0.1:{port}/tg-hook", content=json.dumps(update),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1",
                                               "Content-Type": "application/json"})
            assert right.status_code == 200
            assert fake_api.calls_of("sendMessage", chat_id=21), "answered Telegram before the reply went out"
            # Telegram's redelivery of the same update (its answer timed out) is not answered twice.
            again = await client.post(f"http://127.0.0.1:{port}/tg-hook", content=json.dumps(update),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1",
                                               "Content-Type": "application/json"})
            assert again.status_code == 200
            assert len(fake_api.calls_of("sendMessage", chat_id=21)) == 1
        card = await fake_api.wait_for("sendMessage", chat_id=21, timeout=10)
        assert "Where to get help" in card.text
        assert not fake_api.calls_of("getUpdates")
        code, err = await stop_cli(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, err


async def test_webhook_without_a_configured_secret_refuses_forged_updates(tmp_path, fake_api: FakeBotAPI):
    """No secret_token in the config: a random one is generated and given to setWebhook, and a POST without it (or
    with another) is refused before parsing, even one that claims to come from a moderator."""
    port = free_port()
    extra = (
        f'mode = "webhook"\n\n[telegram.webhook]\nurl = "https://bot.example.org"\nlisten = "127.0.0.1"\n'
        f'port = {port}\npath = "tg-hook"\n\n[[moderation.moderators]]\nid = 4242\nname = "M"\nrole = "reviewer"\n'
    )
    process = await start_cli(tmp_path, write_config(tmp_path, fake_api, extra))
    try:
        hook = await started(process, fake_api, "setWebhook")
        secret = hook.params.get("secret_token")
        assert isinstance(secret, str) and len(secret) >= 32
        forged = {"update_id": 7, "message": fake_api.message(4242, "/kb_pending")}
        url = f"http://127.0.0.1:{port}/tg-hook"
        async with httpx.AsyncClient() as client:
            missing = await post_when_listening(client, url, forged, {})
            assert missing.status_code == 403
            empty = await client.post(url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": ""})
            assert empty.status_code == 403
            guessed = await client.post(url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "telegram"})
            assert guessed.status_code == 403
            # The update Telegram would send, with the secret it was given, is answered.
            real = {"update_id": 8, "message": fake_api.message(31, "/hotline")}
            right = await client.post(url, json=real, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert right.status_code == 200
        await fake_api.wait_for("sendMessage", chat_id=31, timeout=10)
        assert not fake_api.calls_of("sendMessage", chat_id=4242)
        code, err = await stop_cli(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, err
    assert secret not in err


def test_a_secret_telegram_would_refuse_stops_start_up(caplog):
    hook = WebhookConfig(url="https://a.org", secret_token="has spaces and ü")
    assert run_bot(Config(telegram=TelegramConfig(token="1:x", mode="webhook", webhook=hook))) == 2
    assert "secret_token" in caplog.records[-1].getMessage()


async def test_a_refused_token_exits_with_a_clear_message(tmp_path):
    async with FakeBotAPI(token="999:other-token") as other:
        config = write_config(tmp_path, other).read_text().replace(other.token, FakeBotAPI().token)
        path = tmp_path / "config.toml"
        path.write_text(config)
        process = await start_cli(tmp_path, path)
        try:
            _, err = await asyncio.wait_for(process.communicate(), 20)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "refused the bot token" in lines[0]  # at once: no retries, no traceback


async def test_an_unreachable_bot_api_is_one_line_per_retry_then_one_clear_line(caplog):
    from handlers.app import check_bot_api

    closed = TelegramConfig(token="1:x", base_url=f"http://127.0.0.1:{free_port()}/bot")
    problem = await check_bot_api(closed, attempts=3, backoff=0)
    assert problem is not None and "cannot reach the Bot API" in problem
    retries = [r.getMessage() for r in caplog.records if r.name == "handlers.app"]
    assert retries == ["cannot reach the Bot API (NetworkError); retry 1 of 2 in 0 s",
                       "cannot reach the Bot API (NetworkError); retry 2 of 2 in 0 s"]
    assert not any(r.exc_info for r in caplog.records)


async def test_the_start_up_check_passes_on_a_working_bot_api(fake_api: FakeBotAPI):
    from handlers.app import check_bot_api

    assert await check_bot_api(TelegramConfig(token=fake_api.token, base_url=fake_api.base_url)) is None


def test_token_help_says_how_to_get_and_set_a_token():
    for needed in ("@BotFather", "/newbot", "config.toml", "[telegram]", 'token = "', "TELEGRAM_BOT_TOKEN",
                   "/setinline", "awarebot chat"):
        assert needed in TOKEN_HELP


def test_cli_without_token_prints_the_token_help(tmp_path, capsys, monkeypatch):
    from bot.cli import main

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    config = tmp_path / "config.toml"
    config.write_text("[telegram]\n", encoding="utf-8")
    assert main(["--config", str(config), "run"]) == 2
    assert TOKEN_HELP in capsys.readouterr().err


@pytest.mark.parametrize("telegram", [
    TelegramConfig(token="1:x", mode="carrier-pigeon"),
    TelegramConfig(token="1:x", mode="webhook"),  # no public URL
])
def test_bad_run_settings_exit_with_usage_error(telegram, caplog):
    assert run_bot(Config(telegram=telegram)) == 2
    assert caplog.records and caplog.records[-1].levelname == "ERROR"


@pytest.mark.parametrize(("url", "path", "expected"), [
    ("https://a.org", "tg", "https://a.org/tg"),
    ("https://a.org/", "/tg/", "https://a.org/tg"),
    ("https://a.org/tg", "tg", "https://a.org/tg"),
    ("https://a.org/x", "", "https://a.org/x"),
])
def test_webhook_url(url, path, expected):
    config = Config(telegram=TelegramConfig(webhook=WebhookConfig(url=url, path=path)))
    assert webhook_url(config) == expected
