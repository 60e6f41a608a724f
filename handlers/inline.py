"""Inline mode: `@bot hotline` (or nothing) → the referral card; `@bot <question>` → shareable answer cards.

Every card is a Reply, so every card carries the referral block. Cards hold a link to the bot, never a
callback button (a shared card lives in someone else's chat).
"""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import InlineQueryHandler

from bot.engine import Engine
from bot.i18n import N_, gettext, is_supported, normalize_code
from bot.referrals import region_name
from bot.replies import Reply, ReplyKind
from bot.text import normalize
from handlers.deps import App, Context

HOTLINE_QUERIES = frozenset({"", "hotline", "help", "sos", "emergency", "number", "numbers", "helpline"})
CACHE_SECONDS = 10
MAX_RESULTS = 5
OPEN_LABEL = N_("Ask awarebot privately")
URGENT_TITLE = N_("Get help now")
REFERRAL_TITLE = N_("Where to get help: {region}")
CARD_DESCRIPTION = N_("With help numbers for {region}")


def inline_replies(engine: Engine, query: str, region: str | None, lang: str | None = None) -> list[Reply]:
    """The cards to offer for a query, best first, in the asker's language (the query's, else `lang`, the
    asker's chat language or Telegram language_code); the referral card is always among them."""
    if normalize(query) in HOTLINE_QUERIES:
        return [engine.hotline_reply(region, lang)]
    best = engine.respond(query, region, lang)
    hotline = engine.hotline_reply(region, best.lang)
    replies = [] if best.kind is ReplyKind.FALLBACK else [best]
    if best.kind is ReplyKind.ANSWER or best.kind is ReplyKind.FALLBACK:
        replies += [engine.entry_reply(e, region, best.lang) for e in best.alternatives
                    if e in engine.knowledge.entries]
    if best.kind is not ReplyKind.REFERRAL:
        replies.append(hotline)
    return replies[:MAX_RESULTS]


def _title(engine: Engine, reply: Reply) -> str:
    region = region_name(engine.referrals.get(reply.region), reply.lang)
    if reply.kind is ReplyKind.URGENT:
        return gettext(reply.lang, URGENT_TITLE)
    if reply.kind is ReplyKind.REFERRAL:
        return gettext(reply.lang, REFERRAL_TITLE).format(region=region)
    if reply.entry_id and reply.entry_id in engine.knowledge.entries:
        return engine.entry_title(reply.entry_id, reply.lang)
    return "awarebot"


def article(engine: Engine, index: int, reply: Reply, bot_username: str) -> InlineQueryResultArticle | None:
    html = reply.html
    if len(html) > MessageLimit.MAX_TEXT_LENGTH:
        return None  # never cut a card: the referral block is at its end
    payload = reply.entry_id or "hotline"
    return InlineQueryResultArticle(
        id=f"{index}-{reply.kind.value}-{reply.entry_id or ''}"[:64],
        title=_title(engine, reply),
        description=gettext(reply.lang, CARD_DESCRIPTION).format(
            region=region_name(engine.referrals.get(reply.region), reply.lang)),
        input_message_content=InputTextMessageContent(
            html, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(gettext(reply.lang, OPEN_LABEL), url=f"https://t.me/{bot_username}?start={payload}")]]
        ),
    )


async def answer_inline(update: Update, context: Context) -> None:
    """Answer an inline query with cards (personal: the region is the asker's)."""
    query = update.inline_query
    engine = context.deps.live.current
    region = context.deps.chats.region(query.from_user.id)  # the asker's private chat with the bot
    hint = normalize_code(query.from_user.language_code)
    lang = context.deps.chats.language(query.from_user.id) or (hint if is_supported(hint) else None)
    replies = inline_replies(engine, query.query, region, lang)
    cards = [article(engine, i, reply, context.bot.username) for i, reply in enumerate(replies)]
    await query.answer([c for c in cards if c is not None], cache_time=CACHE_SECONDS, is_personal=True)


def register(app: App) -> None:
    app.add_handler(InlineQueryHandler(answer_inline))
