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
from bot.replies import Reply, ReplyKind
from bot.text import normalize
from handlers.deps import App, Context

HOTLINE_QUERIES = frozenset({"", "hotline", "help", "sos", "emergency", "number", "numbers", "helpline"})
CACHE_SECONDS = 10
MAX_RESULTS = 5
OPEN_LABEL = "Ask awarebot privately"


def inline_replies(engine: Engine, query: str, region: str | None) -> list[Reply]:
    """The cards to offer for a query, best first; the referral card is always among them."""
    hotline = engine.hotline_reply(region)
    if normalize(query) in HOTLINE_QUERIES:
        return [hotline]
    best = engine.respond(query, region)
    replies = [] if best.kind is ReplyKind.FALLBACK else [best]
    if best.kind is ReplyKind.ANSWER or best.kind is ReplyKind.FALLBACK:
        replies += [engine.entry_reply(e, region) for e in best.alternatives if e in engine.knowledge.entries]
    if best.kind is not ReplyKind.REFERRAL:
        replies.append(hotline)
    return replies[:MAX_RESULTS]


def _title(engine: Engine, reply: Reply) -> str:
    region = engine.referrals.get(reply.region).name
    if reply.kind is ReplyKind.URGENT:
        return "Get help now"
    if reply.kind is ReplyKind.REFERRAL:
        return f"Where to get help: {region}"
    entry = engine.knowledge.get(reply.entry_id or "")
    return entry.title if entry else "awarebot"


def article(engine: Engine, index: int, reply: Reply, bot_username: str) -> InlineQueryResultArticle | None:
    html = reply.html
    if len(html) > MessageLimit.MAX_TEXT_LENGTH:
        return None  # never cut a card: the referral block is at its end
    payload = reply.entry_id or "hotline"
    return InlineQueryResultArticle(
        id=f"{index}-{reply.kind.value}-{reply.entry_id or ''}"[:64],
        title=_title(engine, reply),
        description=f"With help numbers for {engine.referrals.get(reply.region).name}",
        input_message_content=InputTextMessageContent(
            html, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(OPEN_LABEL, url=f"https://t.me/{bot_username}?start={payload}")]]
        ),
    )


async def answer_inline(update: Update, context: Context) -> None:
    """Answer an inline query with cards (personal: the region is the asker's)."""
    query = update.inline_query
    engine = context.deps.live.current
    region = context.deps.chats.region(query.from_user.id)  # the asker's private chat with the bot
    replies = inline_replies(engine, query.query, region)
    cards = [article(engine, i, reply, context.bot.username) for i, reply in enumerate(replies)]
    await query.answer([c for c in cards if c is not None], cache_time=CACHE_SECONDS, is_personal=True)


def register(app: App) -> None:
    app.add_handler(InlineQueryHandler(answer_inline))
