"""Reply → Bot API: HTML parts of at most 4,096 characters, inline keyboards, message ids kept for /forget.

Every message with content goes out through `send_reply` / `edit_reply`, and so through a Reply: the engine
attaches the region's referral block, never the front end.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest, ChatMigrated

from bot.engine import Engine
from bot.i18n import N_, gettext, is_supported, normalize_code
from bot.markup import to_html
from bot.replies import Button, Reply, ReplyKind
from handlers import feedback
from handlers.deps import Context

log = logging.getLogger(__name__)

MAX_CALLBACK_DATA = 64

# Callback data (≤ 64 bytes). New message: e:<entry> h t R ?   In place: c:<category> b:<entry> tc r:<page>
# s:<region> x   /forget: f:y f:n.   Language: L (picker) l:<code>.   Later features take their own prefixes (votes: v:…).
ENTRY, HOTLINE, TOPICS, REGION_PICKER, HELP, URGENT = "e:", "h", "t", "R", "?", "u"
LANGUAGE_PICKER, LANGUAGE = "L", "l:"
_ACTIONS = {
    "hotline": HOTLINE, "topics": TOPICS, "region": REGION_PICKER, "help": HELP, "urgent": URGENT,
    "language": LANGUAGE_PICKER,
}

Keyboard = list[list[InlineKeyboardButton]]

# Quick exit and discreet use (handlers.discreet). Under every urgent reply: "Leave now" deletes the conversation at
# once; "Discreet mode" makes the chat's replies silent and unforwardable.
LEAVE, DISCREET = "q", "d"
LEAVE_LABEL, DISCREET_LABEL = N_("Leave now"), N_("Discreet mode")
# In a discreet chat every message starts with words that name no topic: lock screens and chat lists show about
# the first 60 characters of a message. The urgent reply still starts with the numbers.
DISCREET_LEAD = N_("A reply is below. Send /exit at any time to delete this chat.")
NUMBERS_LEAD = N_("Numbers: {numbers}")
NUMBER_SEPARATOR = " · "
# Room kept in each part of a long reply for the lead (characters).
LEAD_ROOM = 200


def compose(
    engine: Engine, body: str, region: str | None, buttons: Sequence[Button] = (), lang: str | None = None
) -> Reply:
    """A front-end message (privacy, region prompts, /forget…) through the engine's composing path, so it
    carries the region's referral block like every reply: only the body (already in `lang`) is ours."""
    return engine.notice(body, region, tuple(buttons), lang=lang)


def menu_buttons(engine: Engine, lang: str | None = None) -> tuple[Button, ...]:
    """Browse topics · Hotline · Choose region · Language, as the engine words them in `lang`."""
    return engine.help_reply(lang=lang).buttons


def callback_data(action: str, entry_prefix: str = ENTRY) -> str | None:
    """A Reply button's action as callback data, or None when it has no Telegram form."""
    if action.startswith("entry:"):
        data = entry_prefix + action.removeprefix("entry:")
    elif action.startswith("lang:"):
        data = LANGUAGE + action.removeprefix("lang:")
    else:
        data = _ACTIONS.get(action, "")
    return data if data and len(data.encode()) <= MAX_CALLBACK_DATA else None


