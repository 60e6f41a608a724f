"""Talking with awarebot: /start (and its deep links), /help, /hotline, /privacy and questions in own words."""

from __future__ import annotations

import dataclasses

from telegram import InlineKeyboardButton, Message, MessageEntity, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.i18n import N_, gettext
from bot.replies import Reply, ReplyKind
from handlers import region as region_feature
from handlers.buttons import ID, ButtonHandler, acknowledge, exact
from handlers.deps import App, Context
from handlers.render import (
    ENTRY,
    HELP,
    HOTLINE,
    URGENT,
    chat_lang,
    chat_region,
    compose,
    keyboard,
    send_reply,
    user_language,
)

# Said on Telegram only: what the platform keeps and how to clear it (the rest is the bot-privacy entry).
PRIVACY_ENTRY = "bot-privacy"
PRIVACY_TELEGRAM = N_(
    "**On Telegram:** Telegram's own servers keep this chat until you delete it (see telegram.org/privacy).\n"
    "**To remove this conversation:** send /forget (I delete the messages I'm allowed to, from the last "
    "48 hours, and forget your region), or delete the chat in Telegram."
)
PRIVACY_FALLBACK = N_(
    "**What this bot keeps about you**\n"
    "• Nothing personal: your messages are answered and not stored, and what you type is never logged.\n"
    "• Your region and language, if you choose them, only in memory, for at most 48 hours.\n"
    "• Anonymous counts only: which topics were shown, never who asked."
)
# t.me/<bot>?start=hotline | region | lang-xx | <entry id>
DEEP_LINK_HOTLINE, DEEP_LINK_REGION, DEEP_LINK_LANGUAGE = "hotline", "region", "lang-"
PRIVATE_CHAT_LABEL = N_("Talk to me privately")


async def start(update: Update, context: Context) -> None:
    """Welcome with a region prompt, or what a deep link (t.me/<bot>?start=<payload>) asks for."""
    chat_id = update.effective_chat.id
    engine = context.deps.live.current
    region = chat_region(context, chat_id)
    payload = context.args[0] if context.args else ""
    if payload.startswith(DEEP_LINK_LANGUAGE) and payload.removeprefix(DEEP_LINK_LANGUAGE) in engine.languages():
        context.deps.chats.set_language(chat_id, payload.removeprefix(DEEP_LINK_LANGUAGE))
        payload = ""
    lang = chat_lang(context, update)
    if payload == DEEP_LINK_HOTLINE:
        await send_reply(context, chat_id, engine.hotline_reply(region, lang))
    elif payload == DEEP_LINK_REGION:
        await region_feature.send_picker(context, chat_id, lang)
    elif payload in engine.knowledge.entries:
        await send_reply(context, chat_id, engine.entry_reply(payload, region, lang))
    elif region is None:
        await send_reply(context, chat_id, engine.welcome_reply(region, lang),
                         region_feature.picker_markup(engine, 0, lang))
    else:
        await send_reply(context, chat_id, engine.welcome_reply(region, lang))


async def help_command(update: Update, context: Context) -> None:
    """What awarebot can do."""
    chat_id = update.effective_chat.id
    reply = context.deps.live.current.help_reply(chat_region(context, chat_id), chat_lang(context, update))
    await send_reply(context, chat_id, reply)


async def hotline(update: Update, context: Context) -> None:
    """The full referral card of the region named in `/hotline GB` (a code, alias or country name), else of the
    chat's region. The argument shows that card once; it does not change the chat's region."""
    chat_id = update.effective_chat.id
    engine = context.deps.live.current
    asked = engine.referrals.lookup(" ".join(context.args)) if context.args else None
    await send_reply(context, chat_id, engine.hotline_reply(asked or chat_region(context, chat_id),
                                                            chat_lang(context, update)))


async def privacy(update: Update, context: Context) -> None:
    """What is kept, what Telegram keeps, how to remove the conversation."""
    chat_id = update.effective_chat.id
    engine = context.deps.live.current
    region = chat_region(context, chat_id)
    lang = chat_lang(context, update)
    if PRIVACY_ENTRY in engine.knowledge.entries:  # moderators keep this entry up to date
        reply = engine.entry_reply(PRIVACY_ENTRY, region, lang)
    else:
        reply = compose(engine, gettext(lang, PRIVACY_FALLBACK), region, lang=lang)
    body = f"{reply.body}\n\n{gettext(lang, PRIVACY_TELEGRAM)}"
    await send_reply(context, chat_id, dataclasses.replace(reply, body=body))


async def ask(update: Update, context: Context) -> None:
    """A question in own words, in a private chat."""
    chat_id = update.effective_chat.id
    reply = respond(context, update, said(update.effective_message))
    await send_reply(context, chat_id, reply)


