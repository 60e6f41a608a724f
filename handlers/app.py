"""Wiring: `build_application` (production and tests use the same factory) and `run_bot` (polling or webhook)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from typing import Any

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, BaseRateLimiter, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot import service
from bot.chatstate import ChatStates
from bot.config import Config, TelegramConfig
from bot.engine import Engine, LiveEngine
from handlers import chats as chat_events
from handlers import (
    conversation,
    discreet,
    errors,
    fallback,
    feedback,
    forget,
    inline,
    logprivacy,
    moderation,
    region,
    topics,
)
from handlers.delivery import ChatOrderedProcessor, ConfirmingQueue, LedgerBot, PatientRateLimiter, UpdateLedger
from handlers.deps import CONTEXT_TYPES, App, BotDeps, deps_of
from handlers.deps import install as install_deps
from handlers.request import RetryingRequest

log = logging.getLogger(__name__)

TOKEN_HELP = """\
awarebot needs a Telegram bot token to run on Telegram. To get one:
  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Choose a name, then a username ending in "bot".
  3. Copy the token BotFather sends (it looks like 123456789:AAE...).
  4. Put it in config.toml:
         [telegram]
         token = "123456789:AAE..."
     or set the environment variable TELEGRAM_BOT_TOKEN.
  5. Optional: send /setinline to @BotFather so people can use @yourbot in any chat.
