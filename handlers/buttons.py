"""Answering button taps: the acknowledgement (answerCallbackQuery) is a courtesy, never a condition.

Telegram refuses an answer after ~15 s ("query is too old and response timeout expired or query ID is invalid"):
a tap that waited behind a slow start, a flood limit or a busy chat. The person still gets what they tapped for.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

log = logging.getLogger(__name__)


async def acknowledge(query: CallbackQuery | None, text: str | None = None) -> bool:
    """Answer the tap (stops the button's spinner; `text` shows as a toast). False when Telegram refused or could
    not be reached (or there is no query): logged as a kind, and the caller carries on with the content."""
    if query is None:
        return False
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.info("button acknowledgement refused (%s); content sent anyway", type(exc).__name__)
        return False
    return True


# What may follow a prefix in callback data: a knowledge id (entries, categories), a region code, a page number.
ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
REGION_CODE = r"[A-Z]{2,4}"
PAGE_NUMBER = r"[0-9]{1,3}"


class ButtonHandler(CallbackQueryHandler[Any, Any]):
    """A CallbackQueryHandler for callback data matching `pattern` in full (`\\Z`, so "f:y\\n" is not "f:y").
    A query without data matches no ButtonHandler: python-telegram-bot's own handler lets empty data through
    every pattern, which would confirm whatever button was registered first. The catch-all in handlers.fallback
    answers those kindly."""

    def __init__(self, callback: Any, pattern: str) -> None:
        super().__init__(callback, pattern=re.compile(f"(?:{pattern})\\Z"))

    def check_update(self, update: object) -> bool | object | None:
        if not isinstance(update, Update) or update.callback_query is None or not update.callback_query.data:
            return None
        return super().check_update(update)


def exact(data: str) -> str:
    """A pattern for exactly this callback data."""
    return re.escape(data)