def keyboard(
    buttons: Iterable[Button], *, entry_prefix: str = ENTRY, extra: Keyboard | None = None
) -> InlineKeyboardMarkup | None:
    """"I need help now" on a row of its own at the top (it must be the first thing a thumb finds), entries one per
    row (their labels are long), the other actions side by side, then `extra` rows."""
    first: Keyboard = []
    rows: Keyboard = []
    menu: list[InlineKeyboardButton] = []
    for button in buttons:
        data = callback_data(button.action, entry_prefix)
        if data is None:
            continue
        key = InlineKeyboardButton(button.label, callback_data=data)
        if button.action == "urgent":
            first.append([key])
        elif button.action.startswith("entry:"):
            rows.append([key])
        else:
            menu.append(key)
    rows = first + rows + [menu[i:i + 3] for i in range(0, len(menu), 3)]
    rows += extra or []
    return InlineKeyboardMarkup(rows) if rows else None


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Light-markup text cut into parts whose HTML fits one message: on blank lines, else lines, else words,
    else anywhere. Measured on the HTML in UTF-16 units, which is never less than what Telegram counts."""
    parts = [part.strip() for part in _pack(text.strip(), limit, ("\n\n", "\n", " "))]
    return [part for part in parts if part]


def _fits(text: str, limit: int) -> bool:
    return len(to_html(text).encode("utf-16-le")) // 2 <= limit


def _pack(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if _fits(text, limit):
        return [text]
    if not separators:
        return _hard_split(text, limit)
    sep, finer = separators[0], separators[1:]
    parts: list[str] = []
    current: str | None = None
    for chunk in text.split(sep):
        # A chunk too long on its own is cut finer; its pieces are already packed as full as they go.
        for piece in [chunk] if _fits(chunk, limit) else _pack(chunk, limit, finer):
            if current is None:
                current = piece
            elif _fits(current + sep + piece, limit):
                current += sep + piece
            else:
                parts.append(current)
                current = piece
    if current is not None:
        parts.append(current)
    return parts


def _hard_split(text: str, limit: int) -> list[str]:
    parts = []
    while text:
        low, high = 1, len(text)
        while low < high:  # the longest prefix that fits
            middle = (low + high + 1) // 2
            if _fits(text[:middle], limit):
                low = middle
            else:
                high = middle - 1
        parts.append(text[:low])
        text = text[low:]
    return parts


async def send_reply(
    context: Context, chat_id: int, reply: Reply, markup: InlineKeyboardMarkup | None = None, *, served: bool = True
) -> list[Message]:
    """Send a Reply (split if long, the keyboard under the last part); defaults to the Reply's own buttons.
    Answers get the 👍/👎 row and every reply is counted (counts only), unless `served` is False (previews).
    An urgent reply gets the quick-exit row; in a discreet chat every part starts with a neutral lead."""
    if markup is None:
        markup = keyboard(reply.buttons)
    if served:
        markup = feedback.with_votes(context, reply, markup)
    if reply.kind is ReplyKind.URGENT:
        markup = with_exit_row(markup, reply.lang)
    lead = discreet_lead(context, chat_id, reply)
    sent = await _send_parts(context, chat_id, _parts(reply, lead), markup, lead)
    if served:
        feedback.count(context, reply)
    return sent


def with_exit_row(markup: InlineKeyboardMarkup | None, lang: str | None = None) -> InlineKeyboardMarkup:
    """The keyboard with Leave now · Discreet mode (in `lang`) added at the bottom."""
    rows = [list(r) for r in markup.inline_keyboard] if markup is not None else []
    rows.append([InlineKeyboardButton(gettext(lang, LEAVE_LABEL), callback_data=LEAVE),
                 InlineKeyboardButton(gettext(lang, DISCREET_LABEL), callback_data=DISCREET)])
    return InlineKeyboardMarkup(rows)


def discreet_lead(context: Context, chat_id: int, reply: Reply) -> str | None:
    """None unless the chat is discreet; then the neutral first line(s) of each message: for an urgent reply the
    region's numbers (emergency first, then hotlines; nothing else of the directory's wording), then the lead."""
    if not context.deps.chats.is_discreet(chat_id):
        return None
    lead = gettext(reply.lang, DISCREET_LEAD)
    if reply.kind is not ReplyKind.URGENT:
        return lead
    region = context.deps.live.current.referrals.get(reply.region)
    numbers = [region.emergency] if region.emergency_is_number else []
    numbers += [line.phone for line in region.hotlines if line.phone]
    if not numbers:
        return lead
    return gettext(reply.lang, NUMBERS_LEAD).format(numbers=NUMBER_SEPARATOR.join(numbers)) + "\n" + lead


def _parts(reply: Reply, lead: str | None) -> list[str]:
    if lead is None:
        return split_text(reply.text)
    return split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH - LEAD_ROOM)


def _with_lead(part: str, lead: str | None) -> str:
    return part if lead is None else f"{lead}\n\n{part}"


async def edit_reply(
    context: Context, message: MaybeInaccessibleMessage | None, reply: Reply, markup: InlineKeyboardMarkup | None
) -> None:
    """Show a Reply in place of a bot message (topic browsing, region choice); sent anew if it can't be."""
    if not isinstance(message, Message):
        if message is not None:  # deleted or no longer accessible to the bot: say it anew
            lead = discreet_lead(context, message.chat.id, reply)
            await _send_parts(context, message.chat.id, _parts(reply, lead), markup, lead)
        return
    markup = feedback.with_votes(context, reply, markup)
    lead = discreet_lead(context, message.chat.id, reply)
    parts = _parts(reply, lead)
    try:
        await message.edit_text(to_html(_with_lead(parts[0], lead)), reply_markup=markup if len(parts) == 1 else None)
    except BadRequest as exc:
        if "not modified" in exc.message:
            return  # the same button twice: the message already shows it
        log.info("edit failed (%s); sending instead", type(exc).__name__)
        await _send_parts(context, message.chat.id, parts, markup, lead)
    else:
        await _send_parts(context, message.chat.id, parts[1:], markup, lead)
    feedback.count(context, reply)


