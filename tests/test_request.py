"""Bot API requests: JSON bodies for requests without files, and retries of transient failures."""

import json

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from handlers.request import RetryingRequest


def _request(handler) -> RetryingRequest:
    request = RetryingRequest(attempts=3, backoff=0.0)
    request._client = httpx.AsyncClient(transport=httpx.MockTransport(handler))  # noqa: SLF001 - test seam
    return request


def _data() -> RequestData:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Hotline", callback_data="h")]])
    return RequestData([
        RequestParameter.from_input("chat_id", 42),
        RequestParameter.from_input("text", "<b>Hello</b> & welcome"),
        RequestParameter.from_input("reply_markup", markup),
    ])


async def test_requests_without_files_go_as_json_with_nested_objects() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True, "result": True})

    code, _ = await _request(handler).do_request("http://127.0.0.1/botX/sendMessage", "POST", _data())
    assert code == 200
    assert seen[0].headers["content-type"] == "application/json"
    body = json.loads(seen[0].content)
    assert body["text"] == "<b>Hello</b> & welcome"
    assert body["reply_markup"] == {"inline_keyboard": [[{"text": "Hotline", "callback_data": "h"}]]}


async def test_server_errors_are_retried_until_the_answer_arrives() -> None:
    answers = iter([httpx.Response(502), httpx.Response(500), httpx.Response(200, json={"ok": True})])

    code, _ = await _request(lambda request: next(answers)).do_request("http://127.0.0.1/botX/sendMessage", "POST",
                                                                      _data())
    assert code == 200
