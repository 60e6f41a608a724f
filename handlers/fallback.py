"""What no feature handled: media and unknown commands get a kind reply (with the referral, as every reply);
stale buttons get their callback answered. Registered last."""

from __future__ import annotations

import dataclasses

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.i18n import N_, gettext
from handlers.buttons import acknowledge
from handlers.deps import App, Context
from handlers.render import chat_lang, chat_region, send_reply

UNKNOWN_COMMAND = N_("I don't know that command.")
STALE_BUTTON = N_("This button is no longer available.")

PRIVATE_MESSAGE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
# Stickers, photos, voice notes, documents, locations…: not text, not a service message. A caption is text.
NOT_TEXT = PRIVATE_MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL


async def not_text(update: Update, context: Context) -> None:
    """Answer a caption as a question; anything without words gets the engine's "send text" reply."""
    from handlers.conversation import respond

    chat_id = update.effective_chat.id
    caption = update.effective_message.caption or ""
    await send_reply(context, chat_id, respond(context, update, caption))


async def unknown_command(update: Update, context: Context) -> None:
    """A command awarebot doesn't have, in a private chat: what it can do instead."""
    chat_id = update.effective_chat.id
    lang = chat_lang(context, update)
    reply = context.deps.live.current.help_reply(chat_region(context, chat_id), lang)
    body = f"{gettext(lang, UNKNOWN_COMMAND)}\n\n{reply.body}"
    await send_reply(context, chat_id, dataclasses.replace(reply, body=body))


async def stale_button(update: Update, context: Context) -> None:
    """A button no handler knows (an old message, an older version): answer it so the spinner stops."""
    await acknowledge(update.callback_query, gettext(chat_lang(context, update), STALE_BUTTON))


def register(app: App) -> None:
    app.add_handler(MessageHandler(NOT_TEXT, not_text))
    app.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))
