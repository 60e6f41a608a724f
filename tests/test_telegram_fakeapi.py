"""The fake Bot API itself: what it parses, refuses and records (other tests and the benchmark rely on it)."""

from __future__ import annotations

import asyncio
import json

import httpx
from fakebotapi import FakeBotAPI


async def post(server: FakeBotAPI, client: httpx.AsyncClient, method: str, **kwargs) -> httpx.Response:
    return await client.post(f"{server.base_url}{server.token}/{method}", **kwargs)


async def test_form_and_json_bodies_and_keep_alive(fake_api: FakeBotAPI):
    async with httpx.AsyncClient() as client:
        # PTB's form encoding: strings raw, everything else JSON; a text of digits stays text.
        form = await post(fake_api, client, "sendMessage", data={
            "chat_id": "5", "text": "123", "reply_markup": json.dumps({"inline_keyboard": [[
                {"text": "A", "callback_data": "a"}]]}),
        })
        as_json = await post(fake_api, client, "sendMessage", json={"chat_id": 5, "text": "hi"})
    assert form.json()["ok"] and as_json.json()["ok"]
    first, second = fake_api.calls_of("sendMessage", chat_id=5)
    assert first.params["text"] == "123" and first.button_data() == ["a"]
    assert second.params["text"] == "hi"
    assert [form.json()["result"]["message_id"], as_json.json()["result"]["message_id"]] == [1, 2]
    assert len(fake_api._connections) <= 1  # one kept-alive connection served both


async def test_refuses_what_telegram_refuses(fake_api: FakeBotAPI):
    async with httpx.AsyncClient() as client:
        wrong_token = await client.post(f"{fake_api.base_url}1:nope/getMe")
        bad_html = await post(fake_api, client, "sendMessage",
                              json={"chat_id": 1, "text": "a < b", "parse_mode": "HTML"})
        unclosed = await post(fake_api, client, "sendMessage",
                              json={"chat_id": 1, "text": "<b>bold", "parse_mode": "HTML"})
        too_long = await post(fake_api, client, "sendMessage", json={"chat_id": 1, "text": "x" * 4097})
        fits = await post(fake_api, client, "sendMessage",
                          json={"chat_id": 1, "text": "<b>" + "x" * 4096 + "</b>", "parse_mode": "HTML"})
        long_data = await post(fake_api, client, "sendMessage", json={
            "chat_id": 1, "text": "t",
            "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d" * 65}]]}})
        sent = fits.json()["result"]
        same = await post(fake_api, client, "editMessageText", json={
            "chat_id": 1, "message_id": sent["message_id"], "text": "<b>" + "x" * 4096 + "</b>",
            "parse_mode": "HTML"})
        unknown = await post(fake_api, client, "sendDice", json={"chat_id": 1})
    assert wrong_token.status_code == 401
    assert bad_html.status_code == 400 and "parse entities" in bad_html.json()["description"]
    assert unclosed.status_code == 400
    assert too_long.status_code == 400 and "too long" in too_long.json()["description"]
    assert fits.status_code == 200  # the limit is on the visible text
    assert long_data.status_code == 400
    assert same.status_code == 400 and "not modified" in same.json()["description"]
    assert unknown.status_code == 404 and [c.method for c in fake_api.unhandled] == ["sendDice"]
    fake_api.unhandled.clear()


async def test_faults_in_order_then_normal_service(fake_api: FakeBotAPI):
    fake_api.fail("sendMessage", "429", retry_after=3)
    fake_api.fail("sendMessage", "500")
    async with httpx.AsyncClient() as client:
        answers = [await post(fake_api, client, "sendMessage", json={"chat_id": 1, "text": "x"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 500, 200]
    assert answers[0].json()["parameters"] == {"retry_after": 3}


async def test_long_poll_wakes_when_an_update_arrives(fake_api: FakeBotAPI):
    async with httpx.AsyncClient() as client:
        poll = asyncio.ensure_future(post(fake_api, client, "getUpdates", json={"timeout": 5}))
        await asyncio.sleep(0.1)
        assert not poll.done()
        fake_api.send_text(3, "/start")
        updates = (await asyncio.wait_for(poll, 2)).json()["result"]
        assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        # Confirming with an offset drops it; an empty poll returns after the cap, not the asked timeout.
        empty = await post(fake_api, client, "getUpdates",
                           json={"offset": updates[0]["update_id"] + 1, "timeout": 0})
    assert empty.json()["result"] == []
