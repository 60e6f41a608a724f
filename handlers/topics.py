"""Browsing topics: categories → entries → an entry card, all in one message edited in place."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot.engine import Engine
from bot.i18n import N_, gettext
from bot.replies import Reply
from handlers.buttons import ID, ButtonHandler, acknowledge, exact
from handlers.deps import App, Context
from handlers.render import TOPICS, chat_lang, chat_region, compose, edit_reply, keyboard, send_reply

CATEGORY, ENTRY, MENU = "c:", "b:", "tc"
BACK = N_("◀ Back")
MENU_BODY = N_("**Browse topics**\nPick a subject:")
CATEGORY_BODY = N_("**{title}**\nPick a question:")


def menu(engine: Engine, region: str | None, lang: str | None = None) -> tuple[Reply, InlineKeyboardMarkup]:
    rows = [
        [InlineKeyboardButton(f"{engine.category_title(category, lang)} ({len(entries)})",
                              callback_data=f"{CATEGORY}{category}")]
        for category, entries in engine.topics().items()
    ]
    return compose(engine, gettext(lang, MENU_BODY), region, lang=lang), InlineKeyboardMarkup(rows)


async def topics(update: Update, context: Context) -> None:
    """/topics: the categories, as a new message."""
    chat_id = update.effective_chat.id
    reply, markup = menu(context.deps.live.current, chat_region(context, chat_id), chat_lang(context, update))
    await send_reply(context, chat_id, reply, markup)


async def topics_button(update: Update, context: Context) -> None:
    """A "Browse topics" button under a reply: the categories, as a new message (the reply stays)."""
    await acknowledge(update.callback_query)
    await topics(update, context)


async def back_to_menu(update: Update, context: Context) -> None:
    """◀ Back from a category: the categories, in place."""
    query = update.callback_query
    await acknowledge(query)
    reply, markup = menu(context.deps.live.current, chat_region(context, update.effective_chat.id),
                         chat_lang(context, update))
    await edit_reply(context, query.message, reply, markup)


async def category(update: Update, context: Context) -> None:
    """A category: its entries, in place."""
    query = update.callback_query
    await acknowledge(query)
    engine = context.deps.live.current
    region = chat_region(context, update.effective_chat.id)
    lang = chat_lang(context, update)
    name = query.data.removeprefix(CATEGORY)
    entries = engine.topics_in(lang).get(name)
    if not entries:  # gone since the button was drawn (knowledge was republished)
        reply, markup = menu(engine, region, lang)
        await edit_reply(context, query.message, reply, markup)
        return
    rows = [[InlineKeyboardButton(title, callback_data=f"{ENTRY}{entry_id}")] for entry_id, title in entries
            if len(f"{ENTRY}{entry_id}".encode()) <= 64]
    rows.append([InlineKeyboardButton(gettext(lang, BACK), callback_data=MENU)])
    reply = compose(engine, gettext(lang, CATEGORY_BODY).format(title=engine.category_title(name, lang)), region,
                    lang=lang)
    await edit_reply(context, query.message, reply, InlineKeyboardMarkup(rows))


async def entry(update: Update, context: Context) -> None:
    """An entry while browsing: its card, in place, with related topics and ◀ Back to its category."""
    query = update.callback_query
    await acknowledge(query)
    engine = context.deps.live.current
    entry_id = query.data.removeprefix(ENTRY)
    lang = chat_lang(context, update)
    reply = engine.entry_reply(entry_id, chat_region(context, update.effective_chat.id), lang)
    found = engine.knowledge.get(entry_id)
    back = f"{CATEGORY}{found.category}" if found else MENU
    extra = [[InlineKeyboardButton(gettext(lang, BACK), callback_data=back)]]
    markup = keyboard(reply.buttons, entry_prefix=ENTRY, extra=extra)
    await edit_reply(context, query.message, reply, markup)


def register(app: App) -> None:
    app.add_handler(CommandHandler("topics", topics, filters=filters.UpdateType.MESSAGE))
    app.add_handler(ButtonHandler(topics_button, exact(TOPICS)))
    app.add_handler(ButtonHandler(back_to_menu, exact(MENU)))
    app.add_handler(ButtonHandler(category, exact(CATEGORY) + ID))
    app.add_handler(ButtonHandler(entry, exact(ENTRY) + ID))
