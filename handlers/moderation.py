"""Moderator commands (/kb…, /referral_edit) in a private chat: updates → handlers.kbchat → Bot API calls.

Who may use them is decided at registration (a user filter built from the config); everyone else gets a polite
refusal and nothing changes. What a moderator is drafting lives in handlers.kbchat's in-memory sessions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.config import Role
from bot.replies import Button
from bot.text import ascii_number
from handlers.buttons import ButtonHandler, acknowledge, exact
from handlers.deps import Context, deps_of
from handlers.kbchat import ACTION, APPROVE, LIST, REJECT, SHOW, Moderation, Say
from handlers.render import chat_region, compose, edit_markup, edit_reply, send_reply

log = logging.getLogger(__name__)

_KEY = "moderation"
PREFIX = "m:"  # callback data: "m:" + the action after "mod:"
PRIVATE_ONLY = "Moderator commands work only in a private chat with me."
# /kb_stats waits at most this long (seconds) for buffered counts to reach the store.
STATS_DRAIN_TIMEOUT = 2.0
# The user id given to the service for a message without a sender (never a moderator's: Telegram ids are positive).
ANONYMOUS = 0

# Shown in the command menu of moderators' own chats only (BotCommandScopeChat); the public menu stays as is.
EDITOR_COMMANDS = (
    ("kb", "Moderation menu"),
    ("kb_list", "Browse or search entries"),
    ("kb_show", "Show an entry: /kb_show ID"),
    ("kb_edit", "Change an answer: /kb_edit ID [LANG]"),
    ("kb_phrase", "Add or remove a phrasing: /kb_phrase ID [LANG] + text"),
    ("kb_examples", "Training examples: /kb_examples en urgent + text"),
    ("kb_new", "A new entry, step by step"),
    ("referral_edit", "A region's numbers: /referral_edit CC"),
    ("kb_history", "Revisions of an entry or region"),
    ("kb_pending", "Changes waiting for review"),
    ("kb_stale", "What is due for a re-check"),
    ("kb_stats", "Counts: served, votes, fallbacks, urgent"),
    ("kb_cancel", "Drop the current draft"),
)
REVIEWER_COMMANDS = (*EDITOR_COMMANDS, ("kb_revert", "Bring back a revision: /kb_revert ID REV"))
ALL_COMMANDS = tuple(name for name, _ in REVIEWER_COMMANDS)


def service_of(context: Context) -> Moderation:
    """The moderators' conversation registered for this application; RuntimeError when it was not registered."""
    service = context.bot_data.get(_KEY)
    if not isinstance(service, Moderation):
        raise RuntimeError("moderation is not registered: build the application with handlers.app")
    return service


# -- translating -------------------------------------------------------------------------------------------------


# Telegram's limit for callback data (Bot API: InlineKeyboardButton.callback_data, 1-64 bytes).
MAX_CALLBACK_BYTES = 64


def callback_data(action: str) -> str | None:
    """The callback data of a conversation action ("mod:publish" → "m:publish"), or None when it would exceed
    Telegram's 64 bytes (such a button is left out rather than sent and refused)."""
    data = PREFIX + action.removeprefix(ACTION)
    return data if len(data.encode()) <= MAX_CALLBACK_BYTES else None


