"""/forget: delete what the Bot API lets us delete of this conversation and forget the chat's state.

To know what to delete, message ids (never text) of both directions are kept per chat in memory.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.i18n import N_, gettext
from handlers.buttons import ButtonHandler, acknowledge, exact
from handlers.deps import App, Context
from handlers.render import (
    chat_lang,
    chat_region,
    compose,
    deliver,
    edit_reply,
    keyboard,
    menu_buttons,
    send_reply,
)

log = logging.getLogger(__name__)

CONFIRM, CANCEL = "f:y", "f:n"
BATCH = 100  # deleteMessages takes at most 100 ids
# The Bot API deletes messages younger than 48 hours only; keep a margin for clock drift and slow batches.
DELETE_WINDOW = 48 * 3600.0 - 300.0
PROMPT = N_(
    "**Delete this conversation?**\n"
    "I'll delete the messages of this chat that Telegram lets me delete (those from the last 48 hours) "
    "and forget your region. Older messages stay until you delete the chat in Telegram."
)
CANCELLED = N_("Okay, nothing was deleted.")
DELETE_LABEL = N_("Delete conversation")
CANCEL_LABEL = N_("Cancel")
# The one message without a referral block: it is all that stays on a phone that may be checked, so it must
# not reveal what the conversation was about.
DONE = N_("Done.")
EXPIRED = N_("This button has expired. Send /forget again.")


async def remember_incoming(update: Update, context: Context) -> None:
    """Keep the id of every message a person sends in a private chat, so /forget can delete it."""
    context.deps.chats.remember_message(update.effective_chat.id, update.effective_message.message_id)


async def forget(update: Update, context: Context) -> None:
    """/forget: ask first; deleting is not undoable."""
    chat_id = update.effective_chat.id
    engine = context.deps.live.current
    lang = chat_lang(context, update)
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(gettext(lang, DELETE_LABEL), callback_data=CONFIRM)],
        [InlineKeyboardButton(gettext(lang, CANCEL_LABEL), callback_data=CANCEL)],
    ])
    reply = compose(engine, gettext(lang, PROMPT), chat_region(context, chat_id), lang=lang)
    sent = await send_reply(context, chat_id, reply, markup)
    context.deps.chats.set_pending_forget(chat_id, sent[-1].message_id)


async def delete_recent(context: Context, chat_id: int, why: str) -> int:
    """Delete the chat's remembered messages still within Telegram's 48 hours, in batches of 100 (deleteMessages'
    limit); a batch that fails is logged by kind and skipped. `why` names the caller in the log. Returns how many
    were deleted."""
    ids = context.deps.chats.recent_messages(chat_id, DELETE_WINDOW)
    failed = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        try:
            await context.bot.delete_messages(chat_id, batch)
        except TelegramError as exc:
            failed += len(batch)
            log.warning("%s: a batch of %d could not be deleted (%s)", why, len(batch), type(exc).__name__)
    log.info("%s: %d message(s) deleted, %d failed", why, len(ids) - failed, failed)
    return len(ids) - failed


async def confirm(update: Update, context: Context) -> None:
    """Delete in batches of 100, forget the chat, leave one neutral line."""
    query = update.callback_query
    chat_id = update.effective_chat.id
    chats = context.deps.chats
    lang = chat_lang(context, update)  # read before the chat's memory is dropped
    if query.message is None or chats.pop_pending_forget(chat_id) != query.message.message_id:
        await acknowledge(query, gettext(lang, EXPIRED))
        return
    await acknowledge(query)
    await delete_recent(context, chat_id, "forget")
    chats.forget(chat_id)
    await deliver(context, chat_id, gettext(lang, DONE), remember=False)  # not remembered: the chat's state is gone


async def cancel(update: Update, context: Context) -> None:
    query = update.callback_query
    await acknowledge(query)
    chat_id = update.effective_chat.id
    context.deps.chats.pop_pending_forget(chat_id)
    engine = context.deps.live.current
    lang = chat_lang(context, update)
    reply = compose(engine, gettext(lang, CANCELLED), chat_region(context, chat_id), menu_buttons(engine, lang),
                    lang=lang)
    await edit_reply(context, query.message, reply, keyboard(reply.buttons))


def register(app: App) -> None:
    # Group -1 runs before every feature and lets the update continue to them.
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, remember_incoming), group=-1
    )
    app.add_handler(CommandHandler("forget", forget, filters=filters.UpdateType.MESSAGE))
    app.add_handler(ButtonHandler(confirm, exact(CONFIRM)))
    app.add_handler(ButtonHandler(cancel, exact(CANCEL)))
