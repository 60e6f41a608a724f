"""What handlers need, typed: reached as `context.deps` instead of string keys and casts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.chatstate import ChatStates
from bot.config import Config
from bot.engine import LiveEngine
from bot.sync import KnowledgeSync

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


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with the typed dependencies."""

    @property
    def deps(self) -> BotDeps:
        return deps_of(self.bot_data)


CONTEXT_TYPES = ContextTypes(context=Context)
# The application as build_application makes it (what each feature's `register(app)` receives).
App = Application[ExtBot[None], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def install(bot_data: dict[Any, Any], deps: BotDeps) -> None:
    """Put the dependencies where `Context.deps` finds them (build_application does it once)."""
    bot_data[_KEY] = deps


def deps_of(bot_data: dict[Any, Any]) -> BotDeps:
    deps = bot_data.get(_KEY)
    if not isinstance(deps, BotDeps):
        raise RuntimeError("BotDeps missing: build the application with handlers.app.build_application")
    return deps
