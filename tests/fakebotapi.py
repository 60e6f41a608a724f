"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests with the real python-telegram-bot stack.

Plain asyncio, HTTP/1.1 with keep-alive, no dependencies. It implements the methods awarebot calls, keeps a
small model of each chat (message ids, current text and keyboard, deleted messages), records every call, lets
tests push updates as a person would (text, commands, button presses, inline queries, media, edits) and wait
for the bot's calls. Faults can be injected per method: 429 with retry_after, 500, a hang past the client's
timeout, or a slow but successful answer.

Usage:
    async with FakeBotAPI() as server:
        bot = Application.builder().token(server.token).base_url(server.base_url)...
        server.send_text(42, "hello")
        call = await server.wait_for("sendMessage", chat_id=42)
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456:TEST-fake-bot-api-token"
BOT_ID = 123456
BOT_USERNAME = "awarebot_test_bot"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64

# PTB sends every non-string parameter JSON-encoded and strings as they are; these are the string ones it uses.
STRING_PARAMS = frozenset({
    "text", "parse_mode", "callback_query_id", "inline_query_id", "url", "secret_token", "next_offset",
    "caption", "language_code", "description", "short_description", "name", "switch_pm_text",
    "switch_pm_parameter", "ip_address", "business_connection_id", "message_effect_id", "certificate",
})
ALLOWED_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span",
    "blockquote", "tg-emoji",
})


class FakeApiError(Exception):
    """An error answer of the fake API: (HTTP code, description, parameters)."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Call:
    """One request the bot made. `status` is the HTTP code answered (0 when it hung and was never answered)."""

    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str:
        """The visible text of a sent or edited message (HTML tags removed, entities unescaped)."""
        return visible_text(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button of the call's reply_markup, row by row flattened."""
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def __repr__(self) -> str:  # short, for assertion messages
        return f"Call({self.method}, status={self.status}, params={_short(self.params)})"


@dataclass
class Fault:
    kind: str  # "400", "403", "429", "500", "hang", "delay"
    remaining: int
    retry_after: int = 1
    seconds: float = 0.0
    match: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    parameters: dict[str, Any] | None = None


@dataclass
class StoredMessage:
    """The fake's model of one message in a chat."""

    message_id: int
    chat: dict[str, Any]
    sender: dict[str, Any]
    text: str = ""  # as sent (HTML for the bot's messages)
    reply_markup: dict[str, Any] | None = None
    deleted: bool = False
    from_bot: bool = False
    date: int = field(default_factory=lambda: int(time.time()))
    thread_id: int | None = None  # forum topic
    protected: bool = False  # protect_content: can't be forwarded or saved
    silent: bool = False  # disable_notification

    def to_api(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat,
            "from": self.sender,
            "text": visible_text(self.text) if self.from_bot else self.text,
        }
        if self.reply_markup:
            message["reply_markup"] = self.reply_markup
        if self.thread_id is not None:
            message["message_thread_id"] = self.thread_id
            message["is_topic_message"] = True
        if self.protected:
            message["has_protected_content"] = True
        return message


def visible_text(markup: str) -> str:
    """What a person sees for Telegram HTML: tags dropped, entities unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _HtmlChecker(HTMLParser):
    """Refuses what Telegram refuses: unknown tags and unbalanced ones."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f'unexpected end tag "{tag}"'


