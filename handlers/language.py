"""Choosing the language: /language (or the Language button under the welcome and help) lists every language
awarebot speaks by its own name; the choice is kept in the chat's memory like the region (memory only, same TTL)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot.engine import Engine
from bot.i18n import N_, gettext, native_name, normalize_code
from handlers.buttons import ButtonHandler, acknowledge, exact
from handlers.deps import App, Context
from handlers.render import (
    LANGUAGE,
    LANGUAGE_PICKER,
    chat_lang,
    chat_region,
    compose,
    edit_reply,
    keyboard,
    menu_buttons,
    send_reply,
)

PICK = N_("**Choose your language.** You can also just write in your language and I will answer in it.")
SET_DONE = N_("**Language set: {name}.** I will answer in this language.")
UNKNOWN = N_("I don't speak that language yet. Please choose one of these:")


def picker_markup(engine: Engine) -> InlineKeyboardMarkup:
    """Every language by its own name, two per row."""
    buttons = [InlineKeyboardButton(native_name(code), callback_data=f"{LANGUAGE}{code}") for code in engine.languages()]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


async def send_picker(context: Context, update: Update, intro: str = PICK) -> None:
    chat_id = update.effective_chat.id
    engine = context.deps.live.current
    lang = chat_lang(context, update)
    reply = compose(engine, gettext(lang, intro), chat_region(context, chat_id), lang=lang)
    await send_reply(context, chat_id, reply, picker_markup(engine))


async def language_command(update: Update, context: Context) -> None:
    """/language: the picker; /language xx: set it directly."""
    if not context.args:
        await send_picker(context, update)
        return
    engine = context.deps.live.current
    code = normalize_code(context.args[0])
    if code not in engine.languages():
        await send_picker(context, update, UNKNOWN)
        return
    chat_id = update.effective_chat.id
    context.deps.chats.set_language(chat_id, code)
    reply = compose(engine, gettext(code, SET_DONE).format(name=native_name(str(code))), chat_region(context, chat_id),
                    menu_buttons(engine, code), lang=code)
    await send_reply(context, chat_id, reply)


async def picker_button(update: Update, context: Context) -> None:
    """The Language button: a new picker message."""
    await acknowledge(update.callback_query)
    await send_picker(context, update)


async def choose(update: Update, context: Context) -> None:
    """A language tapped: remember it and confirm in place, in that language."""
    query = update.callback_query
    engine = context.deps.live.current
    code = query.data.removeprefix(LANGUAGE)
    await acknowledge(query)
    if code not in engine.languages():
        await send_picker(context, update, UNKNOWN)
        return
    chat_id = update.effective_chat.id
    context.deps.chats.set_language(chat_id, code)
    reply = compose(engine, gettext(code, SET_DONE).format(name=native_name(code)), chat_region(context, chat_id),
                    menu_buttons(engine, code), lang=code)
    await edit_reply(context, query.message, reply, keyboard(reply.buttons))


def register(app: App) -> None:
    app.add_handler(CommandHandler("language", language_command, filters=filters.UpdateType.MESSAGE))
    app.add_handler(ButtonHandler(picker_button, exact(LANGUAGE_PICKER)))
    app.add_handler(ButtonHandler(choose, exact(LANGUAGE) + "[a-z]{2,3}"))