To try awarebot without Telegram: awarebot chat"""

COMMANDS = (
    ("start", "What awarebot is, and choose your region"),
    ("topics", "Browse topics"),
    ("hotline", "Emergency numbers and hotlines"),
    ("region", "Choose your region for local numbers"),
    ("privacy", "What is kept, and how to remove this chat"),
    ("forget", "Delete this conversation"),
    ("exit", "Leave now: delete this chat at once"),
    ("discreet", "Silent replies that can't be forwarded"),
    ("help", "How to use awarebot"),
)
# Edited messages and channel posts are never asked for (and ignored by the handlers' filters too).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
# Start-up calls (getMe, setWebhook) are retried this often when the network is not there yet.
BOOTSTRAP_RETRIES = 5
# Before starting, getMe is tried this many times, waiting 1, 2, 4, 8 s between tries (one log line per retry).
STARTUP_ATTEMPTS = 5
STARTUP_BACKOFF = 1.0
TOKEN_REFUSED = "Telegram refused the bot token: check [telegram] token or TELEGRAM_BOT_TOKEN"
UNREACHABLE = "cannot reach the Bot API at start ({problem}): check the network and [telegram] base_url"
# Updates handled at once: one slow chat never holds up the others.
CONCURRENT_UPDATES = 64
# Feature modules, in order: a handler earlier in the list wins. Later features (was-this-helpful votes,
# moderator commands) are added before `fallback`, which takes whatever no one else did.
# moderation comes before conversation: a moderator's draft text is not a question.
FEATURES = (chat_events, forget, discreet, moderation, feedback, conversation, topics, region, inline, fallback, errors)


def build_application(
    config: Config,
    live: LiveEngine,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    store: Any | None = None,
    chats: ChatStates | None = None,
    rate_limiter: BaseRateLimiter | None = None,  # type: ignore[type-arg]
    open_store: bool = False,
) -> App:
    """The bot, fully wired. `request`s default to retrying HTTPX clients; `open_store` makes the application
    open the database in post_init (engine reloaded with published revisions) and close it at shutdown."""
    logprivacy.install(config.telegram.token)
    # Opt in to PTB's timedelta time periods (22.2+): with the old int form every flood limit warns.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    telegram = config.telegram
    ledger = UpdateLedger()
    bot = LedgerBot(
        telegram.token,
        base_url=telegram.base_url or "https://api.telegram.org/bot",
        base_file_url=telegram.base_file_url or "https://api.telegram.org/file/bot",
        request=request or RetryingRequest(connection_pool_size=CONCURRENT_UPDATES * 2, read_timeout=10.0),
        get_updates_request=get_updates_request or HTTPXRequest(read_timeout=10.0),
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            do_quote=False,
        ),
        rate_limiter=rate_limiter or PatientRateLimiter(overall_max_rate=telegram.max_messages_per_second),
        ledger=ledger,
    )
    builder = (
        Application.builder()
        .application_class(BoundedApplication)
        .bot(bot)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(ChatOrderedProcessor(ledger, max_running=CONCURRENT_UPDATES))
        .update_queue(ConfirmingQueue(ledger))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    app: App = builder.build()
    chats = chats if chats is not None else ChatStates()
    install_deps(app.bot_data, BotDeps(live=live, config=config, chats=chats, store=store, owns_store=open_store))
    for feature in FEATURES:
        feature.register(app)
    return app


class BoundedApplication(Application):  # type: ignore[type-arg]
    """Application that remembers nobody: without persistence, python-telegram-bot still adds the id of every chat
    and user that ever wrote to sets meant for a persistence flush that never comes (a leak over a long run).
    awarebot uses no persistence and no chat_data/user_data; its own chat memory is bot.chatstate, bounded with a
    TTL."""

    def _mark_for_persistence_update(self, *, update: object | None = None, job: Any | None = None) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


async def _post_init(app: App) -> None:
    """At start: the command menu, and the database when the application owns it."""
    deps = deps_of(app.bot_data)
    if deps.owns_store and deps.store is None:
        deps.store = await service.open_store(deps.config)
        deps.live.swap(await service.load_engine(deps.config, deps.store, version=deps.live.current.version))
    try:
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    except TelegramError as exc:  # a missing menu must not keep the hotline offline
        log.warning("could not set the command menu: %s", type(exc).__name__)
    await moderation.post_init(app, COMMANDS)  # moderators' own menus; warns them when the database is down
    log.info("awarebot started as @%s", app.bot.username)


async def _post_stop(app: App) -> None:
    """After the last handler ended: confirm to Telegram (polling) what was handled, and only that."""
    if isinstance(app.bot, LedgerBot):
        await app.bot.confirm_handled()
    await deps_of(app.bot_data).counts.close()


async def _post_shutdown(app: App) -> None:
    deps = deps_of(app.bot_data)
    if deps.owns_store and deps.store is not None:
        await deps.store.close()


def webhook_url(config: Config) -> str:
    """The public URL Telegram posts to: `url`, ending with `path` (appended unless already there)."""
    hook = config.telegram.webhook
    url, path = hook.url.rstrip("/"), hook.path.strip("/")
    return url if not path or url.endswith("/" + path) else f"{url}/{path}"


# Telegram's documented alphabet and length for setWebhook's secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and -.
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Bytes of randomness in a generated secret (token_urlsafe gives 43 characters from the allowed alphabet).
GENERATED_SECRET_BYTES = 32
SECRET_RULE = "[telegram.webhook] secret_token may hold only A-Z, a-z, 0-9, _ and - (1-256 characters)"


def webhook_secret(config: Config) -> str:
    """The secret Telegram must send back in X-Telegram-Bot-Api-Secret-Token: the configured one, or a fresh random
    one for this run when none is configured (Telegram learns it from setWebhook, so nothing needs to store it).
    Raises ValueError when the configured secret uses characters Telegram does not allow."""
    configured = config.telegram.webhook.secret_token
    if not configured:
        return secrets.token_urlsafe(GENERATED_SECRET_BYTES)
    if not SECRET_TOKEN_PATTERN.fullmatch(configured):
        raise ValueError(SECRET_RULE)
    return configured


async def check_bot_api(
    telegram: TelegramConfig, *, attempts: int = STARTUP_ATTEMPTS, backoff: float = STARTUP_BACKOFF
) -> str | None:
    """Ask the Bot API who we are (getMe) before starting: None when it answers, else the one line to print.

    A refused token (HTTP 401 or 404, python-telegram-bot's InvalidToken) fails at once; a network error is
    retried `attempts` times in all, waiting `backoff` seconds doubled each time, with one log line per retry.
    """
    for attempt in range(1, attempts + 1):
        bot = Bot(
            telegram.token,
            base_url=telegram.base_url or "https://api.telegram.org/bot",
            request=HTTPXRequest(connect_timeout=5.0, read_timeout=10.0),
        )
        try:
            async with bot:  # initialize() calls getMe; the client is closed again either way
                return None
        except InvalidToken:
            return TOKEN_REFUSED
        except NetworkError as exc:  # TimedOut included
            if attempt == attempts:
                return UNREACHABLE.format(problem=type(exc).__name__)
            delay = backoff * 2 ** (attempt - 1)
            log.warning("cannot reach the Bot API (%s); retry %d of %d in %.0f s", type(exc).__name__, attempt,
                        attempts - 1, delay)
            await asyncio.sleep(delay)
    return None


def run_bot(config: Config) -> int:
    """Serve until SIGINT/SIGTERM; updates being answered are finished first. Returns an exit code."""
    telegram = config.telegram
    if telegram.mode not in ("polling", "webhook"):
        log.error("telegram.mode must be 'polling' or 'webhook', not %r", telegram.mode)
        return 2
    if telegram.mode == "webhook" and not telegram.webhook.url:
        log.error("webhook mode needs [telegram.webhook] url (the public HTTPS address Telegram posts to)")
        return 2
    secret = ""
    if telegram.mode == "webhook":
        try:
            secret = webhook_secret(config)
        except ValueError:
            log.error(SECRET_RULE)  # the log filter keeps exception text out of records, so name the rule itself
            return 2
        if not telegram.webhook.secret_token:
            log.info("no [telegram.webhook] secret_token configured: using a random one for this run")
    logprivacy.quiet_libraries()
    engine = Engine.load(config)  # broken knowledge or config stops start-up before the network is touched
    problem = asyncio.run(check_bot_api(telegram))
    if problem is not None:
        log.error(problem)
        return 1
    app = build_application(config, LiveEngine(engine), open_store=True)
    try:
        if telegram.mode == "webhook":
            hook = telegram.webhook
            if isinstance(app.update_queue, ConfirmingQueue):
                app.update_queue.waiting = True  # answer Telegram only once the update was handled
            app.run_webhook(
                listen=hook.listen,
                port=hook.port,
                url_path=hook.path.strip("/"),
                webhook_url=webhook_url(config),
                # Never None: without a secret, any POST to the URL would be handled as if Telegram sent it.
                # python-telegram-bot's webhook handler answers 403 before parsing when the header is wrong.
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
        else:
            app.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES)
    except InvalidToken:
        log.error(TOKEN_REFUSED)
        return 1
    except NetworkError as exc:
        log.error(UNREACHABLE.format(problem=type(exc).__name__))
        return 1
    return 0
