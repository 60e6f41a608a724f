"""Several workers: each update is handled with the chat memory all workers share (bot.sharedchats.SharedChats).

`SharedChatProcessor` is the application's update processor (ChatOrderedProcessor: one chat's updates in order)
with the chat's shared state loaded from Redis before the handlers run and saved after, inside the chat's turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update

from handlers.delivery import ChatOrderedProcessor, UpdateLedger


def chat_ids(update: object) -> list[int]:
    """The chats whose memory this update reads or writes: its chat (an inline query: the asker's private chat,
    whose region it uses), and the supergroup a group migrates to."""
    if not isinstance(update, Update):
        return []
    ids: list[int] = []
    if update.effective_chat is not None:
        ids.append(update.effective_chat.id)
    elif update.inline_query is not None:
        ids.append(update.inline_query.from_user.id)
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        ids.append(int(message.migrate_to_chat_id))
    return ids


class SharedChatProcessor(ChatOrderedProcessor):
    """ChatOrderedProcessor that loads the update's chats from Redis before handling and saves them after."""

    def __init__(self, ledger: UpdateLedger, shared: Any, **kwargs: Any) -> None:
        super().__init__(ledger, **kwargs)
        self.shared = shared

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        ids = chat_ids(update)
        if not ids:
            await super().do_process_update(update, coroutine)
            return

        async def around() -> None:
            started = False
            try:
                for chat_id in ids:
                    await self.shared.load(chat_id)
                started = True
                await coroutine
            finally:
                if not started and isinstance(coroutine, Coroutine):
                    coroutine.close()
                if started:
                    for chat_id in ids:
                        await self.shared.save(chat_id)

        await super().do_process_update(update, around())
