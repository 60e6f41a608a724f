"""The one error handler: log what failed (never what was said), then answer kindly, with the referral.

Telegram's own answers are not bugs and are not met with an error reply:
* 403 Forbidden (the person blocked the bot, or it was removed from the group): one quiet record of the kind, and
  everything remembered about the chat is dropped; nothing more is sent there.
* RetryAfter past the flood deadline (handlers.delivery.PatientRateLimiter): an error reply would meet the same
  limit and could only replace the answer; one warning, nothing sent.
"""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, RetryAfter

from handlers.buttons import acknowledge
from handlers.deps import App, Context
from handlers.render import chat_lang, chat_region, send_reply

log = logging.getLogger(__name__)


def where(error: BaseException) -> str:
    """Where it was raised: file:line in function, innermost last; no values, no messages."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in reversed(frames))


def forget_chat(context: Context, chat_id: int) -> None:
    """Drop what awarebot and python-telegram-bot remember of a chat that can no longer be reached."""
    context.deps.chats.forget(chat_id)
    context.application.drop_chat_data(chat_id)


async def on_error(update: object, context: Context) -> None:
    """Log the error's type and the update id, then send the error reply where there is someone to tell."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("update %s: the chat can no longer be reached (%s); its memory is dropped",
                 update_id, _forbidden_kind(error))
        if chat is not None:
            forget_chat(context, chat.id)
        return
    if isinstance(error, RetryAfter):
        log.warning("update %s: flood limit outlasted the deadline; nothing sent", update_id)
        return
    log.error("update %s failed: %s at %s", update_id, type(error).__name__, where(error) if error else "?")
    if not isinstance(update, Update):
        return
    if update.callback_query is not None:
        await acknowledge(update.callback_query)  # stops the spinner if nothing did (refused when already answered)
    if chat is None or chat.type == ChatType.CHANNEL or update.edited_message is not None:
        return
    try:
        reply = context.deps.live.current.error_reply(chat_region(context, chat.id), chat_lang(context, update))
        await send_reply(context, chat.id, reply)
    except Forbidden:
        forget_chat(context, chat.id)
    except Exception as exc:  # the error handler must not raise; PTB would only log it again
        log.warning("update %s: the error reply failed too: %s", update_id, type(exc).__name__)


def _forbidden_kind(error: Forbidden) -> str:
    """Telegram's documented reasons, as a kind (the description itself is never logged)."""
    text = error.message.lower()
    for kind in ("blocked", "kicked", "deactivated", "not a member"):
        if kind in text:
            return kind
    return "forbidden"


def register(app: App) -> None:
    app.add_error_handler(on_error)
