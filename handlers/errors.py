"""The one error handler: log what failed (never what was said), then answer kindly, with the referral."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from handlers.deps import App, Context
from handlers.render import chat_lang, chat_region, send_reply

log = logging.getLogger(__name__)


def where(error: BaseException) -> str:
    """Where it was raised: file:line in function, innermost last; no values, no messages."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in reversed(frames))


async def on_error(update: object, context: Context) -> None:
    """Log the error's type and the update id, then send the error reply where there is someone to tell."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s at %s", update_id, type(error).__name__, where(error) if error else "?")
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
    except TelegramError:
        pass  # already answered, or too old
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.CHANNEL or update.edited_message is not None:
        return
    try:
        reply = context.deps.live.current.error_reply(chat_region(context, chat.id), chat_lang(context, update))
        await send_reply(context, chat.id, reply)
    except Exception as exc:  # the error handler must not raise; PTB would only log it again
        log.error("update %s: the error reply failed too: %s", update_id, type(exc).__name__)


def register(app: App) -> None:
    app.add_error_handler(on_error)
