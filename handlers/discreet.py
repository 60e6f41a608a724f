"""Discreet use, for a person whose phone may be checked.

* `/discreet` (or the "Discreet mode" button under an urgent reply): for as long as the chat is remembered
  (bot.chatstate's TTL), replies come without sound (`disable_notification`), with `protect_content` (they can't be
  forwarded or saved), and start with a neutral lead instead of the topic (handlers.render.discreet_lead).
  `/discreet off` turns it off.
* Quick exit, `/exit` or the "Leave now" button under an urgent reply: at once and without asking, delete every
  message of the conversation the bot may delete (its own, and in a private chat the person's, from the last 48
  hours), forget the chat, and say nothing that names the topic. In a group only the bot's message carrying the
  button is deleted: the rest of a group is not one person's to wipe.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.i18n import N_, gettext
from handlers.buttons import ButtonHandler, acknowledge, exact
from handlers.deps import App, Context
from handlers.errors import forget_chat
from handlers.forget import delete_recent
from handlers.render import DISCREET, LEAVE, chat_lang, chat_region, compose, deliver, send_reply

log = logging.getLogger(__name__)

OFF = "off"
DISCREET_ON = N_(
    "**Discreet mode is on.** My replies now come without sound, can't be forwarded or saved, and start with "
    "words that don't say what this chat is about. It lasts while I remember this chat (48 hours at most).\n"
    "Send /exit or tap **Leave now** to delete this conversation at once. Send /discreet off to end it."
)
DISCREET_OFF = N_("Discreet mode is off.")
# The only word after a quick exit: a toast on the tapped button, never a message, naming nothing.
LEFT = N_("Done.")
EXIT_PRIVATE_ONLY = N_("This works in a private chat with me.")


async def discreet(update: Update, context: Context) -> None:
    """/discreet [off]."""
    chat_id = update.effective_chat.id
    on = not (context.args and context.args[0].strip().lower() == OFF)
    await _set(context, chat_id, on, chat_lang(context, update))


async def discreet_button(update: Update, context: Context) -> None:
    """"Discreet mode" under an urgent reply."""
    await acknowledge(update.callback_query)
    await _set(context, update.effective_chat.id, True, chat_lang(context, update))


async def _set(context: Context, chat_id: int, on: bool, lang: str) -> None:
    context.deps.chats.set_discreet(chat_id, on)
    engine = context.deps.live.current
    body = gettext(lang, DISCREET_ON if on else DISCREET_OFF)
    await send_reply(context, chat_id, compose(engine, body, chat_region(context, chat_id), lang=lang), served=False)


async def exit_command(update: Update, context: Context) -> None:
    """/exit: the quick exit. In a group it only explains where it works (in neutral words)."""
    chat = update.effective_chat
    if chat.type != ChatType.PRIVATE:
        await deliver(context, chat.id, gettext(chat_lang(context, update), EXIT_PRIVATE_ONLY), remember=True)
        return
    await leave(context, chat.id)


async def leave_button(update: Update, context: Context) -> None:
    """"Leave now": the quick exit from under an urgent reply."""
    query = update.callback_query
    await acknowledge(query, gettext(chat_lang(context, update), LEFT))
    chat = update.effective_chat
    if chat.type == ChatType.PRIVATE:
        await leave(context, chat.id)
    elif isinstance(query.message, Message):
        try:
            await query.message.delete()
        except TelegramError as exc:
            log.info("quick exit: the group message could not be deleted (%s)", type(exc).__name__)


async def leave(context: Context, chat_id: int) -> None:
    """Delete every remembered message of the private chat still within Telegram's 48 hours, then forget it."""
    await delete_recent(context, chat_id, "quick exit")
    forget_chat(context, chat_id)


def register(app: App) -> None:
    new_message = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("discreet", discreet, filters=new_message))
    app.add_handler(CommandHandler("exit", exit_command, filters=new_message))
    app.add_handler(ButtonHandler(discreet_button, exact(DISCREET)))
    app.add_handler(ButtonHandler(leave_button, exact(LEAVE)))