def markup(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Short labels two to a row, long ones (entry titles, region fields) alone."""
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        data = callback_data(button.action)
        if data is None:
            continue
        key = InlineKeyboardButton(button.label, callback_data=data)
        if rows and len(rows[-1]) == 1 and len(button.label) <= 20 and len(rows[-1][0].text) <= 20:
            rows[-1].append(key)
        else:
            rows.append([key])
    return InlineKeyboardMarkup(rows) if rows else None


def light_markup(message: Message | None) -> str:
    """The text a moderator sent, with Telegram bold turned back into the knowledge's **bold**."""
    if message is None:
        return ""
    text = message.text or ""
    bold = sorted((e for e in message.entities or () if e.type == MessageEntity.BOLD), key=lambda e: e.offset)
    if not bold:
        return text
    units = text.encode("utf-16-le")  # entity offsets count UTF-16 code units

    def cut(start: int, end: int) -> str:
        return units[start * 2:end * 2].decode("utf-16-le")

    out, position = [], 0
    for entity in bold:
        if entity.offset < position:
            continue
        end = entity.offset + entity.length
        out += [cut(position, entity.offset), "**", cut(entity.offset, end), "**"]
        position = end
    out.append(cut(position, len(units) // 2))
    return "".join(out)


async def tell(context: Context, chat_id: int, said: Say) -> None:
    """The preview (exactly as people see it: not counted, no vote row), then the body with its buttons."""
    engine = context.deps.live.current
    region = chat_region(context, chat_id)
    if said.preview is not None:
        await send_reply(context, chat_id, said.preview, served=False)
    await send_reply(context, chat_id, compose(engine, said.body, region), markup(said.buttons))
    await notify(context, said)


async def notify(context: Context, said: Say) -> None:
    """Messages for other moderators; one who never opened a chat with the bot can't be reached, and that's fine."""
    engine = context.deps.live.current
    for notice in said.notices:
        try:
            await send_reply(context, notice.user_id, compose(engine, notice.body, None))
        except TelegramError as exc:
            log.warning("could not notify moderator %d: %s", notice.user_id, type(exc).__name__)


def _args(update: Update, parts: int) -> list[str]:
    """The command's arguments from the message text, the last one keeping its spaces and line breaks."""
    text = update.effective_message.text or ""
    return text.split(maxsplit=parts)[1:]


# -- commands ----------------------------------------------------------------------------------------------------


async def menu(update: Update, context: Context) -> None:
    """/kb: what moderators can do, and whether editing is available."""
    await tell(context, update.effective_chat.id, await service_of(context).menu(update.effective_user.id))


async def list_entries(update: Update, context: Context) -> None:
    """/kb_list [word]: entries as buttons, a page at a time."""
    word = " ".join(context.args or ())
    said = await service_of(context).list_entries(update.effective_user.id, word)
    await tell(context, update.effective_chat.id, said)


async def show_entry(update: Update, context: Context) -> None:
    """/kb_show ID [LANG]: the card as people (of that language) see it, with its phrasings."""
    chat_id = update.effective_chat.id
    entry_id = context.args[0] if context.args else ""
    args = context.args or []
    lang = args[1] if len(args) > 1 else ""
    said = await service_of(context).show(update.effective_user.id, entry_id, chat_region(context, chat_id), lang)
    await tell(context, chat_id, said)


async def edit_entry(update: Update, context: Context) -> None:
    """/kb_edit ID [LANG]: the current answer (in LANG: the translation, as people of that language see it); the
    next text is the new one."""
    chat_id = update.effective_chat.id
    entry_id, lang = ([*(context.args or ()), "", ""])[:2]
    said = await service_of(context).start_edit(update.effective_user.id, entry_id, chat_region(context, chat_id),
                                                lang)
    await tell(context, chat_id, said)


# A language code after the entry id of /kb_phrase (a phrasing line starts with + or -, never with a bare code).
_LANG_ARG = re.compile(r"^([A-Za-z]{2,3})(?:\s+|$)(.*)$", re.DOTALL)


async def edit_phrases(update: Update, context: Context) -> None:
    """/kb_phrase ID [LANG] [+ text | - text]: the phrasings of an entry, or of its translation into LANG."""
    chat_id = update.effective_chat.id
    args = _args(update, 2)
    entry_id, change = (args + ["", ""])[:2]
    lang = ""
    found = _LANG_ARG.match(change)
    if found:
        lang, change = found.group(1), found.group(2)
    said = await service_of(context).start_phrase(
        update.effective_user.id, entry_id, change, chat_region(context, chat_id), lang
    )
    await tell(context, chat_id, said)


async def edit_examples(update: Update, context: Context) -> None:
    """/kb_examples LANG LABEL [+ text | - text]: the labelled training examples of one language and label."""
    chat_id = update.effective_chat.id
    args = _args(update, 3)
    lang, label, change = (args + ["", "", ""])[:3]
    said = await service_of(context).start_examples(
        update.effective_user.id, lang, label, change, chat_region(context, chat_id)
    )
    await tell(context, chat_id, said)


async def new_entry(update: Update, context: Context) -> None:
    """/kb_new: a new entry, one field per step."""
    await tell(context, update.effective_chat.id, await service_of(context).start_new(update.effective_user.id))


async def edit_region(update: Update, context: Context) -> None:
    """/referral_edit CC: a region's numbers, field by field, each with its source and date."""
    chat_id = update.effective_chat.id
    code = context.args[0] if context.args else ""
    said = await service_of(context).start_region(update.effective_user.id, code, chat_region(context, chat_id))
    await tell(context, chat_id, said)


async def history(update: Update, context: Context) -> None:
    """/kb_history ID [LANG] (or a region code, or LANG LABEL of examples as en.urgent)."""
    key, lang = ([*(context.args or ()), "", ""])[:2]
    said = await service_of(context).history(update.effective_user.id, key, lang)
    await tell(context, update.effective_chat.id, said)


async def revert(update: Update, context: Context) -> None:
    """/kb_revert ID REV, or /kb_revert ID LANG REV for a translation (reviewers)."""
    args = list(context.args or ())
    key, lang, rev = (args + ["", "", ""])[:3] if len(args) >= 3 else ((args + ["", ""])[0], "", (args + ["", ""])[1])
    said = await service_of(context).revert(update.effective_user.id, key, rev, lang)
    await tell(context, update.effective_chat.id, said)


async def pending(update: Update, context: Context) -> None:
    """/kb_pending: one message per waiting change, with its buttons."""
    for said in await service_of(context).pending(update.effective_user.id):
        await tell(context, update.effective_chat.id, said)


async def stale(update: Update, context: Context) -> None:
    """/kb_stale."""
    await tell(context, update.effective_chat.id, await service_of(context).stale(update.effective_user.id))


async def stats(update: Update, context: Context) -> None:
    """/kb_stats [days]: the counts still on their way to the store are written first (a moment at most)."""
    days = context.args[0] if context.args else ""
    await context.deps.counts.drain(STATS_DRAIN_TIMEOUT)
    await tell(context, update.effective_chat.id, await service_of(context).stats(update.effective_user.id, days))


async def cancel(update: Update, context: Context) -> None:
    """/kb_cancel."""
    await tell(context, update.effective_chat.id, await service_of(context).cancel(update.effective_user.id))


async def draft_text(update: Update, context: Context) -> None:
    """A moderator's text while a draft waits for it (a new answer, a phrasing, a value…)."""
    chat_id = update.effective_chat.id
    text = light_markup(update.effective_message)
    said = await service_of(context).text(update.effective_user.id, text, chat_region(context, chat_id))
    await tell(context, chat_id, said)


async def refuse(update: Update, context: Context) -> None:
    """A moderator command from someone who isn't one, or outside a private chat: say so kindly, change nothing."""
    chat_id = update.effective_chat.id
    service = service_of(context)
    private = update.effective_chat.type == "private"
    # No sender: sent on behalf of a channel or anonymously by a group admin; no moderator can be recognised.
    user_id = update.effective_user.id if update.effective_user is not None else ANONYMOUS
    body = PRIVATE_ONLY if service.is_moderator(user_id) and not private else None
    if body is None:
        body = (await service.menu(user_id)).body  # the service words the refusal
    await send_reply(context, chat_id, compose(context.deps.live.current, body, chat_region(context, chat_id)))


# -- buttons -----------------------------------------------------------------------------------------------------


async def button(update: Update, context: Context) -> None:
    """Every "m:" button: review decisions and list pages change their own message; draft steps answer anew."""
    query = update.callback_query
    await acknowledge(query)
    service = service_of(context)
    user_id = update.effective_user.id
    chat_id = update.effective_chat.id
    region = chat_region(context, chat_id)
    action = ACTION + (query.data or "").removeprefix(PREFIX)
    engine = context.deps.live.current
    if action.startswith((APPROVE, REJECT)):
        number = action.rsplit(":", 1)[1]
        revision_id = ascii_number(number) or 0
        if action.startswith(APPROVE):
            said = await service.approve(user_id, revision_id)
        else:
            said = await service.reject(user_id, revision_id)
        await edit_reply(context, query.message, compose(engine, said.body, region), None)
        await notify(context, said)
    elif action.startswith(LIST):
        page, _, word = action.removeprefix(LIST).partition(":")
        said = await service.list_entries(user_id, word, ascii_number(page) or 0)
        await edit_reply(context, query.message, compose(engine, said.body, region), markup(said.buttons))
    elif action.startswith(SHOW):
        await tell(context, chat_id, await service.show(user_id, action.removeprefix(SHOW), region))
    else:
        said = await service.press(user_id, action, region)  # if this fails, the pressed buttons stay
        await edit_markup(query.message, None)  # a step's buttons work once
        await tell(context, chat_id, said)


# -- wiring ------------------------------------------------------------------------------------------------------


class _DraftWaiting(filters.MessageFilter):
    """A message from a moderator whose draft waits for text (else the text is a question like anyone's)."""

    def __init__(self, service: Moderation) -> None:
        super().__init__(name="DraftWaiting")
        self.service = service

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and self.service.sessions.awaiting_text(user.id)


def register(app: Application) -> None:
    """Moderator commands for configured moderators in private chats, a polite refusal for everyone else, draft
    text while a draft waits for it, and the conversation's buttons."""
    deps = deps_of(app.bot_data)
    service = Moderation(deps.config, deps.live, lambda: deps.store, sync=deps.sync)
    app.bot_data[_KEY] = service
    ids = [m.id for m in deps.config.moderation.moderators]
    moderators = filters.User(user_id=ids, allow_empty=False)
    new_message = filters.UpdateType.MESSAGE
    mine = filters.ChatType.PRIVATE & new_message & moderators
    commands = {
        "kb": menu, "kb_list": list_entries, "kb_show": show_entry, "kb_edit": edit_entry,
        "kb_phrase": edit_phrases, "kb_examples": edit_examples, "kb_new": new_entry, "referral_edit": edit_region, "kb_history": history,
        "kb_revert": revert, "kb_pending": pending, "kb_stale": stale, "kb_stats": stats, "kb_cancel": cancel,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=mine))
    app.add_handler(CommandHandler(list(commands), refuse, filters=new_message))
    app.add_handler(MessageHandler(mine & filters.TEXT & ~filters.COMMAND & _DraftWaiting(service), draft_text))
    app.add_handler(ButtonHandler(button, exact(PREFIX) + r"[\x21-\x7e]{1,62}"))


async def post_init(app: Application, public_commands: Sequence[tuple[str, str]]) -> None:
    """At start: each moderator's own command menu, and a warning to them when the database is unavailable."""
    deps = deps_of(app.bot_data)
    service: Moderation = app.bot_data[_KEY]
    for moderator in deps.config.moderation.moderators:
        extra = REVIEWER_COMMANDS if moderator.role is Role.REVIEWER else EDITOR_COMMANDS
        menu_items = [BotCommand(name, text) for name, text in (*public_commands, *extra)]
        try:
            await app.bot.set_my_commands(menu_items, scope=BotCommandScopeChat(moderator.id))
        except TelegramError as exc:  # e.g. the moderator has not opened a chat with the bot yet
            log.warning("no command menu for moderator %d: %s", moderator.id, type(exc).__name__)
    engine = deps.live.current
    for notice in service.startup_notices():
        try:
            await app.bot.send_message(notice.user_id, compose(engine, notice.body, None).html)
        except TelegramError as exc:
            log.warning("could not warn moderator %d: %s", notice.user_id, type(exc).__name__)
