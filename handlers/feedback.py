"""Was this helpful? 👍 👎 under answers, and count-only usage stats of the replies sent.

Only curated entry ids, the UTC day and the vote reach the database: never who voted or asked, never what
anyone wrote. Without a database there is no vote row and nothing is counted; people are answered all the same.
render.send_reply / edit_reply call `with_votes` and `count`; this module must not import render (cycle).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application

from bot.i18n import N_, gettext
from bot.replies import Reply, ReplyKind
from bot.usage import stats_event
from handlers.buttons import ID, ButtonHandler, acknowledge, exact
from handlers.deps import Context

log = logging.getLogger(__name__)

UP, DOWN = "v:u:", "v:d:"
PREFIX = "v:"
UP_LABEL, DOWN_LABEL = N_("👍 Helpful"), N_("👎 Not really")
THANKS = N_("Thank you. Only the vote is counted, not who sent it.")


def vote_row(context: Context, reply: Reply) -> list[InlineKeyboardButton] | None:
    """The 👍 / 👎 buttons for an answer, or None (not an answer, no database, an id too long for a button)."""
    if reply.kind is not ReplyKind.ANSWER or not reply.entry_id or context.deps.store is None:
        return None
    up, down = f"{UP}{reply.entry_id}", f"{DOWN}{reply.entry_id}"
    if len(up.encode()) > 64:
        return None
    return [InlineKeyboardButton(gettext(reply.lang, UP_LABEL), callback_data=up),
            InlineKeyboardButton(gettext(reply.lang, DOWN_LABEL), callback_data=down)]


def with_votes(context: Context, reply: Reply, markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The reply's keyboard with the vote row added at the bottom (when it gets one)."""
    row = vote_row(context, reply)
    if row is None:
        return markup
    rows = [list(r) for r in markup.inline_keyboard] if markup is not None else []
    return InlineKeyboardMarkup([*rows, row])


def count(context: Context, reply: Reply) -> None:
    """Count the event a sent reply stands for, off the reply path (handlers.counting): never waits, never fails."""
    event = stats_event(reply)
    if event is None:
        return
    name, entry_id = event

    async def write(store: Any) -> None:
        await store.count_event(name, entry_id)

    context.deps.counts.add(write)


async def vote(update: Update, context: Context) -> None:
    """👍 or 👎: count it for the entry, thank, and take the row away (one vote per answer)."""
    query = update.callback_query
    data = query.data or ""
    entry_id = data[len(UP):]
    message = query.message
    first = message is not None and context.deps.chats.first_vote(message.chat.id, message.message_id)
    if first and entry_id in context.deps.live.current.knowledge.entries:
        up = data.startswith(UP)

        async def write(store: Any) -> None:
            await store.record_vote(entry_id, up)

        context.deps.counts.add(write)
    from handlers.render import chat_lang

    await acknowledge(query, gettext(chat_lang(context, update), THANKS))
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        rows = [
            [b for b in row if not str(b.callback_data or "").startswith(PREFIX)]
            for row in message.reply_markup.inline_keyboard
        ]
        kept = [row for row in rows if row]
        try:
            await message.edit_reply_markup(InlineKeyboardMarkup(kept) if kept else None)
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise


def register(app: Application) -> None:
    app.add_handler(ButtonHandler(vote, f"(?:{exact(UP)}|{exact(DOWN)}){ID}"))
