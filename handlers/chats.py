"""Chat life events: a basic group upgraded to a supergroup takes its memory (region, discreet mode) to its new id.

Telegram announces the upgrade with two service messages, `migrate_to_chat_id` in the old chat and
`migrate_from_chat_id` in the new one (either may come first, or only one); a send to the old id answers 400 with
`migrate_to_chat_id`, which handlers.render.deliver follows.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import MessageHandler, filters

from handlers.deps import App, Context

log = logging.getLogger(__name__)

# Before every feature (and before forget's group -1), so the memory has moved before anything reads it.
GROUP = -2


async def migrated(update: Update, context: Context) -> None:
    """Move the chat's memory from the basic group's id to the supergroup's (python-telegram-bot's chat_data too)."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    if context.deps.chats.migrate(old, new):
        log.info("group %d became supergroup %d: its memory moved", old, new)
    context.application.drop_chat_data(old)


def register(app: App) -> None:
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated), group=GROUP)
