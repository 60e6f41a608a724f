"""What handlers need, typed: reached as `context.deps` instead of string keys and casts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.chatstate import ChatStates
from bot.config import Config
from bot.engine import LiveEngine
from bot.sync import KnowledgeSync
from handlers.counting import CountBuffer

_KEY = "deps"


@dataclass(slots=True)
class BotDeps:
    """The live engine (read `.current` once per update), config, per-chat memory and the store (optional)."""

    live: LiveEngine
    config: Config
    chats: ChatStates
    store: Any | None = None
    # True when the application opens the store in post_init and closes it at shutdown (run_bot).
    owns_store: bool = False
    # Rebuilds the live engine after a publish here or on another worker (built with the application).
    sync: KnowledgeSync | None = None
    # GET /healthz (handlers.health.HealthServer) in webhook mode with a health_port; started in post_init.
    health: Any | None = None
    # Usage counts and votes on their way to the store (never on the reply path).
    counts: CountBuffer = field(init=False)

    def __post_init__(self) -> None:
        self.counts = CountBuffer(lambda: self.store)


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with the typed dependencies and the update it was made for (to reply where it was said)."""

    current_update: Update | None = None

    @classmethod
    def from_update(cls, update: object, application: Any) -> Context:
        context = super().from_update(update, application)
        if isinstance(update, Update):
            context.current_update = update
        return context

    @property
    def deps(self) -> BotDeps:
        return deps_of(self.bot_data)

    def thread_of(self, chat_id: int) -> int | None:
        """The forum topic the update was said in, when a reply goes to that same chat; None elsewhere
        (private chats, groups without topics, "General")."""
        update = self.current_update
        if update is None or update.effective_chat is None or update.effective_chat.id != chat_id:
            return None
        message = update.effective_message
        if update.callback_query is not None and isinstance(update.callback_query.message, Message):
            message = update.callback_query.message
        if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
            return message.message_thread_id
        return None


CONTEXT_TYPES = ContextTypes(context=Context)
# The application as build_application makes it (what each feature's `register(app)` receives).
App = Application[Any, Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def install(bot_data: dict[Any, Any], deps: BotDeps) -> None:
    """Put the dependencies where `Context.deps` finds them (build_application does it once)."""
    bot_data[_KEY] = deps


def deps_of(bot_data: dict[Any, Any]) -> BotDeps:
    deps = bot_data.get(_KEY)
    if not isinstance(deps, BotDeps):
        raise RuntimeError("BotDeps missing: build the application with handlers.app.build_application")
    return deps