def respond(context: Context, update: Update, text: str) -> Reply:
    """The engine's reply to `text` in this chat (region and language priors); the reply's language becomes the
    chat's language (memory only, like the region)."""
    chat_id = update.effective_chat.id
    reply = context.deps.live.current.respond(
        text, chat_region(context, chat_id), chat_lang(context, update), user_language=user_language(update)
    )
    context.deps.chats.set_language(chat_id, reply.lang)
    return reply


async def ask_in_group(update: Update, context: Context) -> None:
    """A question addressed to the bot in a group: answered without quoting it; urgent → also a private door."""
    chat_id = update.effective_chat.id
    text = _without_mentions(update.effective_message, context.bot.username)  # type: ignore[arg-type]
    reply = respond(context, update, text)
    extra = None
    if reply.kind is ReplyKind.URGENT:
        link = f"https://t.me/{context.bot.username}?start={DEEP_LINK_HOTLINE}"
        extra = [[InlineKeyboardButton(gettext(reply.lang, PRIVATE_CHAT_LABEL), url=link)]]
    await send_reply(context, chat_id, reply, keyboard(reply.buttons, extra=extra))


async def entry_button(update: Update, context: Context) -> None:
    """A "Did you mean…" or related-topic button: that entry's card as a new message."""
    query = update.callback_query
    await acknowledge(query)
    chat_id = update.effective_chat.id
    entry_id = query.data.removeprefix(ENTRY)
    reply = context.deps.live.current.entry_reply(entry_id, chat_region(context, chat_id), chat_lang(context, update))
    await send_reply(context, chat_id, reply)


async def hotline_button(update: Update, context: Context) -> None:
    """The Hotline button: the full referral card."""
    await acknowledge(update.callback_query)
    await hotline(update, context)


async def urgent_button(update: Update, context: Context) -> None:
    """"I need help now" under an unsure reply: the urgent card."""
    await acknowledge(update.callback_query)
    chat_id = update.effective_chat.id
    reply = context.deps.live.current.urgent_reply(chat_region(context, chat_id), chat_lang(context, update))
    await send_reply(context, chat_id, reply)


async def help_button(update: Update, context: Context) -> None:
    await acknowledge(update.callback_query)
    await help_command(update, context)


def said(message: Message | None) -> str:
    """What a person wrote: the text, or a photo's or document's caption (a caption is text wherever text is);
    "" without a message."""
    if message is None:
        return ""
    return message.text or message.caption or ""


def _mentions(message: Message, kinds: list[str | None]) -> dict[MessageEntity, str]:
    if message.text is None and message.caption is not None:
        return message.parse_caption_entities(kinds)
    return message.parse_entities(kinds)


def _without_mentions(message: Message, username: str) -> str:
    """The question without "@bot" in it."""
    text = said(message)
    for value in _mentions(message, [MessageEntity.MENTION]).values():
        if value[1:].lower() == username.lower():
            text = text.replace(value, " ")
    return text.strip()


class _AddressedToBot(filters.MessageFilter):
    """A group message that mentions the bot (@username) or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        for entity, value in _mentions(message, [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
            if entity.type == MessageEntity.MENTION and value[1:].lower() == (bot.username or "").lower():
                return True
            if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
                return True
        return False


NEW_MESSAGE = filters.UpdateType.MESSAGE  # edited messages and channel posts are ignored on purpose
PRIVATE_TEXT = filters.ChatType.PRIVATE & NEW_MESSAGE & filters.TEXT & ~filters.COMMAND
GROUP_TEXT_TO_BOT = (
    filters.ChatType.GROUPS & NEW_MESSAGE & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND & _AddressedToBot()
)


def register(app: App) -> None:
    app.add_handler(CommandHandler("start", start, filters=NEW_MESSAGE))
    app.add_handler(CommandHandler("help", help_command, filters=NEW_MESSAGE))
    app.add_handler(CommandHandler("hotline", hotline, filters=NEW_MESSAGE))
    app.add_handler(CommandHandler("privacy", privacy, filters=NEW_MESSAGE))
    app.add_handler(MessageHandler(PRIVATE_TEXT, ask))
    app.add_handler(MessageHandler(GROUP_TEXT_TO_BOT, ask_in_group))
    app.add_handler(ButtonHandler(entry_button, exact(ENTRY) + ID))
    app.add_handler(ButtonHandler(hotline_button, exact(HOTLINE)))
    app.add_handler(ButtonHandler(help_button, exact(HELP)))
    app.add_handler(ButtonHandler(urgent_button, exact(URGENT)))