async def edit_markup(message: MaybeInaccessibleMessage | None, markup: InlineKeyboardMarkup | None) -> None:
    """Swap a bot message's keyboard in place (paging, skipping)."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_reply_markup(markup)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def _send_parts(
    context: Context, chat_id: int, parts: Sequence[str], markup: InlineKeyboardMarkup | None,
    lead: str | None = None,
) -> list[Message]:
    sent = []
    for index, part in enumerate(parts):
        html = to_html(_with_lead(part, lead))
        message = await deliver(context, chat_id, html, markup if index == len(parts) - 1 else None)
        sent.append(message)
    return sent


async def deliver(
    context: Context, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None, *, remember: bool = True
) -> Message:
    """The one sendMessage of the front end: into the forum topic the person wrote in; silent and unforwardable in
    a discreet chat; to the new id when Telegram says a group became a supergroup (its memory moves along).
    The message id is remembered for /forget and the quick exit unless `remember` is False."""
    chats = context.deps.chats
    try:
        message = await _send(context, chat_id, html, markup)
    except ChatMigrated as exc:
        new_id = int(exc.new_chat_id)
        chats.migrate(chat_id, new_id)
        log.info("group %d became supergroup %d; sending there", chat_id, new_id)
        message = await _send(context, new_id, html, markup)
    if remember:
        chats.remember_message(message.chat_id, message.message_id)
    return message


async def _send(context: Context, chat_id: int, html: str, markup: InlineKeyboardMarkup | None) -> Message:
    discreet = context.deps.chats.is_discreet(chat_id)
    return await context.bot.send_message(
        chat_id, html, reply_markup=markup, message_thread_id=context.thread_of(chat_id),
        disable_notification=True if discreet else None, protect_content=True if discreet else None,
    )


def chat_region(context: Context, chat_id: int) -> str | None:
    return context.deps.chats.region(chat_id)


def chat_lang(context: Context, update: Update) -> str:
    """The language to speak in this chat: the chat's (chosen or last used), else the person's Telegram
    language_code when awarebot speaks it, else English."""
    chat = update.effective_chat
    if chat is not None:
        known = context.deps.chats.language(chat.id)
        if known is not None:
            return known
    user = update.effective_user
    hint = normalize_code(user.language_code if user else None)
    return hint if hint is not None and is_supported(hint) else "en"


def user_language(update: Update) -> str | None:
    """The Telegram client's language_code (a prior for detection), or None."""
    user = update.effective_user
    return user.language_code if user else None
