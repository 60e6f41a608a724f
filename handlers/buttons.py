"""Answering button taps: the acknowledgement (answerCallbackQuery) is a courtesy, never a condition.

Telegram refuses an answer after ~15 s ("query is too old and response timeout expired or query ID is invalid"):
a tap that waited behind a slow start, a flood limit or a busy chat. The person still gets what they tapped for.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import TelegramError

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
