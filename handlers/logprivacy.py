"""No message text in any log record, from any logger, at any level.

People write here about what is happening to them; logs are copied, shipped and kept. Filters on handlers
miss handlers added later (and records of child loggers skip logger filters), so the guarantee sits where
every record is born: the log record factory. Each record is scrubbed as it is made:

- arguments that can carry what people wrote become a summary: Telegram objects (`Update(id=7)`, `<Message>`),
  containers (`<dict of 4>`: PTB logs request parameters and results this way), bytes, exceptions, unknown
  objects; long strings become `<text of N chars>`; numbers, booleans, enums and short strings stay;
- a message that is not a string becomes its type name;
- exception info becomes a traceback of frames and exception type names only: no messages, no values
  (Telegram's own error descriptions are kept: they come from the server and say what went wrong);
- the bot token is redacted wherever it appears.
"""

from __future__ import annotations

import enum
import logging
import re
import traceback
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

from telegram import TelegramObject, Update
from telegram.error import TelegramError

MAX_ARG_CHARS = 200
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
_QUIET = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite")

_tokens: set[str] = set()
_installed: Callable[..., logging.LogRecord] | None = None


def install(token: str = "") -> None:
    """Scrub every log record from now on (idempotent); `token` is redacted too."""
    global _installed
    if token:
        _tokens.add(token)
    current = logging.getLogRecordFactory()
    if current is _installed:
        return
    previous = current

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub(previous(*args, **kwargs))

    _installed = factory
    logging.setLogRecordFactory(factory)


def quiet_libraries(level: int = logging.WARNING) -> None:
    """Chatty libraries log at WARNING and above only (their DEBUG lines are scrubbed anyway)."""
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.getLogger(name).level))


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    if not isinstance(record.msg, str):
        record.msg, record.args = f"<{type(record.msg).__name__}>", ()
    else:
        record.msg = redact(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {key: safe(value) for key, value in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(safe(value) for value in record.args)
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = safe_traceback(record.exc_info[1])
        record.exc_info = None
    return record


def safe(value: Any) -> Any:
    """A log argument with nothing a person wrote in it."""
    if value is None or isinstance(value, (bool, int, float, enum.Enum)):
        return value
    if isinstance(value, str):
        return redact(value) if len(value) <= MAX_ARG_CHARS else f"<text of {len(value)} chars>"
    if isinstance(value, Update):
        return f"Update(id={value.update_id})"
    if isinstance(value, TelegramObject):
        return f"<{type(value).__name__}>"
    if isinstance(value, TelegramError):
        return f"{type(value).__name__}({safe(value.message)!s})"
    if isinstance(value, BaseException):
        return type(value).__name__
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return f"<{type(value).__name__} of {len(value)}>"
    if isinstance(value, PurePath) or type(value).__name__ in ("URL", "timedelta", "datetime", "Timeout"):
        return redact(str(value))
    return f"<{type(value).__name__}>"


def redact(text: str) -> str:
    for token in _tokens:
        text = text.replace(token, "<token>")
    return _TOKEN.sub("<token>", text)


def safe_traceback(error: BaseException) -> str:
    """The traceback's frames and exception types, causes included; messages only for Telegram's errors."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chunk = ["Traceback (most recent call last):"]
        chunk += [f'  File "{f.filename}", line {f.lineno}, in {f.name}'
                  for f in traceback.extract_tb(current.__traceback__)]
        chunk.append(str(safe(current)))
        lines = chunk + ([""] if lines else []) + lines
        current = current.__cause__ or current.__context__
    return "\n".join(lines)