def check_html(text: str) -> str | None:
    """None when Telegram would parse `text` as HTML; else the reason."""
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        return "unsupported HTML entity (an unescaped '&')"
    if re.search(r"[<>]", re.sub(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>", "", text)):
        return "an unescaped '<' or '>' outside a tag"
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.error:
        return checker.error
    if checker.stack:
        return f'can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
    return None


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _decode_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, raw in pairs:
        if key in STRING_PARAMS:
            params[key] = raw
            continue
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


class FakeBotAPI:
    """The fake server. Start with `await server.start()` (or `async with`), stop with `await server.stop()`."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_id: int = BOT_ID,
        username: str = BOT_USERNAME,
        poll_wait_cap: float = 1.0,
    ) -> None:
        self.token = token
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "awarebot", "username": username}
        self.username = username
        # getUpdates waits at most this long (whatever `timeout` the bot asks for) so tests never stall.
        self.poll_wait_cap = poll_wait_cap
        self.port = 0
        self.calls: list[Call] = []  # answered calls (and hung ones), in the order they were answered
        self.received: list[Call] = []  # every request except getUpdates, as it arrives (before any answer)
        self.unhandled: list[Call] = []  # methods this fake does not implement
        self.commands: list[dict[str, Any]] = []
        self.commands_by_language: dict[str, list[dict[str, Any]]] = {}
        # user id -> the language_code their Telegram app sends (default "en").
        self.user_languages: dict[int, str] = {}
        self.webhook: dict[str, Any] = {}
        self.allowed_updates: list[str] | None = None
        self.chats: dict[int, dict[int, StoredMessage]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}  # id -> {"answered": bool, ...}
        self._pending_updates: list[dict[str, Any]] = []
        self._delivered_update_id = 0  # highest update id confirmed by an offset
        # Chats where every call answers 403 (blocked by the user, bot removed from the group): chat id -> description.
        self.forbidden: dict[int, str] = {}
        self.migrated: dict[int, int] = {}  # basic group id -> the supergroup it became
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._ids = itertools.count(1)
        self._faults: dict[str, list[Fault]] = {}
        self._consumed: set[int] = set()  # indexes of calls already returned by wait_for
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    # -- lifecycle --------------------------------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        self._server = await asyncio.start_server(self._serve_connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder.base_url` / `[telegram] base_url`: PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    # -- fault injection --------------------------------------------------------------------------------------

    def fail(
        self, method: str, kind: str = "500", *, times: int = 1, retry_after: int = 1, seconds: float = 3.0,
        description: str | None = None, parameters: dict[str, Any] | None = None, **match: Any,
    ) -> None:
        """Make the next `times` calls of `method` (matching `match` params) fail.

        kind: "429" (Too Many Requests with retry_after), "500" (Internal Server Error), "400" (Bad Request: the
        bot's own fault, not retried), "hang" (no answer for
        `seconds`, then the connection is dropped: the call is not performed), "delay" (answered normally after
        `seconds`), "403" (Forbidden). `description` / `parameters` replace the error answer's defaults (e.g.
        Telegram's exact wording, or {"migrate_to_chat_id": …}).
        """
        if kind not in ("400", "403", "429", "500", "hang", "delay"):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults.setdefault(method, []).append(
            Fault(kind, times, retry_after, seconds, match, description, parameters)
        )

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults.get(method, []):
            if fault.remaining > 0 and _matches(params, fault.match):
                fault.remaining -= 1
                return fault
        return None

    @property
    def confirmed_update_id(self) -> int:
        """The highest update id the bot confirmed (by a getUpdates offset above it): Telegram never resends it."""
        return self._delivered_update_id

    def block(self, chat_id: int, description: str = "Forbidden: bot was blocked by the user") -> None:
        """The person blocks the bot (or, with Telegram's other wording, removes it from the group)."""
        self.forbidden[chat_id] = description

    def upgrade_group(self, old_id: int, new_id: int) -> None:
        """A basic group becomes a supergroup: the service messages Telegram sends in both chats are pushed, and
        every later call to the old id answers 400 with parameters.migrate_to_chat_id (as the Bot API does)."""
        self.migrated[old_id] = new_id
        self.push_update({"message": self.message(old_id, None, chat_type="group",
                                                  extra={"migrate_to_chat_id": new_id})})
        self.push_update({"message": self.message(new_id, None, chat_type="supergroup",
                                                  extra={"migrate_from_chat_id": old_id})})

    def _chat_refusal(self, params: dict[str, Any]) -> FakeApiError | None:
        try:
            chat_id = int(params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if chat_id in self.forbidden:
            return FakeApiError(403, self.forbidden[chat_id])
        if chat_id in self.migrated:
            return FakeApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                {"migrate_to_chat_id": self.migrated[chat_id]})
        return None

    # -- pushing updates (what people do) ---------------------------------------------------------------------

    def push_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (its update_id is assigned here) and wake a waiting getUpdates."""
        update = {"update_id": next(self._update_ids), **payload}
        self._pending_updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    def take_updates(self) -> list[dict[str, Any]]:
        """Webhook mode: hand over (and forget) the queued updates, as Telegram does when it POSTs them
        (tests/webhookfront.py delivers them)."""
        taken, self._pending_updates = self._pending_updates, []
        return [{k: v for k, v in u.items() if not k.startswith("_")} for u in taken]

    def user(self, user_id: int, first_name: str = "Alex") -> dict[str, Any]:
        """A user as Telegram sends it; `language_code` is the app's language (tests set `user_languages`)."""
        language = getattr(self, "user_languages", {}).get(user_id, "en")
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language}

    @staticmethod
    def chat(chat_id: int, chat_type: str | None = None) -> dict[str, Any]:
        chat_type = chat_type or ("private" if chat_id > 0 else "supergroup")
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "Alex"}
        return {"id": chat_id, "type": chat_type, "title": "Test group"}

    def next_message_id(self, chat_id: int) -> int:
        # One counter per chat for both directions, as in a Telegram private chat.
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: int | None = None,
        extra: dict[str, Any] | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A message dict as Telegram would send it (not queued), stored in the chat's model. `thread_id`: said in
        that forum topic of a supergroup."""
        user_id = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        chat = self.chat(chat_id, chat_type)
        sender = self.user(user_id)
        stored = StoredMessage(self.next_message_id(chat_id), chat, sender, text or "")
        self.chats.setdefault(chat_id, {})[stored.message_id] = stored
        message: dict[str, Any] = {"message_id": stored.message_id, "date": stored.date, "chat": chat}
        if chat_type != "channel":
            message["from"] = sender
        if text is not None:
            message["text"] = text
            entities = self._entities(text)
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = self.chats[chat_id][reply_to].to_api()
        if thread_id is not None:
            stored.thread_id = thread_id
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            chat["is_forum"] = True
        message.update(extra or {})
        return message

    def _entities(self, text: str) -> list[dict[str, Any]]:
        entities = []
        for match in re.finditer(r"(?<!\S)(/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?)|(@[A-Za-z0-9_]{4,})", text):
            kind = "bot_command" if match.group(1) else "mention"
            if kind == "bot_command" and match.start() != 0:
                continue
            entities.append({
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            })
        return entities

    def send_text(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """A person sends `text` (commands and @mentions get their entities). Returns the update."""
        return self.push_update({"message": self.message(chat_id, text, **kwargs)})

    def send_media(self, chat_id: int, kind: str, *, caption: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """A person sends a sticker, photo, voice note, document, location or contact."""
        n = next(self._ids)
        file = {"file_id": f"file{n}", "file_unique_id": f"u{n}"}
        media: dict[str, Any] = {
            "sticker": {"sticker": {**file, "type": "regular", "width": 512, "height": 512,
                                    "is_animated": False, "is_video": False}},
            "photo": {"photo": [{**file, "width": 90, "height": 90}]},
            "voice": {"voice": {**file, "duration": 3}},
            "document": {"document": {**file, "file_name": "file.pdf"}},
            "location": {"location": {"latitude": 51.5, "longitude": -0.1}},
            "contact": {"contact": {"phone_number": "+100000", "first_name": "Sam"}},
        }[kind]
        if caption is not None:
            media["caption"] = caption
            entities = self._entities(caption)
            if entities:
                media["caption_entities"] = entities
        return self.push_update({"message": self.message(chat_id, None, extra=media, **kwargs)})

    def edit_text(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        """A person edits one of their messages."""
        stored = self.chats[chat_id][message_id]
        stored.text = text
        message = {
            "message_id": message_id, "date": stored.date, "edit_date": int(time.time()),
            "chat": stored.chat, "from": stored.sender, "text": text,
        }
        return self.push_update({"edited_message": message})

    def channel_post(self, chat_id: int, text: str) -> dict[str, Any]:
        return self.push_update({"channel_post": self.message(chat_id, text, chat_type="channel")})

    def press(
        self, chat_id: int, message_id: int, data: str | None = None, *, label: str | None = None,
        user_id: int | None = None, inaccessible: bool = False, late: bool = False,
    ) -> dict[str, Any]:
        """A person taps a button of a bot message, by callback data or by label. The button must exist.
        `inaccessible`: Telegram sends the message as InaccessibleMessage (date 0), as for an old one.
        `late`: the query reaches the bot after Telegram's ~15 s answer window (or after a slow start), so
        answerCallbackQuery answers 400 "query is too old…", while everything else still works."""
        stored = self.chats.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise AssertionError(f"no message {message_id} in chat {chat_id} to press a button on")
        buttons = [b for row in (stored.reply_markup or {}).get("inline_keyboard", []) for b in row]
        found = [
            b for b in buttons
            if "callback_data" in b and (b["callback_data"] == data or (label is not None and label in b["text"]))
        ]
        if not found:
            raise AssertionError(f"no button {data or label!r} on message {message_id}: {buttons}")
        query_id = str(next(self._ids))
        self.callback_queries[query_id] = {"answered": late, "data": found[0]["callback_data"]}
        user_id = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        return self.push_update({"callback_query": {
            "id": query_id,
            "from": self.user(user_id),
            "message": (
                {"chat": stored.chat, "message_id": message_id, "date": 0} if inaccessible else stored.to_api()
            ),
            "chat_instance": f"ci{chat_id}",
            "data": found[0]["callback_data"],
        }})

    def inline_query(self, query: str, *, user_id: int = 77) -> dict[str, Any]:
        return self.push_update({"inline_query": {
            "id": str(next(self._ids)), "from": self.user(user_id), "query": query, "offset": "",
            "chat_type": "sender",
        }})

    # -- waiting and inspecting ---------------------------------------------------------------------------------

    def calls_of(self, method: str | None = None, *, ok_only: bool = True, **match: Any) -> list[Call]:
        return [
            c for c in self.calls
            if (method is None or c.method == method) and (c.ok or not ok_only) and _matches(c.params, match)
        ]

    async def wait_for(self, method: str, timeout: float = 5.0, **match: Any) -> Call:
        """The first successful call of `method` matching `match` not yet returned by wait_for; waits for it."""
        found: list[Call] = []

        def find() -> bool:
            for index, call in enumerate(self.calls):
                if (
                    index not in self._consumed and call.method == method and call.ok
                    and _matches(call.params, match)
                ):
                    self._consumed.add(index)
                    found.append(call)
                    return True
            return False

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(find), timeout)
            except TimeoutError:
                seen = [c for c in self.calls if c.method == method]
                raise AssertionError(
                    f"no {method} matching {match} within {timeout}s; {method} calls: {seen}"
                ) from None
        return found[0]

    async def wait_received(self, method: str, timeout: float = 5.0, **match: Any) -> Call:
        """Wait until a request for `method` arrived (it may not be answered yet: see `fail(kind="delay")`)."""

        def arrived() -> bool:
            return any(c.method == method and _matches(c.params, match) for c in self.received)

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(arrived), timeout)
            except TimeoutError:
                raise AssertionError(f"no {method} request matching {match} within {timeout}s") from None
        return next(c for c in self.received if c.method == method and _matches(c.params, match))

    async def wait_for_many(self, method: str, count: int, timeout: float = 5.0, **match: Any) -> list[Call]:
        return [await self.wait_for(method, timeout, **match) for _ in range(count)]

    def visible(self, chat_id: int) -> list[StoredMessage]:
        """The chat as the person sees it now: messages not deleted, oldest first."""
        return [m for _, m in sorted(self.chats.get(chat_id, {}).items()) if not m.deleted]

    # -- HTTP -------------------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                path, headers, body = request
                status, payload, hang = await self._dispatch(path, headers, body)
                if hang is not None:
                    await asyncio.sleep(hang)
                    break  # the client gave up long ago; drop the connection without an answer
                data = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                    "Connection: keep-alive\r\n\r\n".encode() + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _dispatch(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, float | None]:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path.split("?", 1)[0])
        if not match:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, None
        token, method = match.groups()
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, None
        params = self._parse_body(headers, body)
        call = Call(method, params)
        if method != "getUpdates":
            self.received.append(call)
            await self._notify()
        fault = self._take_fault(method, params)
        if fault is not None and fault.kind == "hang":
            call.status = 0
            self.calls.append(call)
            await self._notify()
            return 0, None, fault.seconds
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind in ("400", "403", "429", "500"):
            code = int(fault.kind)
            call.status = code
            self.calls.append(call)
            await self._notify()
            if code in (400, 403):
                default = "Bad Request: injected fault" if code == 400 else "Forbidden: bot was blocked by the user"
                answer = {"ok": False, "error_code": code, "description": fault.description or default}
                if fault.parameters:
                    answer["parameters"] = fault.parameters
                return code, answer, None
            if code == 429:
                return 429, {
                    "ok": False, "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after},
                }, None
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}, None
        try:
            if method == "getUpdates":
                result = await self._get_updates(params)
            else:
                handler = getattr(self, f"_api_{method}", None)
                if handler is None:
                    self.unhandled.append(call)
                    raise FakeApiError(404, "Not Found")
                refusal = self._chat_refusal(params)
                if refusal is not None:
                    raise refusal
                result = handler(params)
        except FakeApiError as exc:
            call.status = exc.code
            call.result = exc.description
            self.calls.append(call)
            await self._notify()
            answer: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                answer["parameters"] = exc.parameters
            return exc.code, answer, None
        call.result = result
        if method != "getUpdates" or result:
            self.calls.append(call)
            await self._notify()
        return 200, {"ok": True, "result": result}, None

    @staticmethod
    def _parse_body(headers: dict[str, str], body: bytes) -> dict[str, Any]:
        content_type = headers.get("content-type", "")
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return json.loads(body)
        if content_type.startswith("application/x-www-form-urlencoded"):
            return _decode_params(parse_qsl(body.decode(), keep_blank_values=True))
        if content_type.startswith("multipart/form-data"):
            raise FakeApiError(400, "Bad Request: multipart uploads are not supported by the fake")
        return {}

    # -- the API ------------------------------------------------------------------------------------------------

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset:
            self._delivered_update_id = max(self._delivered_update_id, offset - 1)
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"]
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.poll_wait_cap)

        def ready() -> bool:
            return bool(self._pending_updates)

        if not ready() and wait > 0:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait_for(ready), wait)
                except TimeoutError:
                    pass
        batch = self._pending_updates[:limit]
        for update in batch:
            update["_fetched"] = True
        return [{k: v for k, v in u.items() if not k.startswith("_")} for u in batch]

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": True}

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        language = params.get("language_code") or ""
        if language:  # a menu for the people whose Telegram is in that language
            self.commands_by_language[language] = list(params.get("commands") or [])
        else:
            self.commands = list(params.get("commands") or [])
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands_by_language.get(params.get("language_code") or "", self.commands)

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands = []
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True

    def _check_text_and_markup(self, params: dict[str, Any]) -> None:
        text = params.get("text", "")
        if not isinstance(text, str) or not text.strip():
            raise FakeApiError(400, "Bad Request: message text is empty")
        if params.get("parse_mode") == "HTML":
            problem = check_html(text)
            if problem:
                raise FakeApiError(400, f"Bad Request: can't parse entities: {problem}")
            visible = visible_text(text)
        else:
            visible = text
        if utf16_len(visible) > MAX_TEXT:
            raise FakeApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not (1 <= len(data.encode()) <= MAX_CALLBACK_DATA):
                    raise FakeApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise FakeApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")

    def _chat_of(self, params: dict[str, Any]) -> int:
        try:
            return int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise FakeApiError(400, "Bad Request: chat not found") from None

    def _message_of(self, params: dict[str, Any]) -> StoredMessage:
        chat_id = self._chat_of(params)
        stored = self.chats.get(chat_id, {}).get(int(params.get("message_id") or 0))
        if stored is None or stored.deleted:
            raise FakeApiError(400, "Bad Request: message to edit not found")
        if not stored.from_bot:
            raise FakeApiError(400, "Bad Request: message can't be edited")
        return stored

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_of(params)
        self._check_text_and_markup(params)
        known = self.chats.get(chat_id)
        chat = next(iter(known.values())).chat if known else self.chat(chat_id)
        stored = StoredMessage(
            self.next_message_id(chat_id), chat, self.bot_user, params["text"],
            params.get("reply_markup"), from_bot=True, thread_id=params.get("message_thread_id"),
            protected=bool(params.get("protect_content")), silent=bool(params.get("disable_notification")),
        )
        self.chats.setdefault(chat_id, {})[stored.message_id] = stored
        return stored.to_api()

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._message_of(params)
        self._check_text_and_markup(params)
        markup = params.get("reply_markup")
        if params["text"] == stored.text and markup == stored.reply_markup:
            raise FakeApiError(400, "Bad Request: message is not modified: specified new message content and "
                                    "reply markup are exactly the same as a current content and reply markup")
        stored.text, stored.reply_markup = params["text"], markup
        return stored.to_api()

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._message_of(params)
        markup = params.get("reply_markup")
        self._check_text_and_markup({"text": stored.text, "reply_markup": markup})
        if markup == stored.reply_markup:
            raise FakeApiError(400, "Bad Request: message is not modified")
        stored.reply_markup = markup
        return stored.to_api()

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query = self.callback_queries.get(str(params.get("callback_query_id")))
        if query is None or query["answered"]:
            raise FakeApiError(400, "Bad Request: query is too old and response timeout expired or query ID "
                                    "is invalid")
        query["answered"] = True
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        results = params.get("results") or []
        ids = [r.get("id", "") for r in results]
        if len(results) > 50 or len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise FakeApiError(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            self._check_text_and_markup({
                "text": content.get("message_text", ""), "parse_mode": content.get("parse_mode"),
                "reply_markup": result.get("reply_markup"),
            })
        return True

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_of(params)
        stored = self.chats.get(chat_id, {}).get(int(params.get("message_id") or 0))
        if stored is None or stored.deleted:
            raise FakeApiError(400, "Bad Request: message to delete not found")
        stored.deleted = True
        return True

    def _api_deleteMessages(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_of(params)
        ids = params.get("message_ids") or []
        if not 1 <= len(ids) <= 100:
            raise FakeApiError(400, "Bad Request: message_ids must contain 1-100 identifiers")
        for message_id in ids:
            stored = self.chats.get(chat_id, {}).get(int(message_id))
            if stored is not None:  # missing ones are skipped, as the Bot API does
                stored.deleted = True
        return True


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return parts[1], headers, body


def _matches(params: dict[str, Any], match: dict[str, Any]) -> bool:
    for key, expected in match.items():
        if key not in params:
            return False
        actual = params[key]
        if callable(expected) and not isinstance(expected, type):
            if not expected(actual):
                return False
        elif actual != expected:
            return False
    return True


Predicate = Callable[[Any], bool]


def contains(fragment: str) -> Predicate:
    """Match helper: the parameter (as visible text) contains `fragment`."""
    return lambda value: isinstance(value, str) and fragment in visible_text(value)
