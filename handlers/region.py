"""Choosing a region: every later reply in the chat carries that region's numbers (kept in memory only)."""

from __future__ import annotations

import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot.engine import Engine
from bot.i18n import N_, gettext
from bot.referrals import region_name
from bot.text import ascii_number
from handlers.buttons import PAGE_NUMBER, REGION_CODE, ButtonHandler, acknowledge, exact
from handlers.deps import App, Context
from handlers.render import (
    REGION_PICKER,
    chat_lang,
    chat_region,
    compose,
    edit_markup,
    edit_reply,
    keyboard,
    menu_buttons,
    send_reply,
)

EU, INTL = "EU", "INTL"
PAGE_SIZE = 8
PAGE, SET, SKIP = "r:", "s:", "x"

PICK = N_("**Choose your region** for local emergency numbers and hotlines.\nNow showing: {name}.")
SET_DONE = N_("**Region set: {name}.**\nEvery answer in this chat now shows help for {name}.")
SET_FALLBACK = N_(
    "**Region set: {name}.**\nI don't have local numbers for that country yet, so answers show {name} help."
)
REGION_GONE = N_("That region is no longer listed. Please pick again.")
SKIP_LABEL = N_("Skip")
UNKNOWN = N_(
    "I don't know that region code. Send /region to pick from the list, or /region followed by a two-letter "
    "country code, for example /region {example}."
)


def picker_markup(engine: Engine, page: int, lang: str | None = None) -> InlineKeyboardMarkup:
    """Regions two per row, ◀ ▶ between pages of eight, and Skip."""
    regions = engine.referrals.regions()
    pages = max(1, math.ceil(len(regions) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = regions[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    buttons = [InlineKeyboardButton(region_name(r, lang), callback_data=f"{SET}{r.code}") for r in shown]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"{PAGE}{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=f"{PAGE}{page + 1}"))
    rows += [nav] if nav else []
    rows.append([InlineKeyboardButton(gettext(lang, SKIP_LABEL), callback_data=SKIP)])
    return InlineKeyboardMarkup(rows)


async def send_picker(context: Context, chat_id: int, lang: str | None = None) -> None:
    engine = context.deps.live.current
    region = chat_region(context, chat_id)
    body = gettext(lang, PICK).format(name=region_name(engine.referrals.get(region or engine.default_region), lang))
    await send_reply(context, chat_id, compose(engine, body, region, lang=lang), picker_markup(engine, 0, lang))


async def region_command(update: Update, context: Context) -> None:
    """/region: the picker; /region CC (or a listed country's name, e.g. /region united kingdom): set it directly."""
    chat_id = update.effective_chat.id
    lang = chat_lang(context, update)
    if not context.args:
        await send_picker(context, chat_id, lang)
        return
    engine = context.deps.live.current
    code = engine.referrals.lookup(" ".join(context.args))
    if code is None:
        example = next((c for c in engine.referrals.codes() if len(c) == 2), "GB")
        reply = compose(engine, gettext(lang, UNKNOWN).format(example=example), chat_region(context, chat_id),
                        menu_buttons(engine, lang), lang=lang)
        await send_reply(context, chat_id, reply)
        return
    context.deps.chats.set_region(chat_id, code)
    # An unlisted country is served by EU or INTL: say so rather than pretend to have its numbers.
    fell_back = code in (EU, INTL) and context.args[0].strip().upper() != code
    template = gettext(lang, SET_FALLBACK if fell_back else SET_DONE)
    reply = compose(engine, template.format(name=region_name(engine.referrals.get(code), lang)), code,
                    menu_buttons(engine, lang), lang=lang)
    await send_reply(context, chat_id, reply)


async def picker_button(update: Update, context: Context) -> None:
    """The "Choose region" button: a new picker message."""
    await acknowledge(update.callback_query)
    await send_picker(context, update.effective_chat.id, chat_lang(context, update))


async def turn_page(update: Update, context: Context) -> None:
    """◀ / ▶: the same message shows another page."""
    query = update.callback_query
    await acknowledge(query)
    page = ascii_number(query.data.removeprefix(PAGE)) or 0
    await edit_markup(query.message, picker_markup(context.deps.live.current, page, chat_lang(context, update)))


async def choose(update: Update, context: Context) -> None:
    """A region tapped: remember it and confirm in place, with the new region's numbers."""
    query = update.callback_query
    engine = context.deps.live.current
    code = query.data.removeprefix(SET)
    lang = chat_lang(context, update)
    if code not in engine.referrals:
        await acknowledge(query, gettext(lang, REGION_GONE))
        await edit_markup(query.message, picker_markup(engine, 0, lang))
        return
    await acknowledge(query)
    context.deps.chats.set_region(update.effective_chat.id, code)
    name = region_name(engine.referrals.get(code), lang)
    reply = compose(engine, gettext(lang, SET_DONE).format(name=name), code, menu_buttons(engine, lang), lang=lang)
    await edit_reply(context, query.message, reply, keyboard(reply.buttons))


async def skip(update: Update, context: Context) -> None:
    """Skip: the picker gives way to the usual menu; the default region stays."""
    query = update.callback_query
    await acknowledge(query)
    await edit_markup(query.message, keyboard(menu_buttons(context.deps.live.current, chat_lang(context, update))))


def register(app: App) -> None:
    app.add_handler(CommandHandler("region", region_command, filters=filters.UpdateType.MESSAGE))
    app.add_handler(ButtonHandler(picker_button, exact(REGION_PICKER)))
    app.add_handler(ButtonHandler(turn_page, exact(PAGE) + PAGE_NUMBER))
    app.add_handler(ButtonHandler(choose, exact(SET) + REGION_CODE))
    app.add_handler(ButtonHandler(skip, exact(SKIP)))
