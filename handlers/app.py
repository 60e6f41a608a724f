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
from bot.i18n import N_, gettext, languages, load_catalogues
from bot.store import StoreBusy, StoreDown
from bot.sync import KnowledgeSync
from handlers import chats as chat_events
from handlers import (
    conversation,
    discreet,
    errors,
    fallback,
    feedback,
    forget,
    inline,
    language,
    logprivacy,
    moderation,
    region,
    topics,
)
from handlers.delivery import (
    ChatOrderedProcessor,
    ConfirmingQueue,
    LedgerBot,
    PatientRateLimiter,
    SharedCapRateLimiter,
    UpdateLedger,
)
from handlers.deps import CONTEXT_TYPES, App, BotDeps, deps_of
from handlers.deps import install as install_deps
from handlers.request import RetryingRequest
from handlers.sharedstate import SharedChatProcessor

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
    ("start", N_("What awarebot is, and choose your region")),
    ("topics", N_("Browse topics")),
    ("hotline", N_("Emergency numbers and hotlines")),
    ("region", N_("Choose your region for local numbers")),
    ("language", N_("Choose your language")),
    ("privacy", N_("What is kept, and how to remove this chat")),
    ("forget", N_("Delete this conversation")),
    ("exit", N_("Leave now: delete this chat at once")),
    ("discreet", N_("Silent replies that can't be forwarded")),
    ("help", N_("How to use awarebot")),
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
FEATURES = (
    chat_events, forget, discreet, moderation, feedback, conversation, topics, region, language, inline, fallback,
    errors,
)


def build_application(
    config: Config,
    live: LiveEngine,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    store: Any | None = None,
    chats: ChatStates | None = None,
    rate_limiter: BaseRateLimiter | None = None,
    open_store: bool = False,
    shared_chats: Any | None = None,
) -> App:
    """The bot, fully wired. `request`s default to retrying HTTPX clients; `open_store` makes the application
    open the database in post_init (engine reloaded with published revisions) and close it at shutdown.
    `shared_chats` (bot.sharedchats.SharedChats over `chats`): several workers share the chat memory in Redis."""
    logprivacy.install(config.telegram.token)
    load_catalogues()  # a skipped catalogue build fails here, loudly, rather than on someone's message
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
        .concurrent_updates(
            ChatOrderedProcessor(ledger, max_running=CONCURRENT_UPDATES) if shared_chats is None
            else SharedChatProcessor(ledger, shared_chats, max_running=CONCURRENT_UPDATES)
        )
        .update_queue(ConfirmingQueue(ledger))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    app: App = builder.build()
    chats = chats if chats is not None else ChatStates()
    if shared_chats is not None and shared_chats.chats is not chats:
        raise ValueError("shared_chats must be built over the same ChatStates as `chats`")
    deps = BotDeps(live=live, config=config, chats=chats, store=store, owns_store=open_store)
    deps.sync = KnowledgeSync(config, live, lambda: deps.store)
    install_deps(app.bot_data, deps)
    for feature in FEATURES:
        feature.register(app)
    return app


class BoundedApplication(Application):
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
        deps.store, retry = await service.open_store_or_retry(deps.config)
        assert deps.sync is not None
        if retry is not None:  # a database server that is down now: the sync opens it when it answers
            deps.sync.retry_open(retry, lambda store: setattr(deps, "store", store))
        if deps.store is not None:
            try:
                await deps.sync.refresh(force=True, first=True)
            except (StoreDown, StoreBusy):
                log.error("DATABASE UNREACHABLE at start: serving the bundled knowledge until it answers")
        # Publishes by other workers (LISTEN/NOTIFY) and the periodic version check; stopped in post_shutdown.
        deps.sync.start()
    if deps.health is not None:
        await deps.health.start()
    try:
        # The default menu (English), then one per language_code: Telegram shows each person their language's.
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        for lang in languages():
            if lang != "en":
                commands = [BotCommand(name, gettext(lang, text)) for name, text in COMMANDS]
                await app.bot.set_my_commands(commands, language_code=lang)
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
    if deps.health is not None:
        await deps.health.stop()
    queue = app.update_queue
    if isinstance(queue, ConfirmingQueue) and queue.shared is not None:
        await queue.shared.close()
    limiter = app.bot.rate_limiter
    if isinstance(limiter, SharedCapRateLimiter):
        await limiter.cap.close()
    processor = app.update_processor
    if isinstance(processor, SharedChatProcessor):
        await processor.shared.close()
    if deps.owns_store and deps.sync is not None:
        await deps.sync.stop()
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


def bot_id(token: str) -> str:
    """The bot's numeric id, the part of the token before the colon (public: it is the bot's user id)."""
    return token.split(":", 1)[0] if token.split(":", 1)[0].isdigit() else "bot"


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
    limiter = None
    redis_down = None
    if config.state_url.startswith("redis"):
        from bot.shared import redis_down_warning

        redis_down = redis_down_warning()  # one warning a minute for the whole worker, whichever part noticed
    if config.state_url.startswith("redis") and telegram.max_messages_per_second > 0:
        # Several workers: Telegram's bulk limit counts the bot's messages, not one process's.
        from bot.shared import SharedSendCap

        cap = SharedSendCap(config.state_url, telegram.max_messages_per_second,
                            name=f"awarebot:{bot_id(telegram.token)}:send")
        cap.down = redis_down or cap.down
        limiter = SharedCapRateLimiter(cap, overall_max_rate=telegram.max_messages_per_second)
    chats = ChatStates()
    shared_chats = None
    if config.state_url.startswith("redis"):
        # Several workers: region, discreet flag and message ids follow the chat to whichever worker gets it.
        from bot.sharedchats import SharedChats

        shared_chats = SharedChats.from_url(config.state_url, chats, secret=telegram.token,
                                            prefix=f"awarebot:{bot_id(telegram.token)}:chat:")
        shared_chats.down = redis_down or shared_chats.down
    app = build_application(config, LiveEngine(engine), open_store=True, rate_limiter=limiter, chats=chats,
                            shared_chats=shared_chats)
    hook = telegram.webhook
    if telegram.mode == "webhook" and hook.health_port:
        from bot.shared import connect
        from handlers.health import HealthServer

        deps = deps_of(app.bot_data)
        deps.health = HealthServer(deps, listen=hook.listen, port=hook.health_port,
                                   redis=connect(config.state_url) if config.state_url.startswith("redis") else None)
    try:
        if telegram.mode == "webhook":
            hook = telegram.webhook
            if isinstance(app.update_queue, ConfirmingQueue):
                app.update_queue.waiting = True  # answer Telegram only once the update was handled
                if config.state_url.startswith("redis"):  # several workers: a redelivered update answered once
                    from bot.shared import SharedUpdates

                    app.update_queue.shared = SharedUpdates.from_url(config.state_url, claim_ttl=hook.claim_seconds)
                    # Update ids are numbered per bot: two bots sharing one Redis must not skip each other's.
                    app.update_queue.shared.prefix = f"awarebot:{bot_id(telegram.token)}:update:"
                    app.update_queue.shared.down = redis_down or app.update_queue.shared.down
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
