"""The `awarebot` command line: ask, chat, run, start and the knowledge (kb) tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot import __version__
from bot.config import Config, ConfigError, load_config
from bot.engine import Engine
from bot.errors import KnowledgeError
from bot.replies import Reply

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def configure_logging(level: str) -> None:
    """Logs go to stderr, hold kinds, ids, scores and timings only; chatty libraries stay at WARNING."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def reply_json(reply: Reply) -> str:
    """One reply as a JSON line: {kind, entry_id, score, alternatives, region, text} (text plain, UTF-8)."""
    return json.dumps(
        {
            "kind": reply.kind.value,
            "entry_id": reply.entry_id,
            "score": reply.score,
            "alternatives": list(reply.alternatives),
            "region": reply.region,
            "lang": reply.lang,
            "detected_lang": reply.detected_lang,
            "text": reply.plain,
        },
        ensure_ascii=False,
    )


def reply_console(reply: Reply) -> str:
    """What a person reads in a terminal: the text, then the suggested next steps."""
    lines = [reply.plain]
    suggestions = [b.label for b in reply.buttons if b.action.startswith("entry:")]
    if suggestions:
        lines.append("")
        lines.append("More: " + " · ".join(suggestions))
    return "\n".join(lines)


# -- commands --------------------------------------------------------------------------------------------


def choose_region(engine: Engine, wanted: str | None) -> str | None:
    """The region code for `--region` (a code, alias or country name, any case), saying on stderr what was chosen
    when it was not given as its code. None when `wanted` is empty; raises UsageError (listing the regions) when it
    names nothing known."""
    if not wanted or not wanted.strip():
        return None
    code = engine.referrals.lookup(wanted)
    if code is None:
        listed = ", ".join(f"{r.code} ({r.name})" for r in engine.referrals.regions())
        raise UsageError(f"unknown region {wanted.strip()!r}. Use a two-letter country code or a listed name: "
                         f"{listed}. Countries not listed get the international guidance (INTL).")
    served = engine.referrals.get(code)
    if wanted.strip().upper() != served.code:
        print(f"region: {wanted.strip()} → {served.code} ({served.name})", file=sys.stderr)
    return code


class UsageError(Exception):
    """A command-line argument is wrong; the message says what is allowed. Exit status 2."""


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    """`awarebot ask TEXT|-`: one reply, or one per line of standard input; exit 0 (2 for an unknown region)."""
    engine = asyncio.run(_engine(config, with_store=_has_database(config)))
    args.region = choose_region(engine, args.region)
    if args.text == "-":
        for line in sys.stdin:
            # Each line on its own (no priors carried over), so a batch reads like separate people.
            reply = engine.respond(line.rstrip("\n"), args.region, args.lang)
            print(reply_json(reply) if args.json else reply_console(reply) + "\n", flush=True)
        return EXIT_OK
    reply = engine.respond(args.text, args.region, args.lang)
    print(reply_json(reply) if args.json else reply_console(reply))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    """`awarebot chat`: the console conversation until /quit or end of input; exit 0."""
    from bot.console import ConsoleChat

    engine = asyncio.run(_engine(config, with_store=_has_database(config)))
    region = choose_region(engine, args.region) or config.default_region
    return ConsoleChat(engine, region, sys.stdin, sys.stdout, lang=args.lang).run()


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """`awarebot run`: the Telegram bot until SIGINT/SIGTERM; exit 2 without a token, 1 when Telegram refuses."""
    from handlers.app import TOKEN_HELP, run_bot

    if not config.telegram.token:
        print(TOKEN_HELP, file=sys.stderr)
        return EXIT_USAGE
    hook = config.telegram.webhook
    port = getattr(args, "port", None)
    if port is not None:
        hook = replace(hook, port=port)
    health_port = getattr(args, "health_port", None)
    if health_port is not None:
        hook = replace(hook, health_port=health_port)
    config = replace(config, telegram=replace(config.telegram, webhook=hook))
    workers = getattr(args, "workers", 1) or 1
    if workers > 1:
        problem = workers_problem(config)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_USAGE
        from bot.workers import supervise

        return supervise(args.config, config.telegram.webhook.port, workers, config.telegram.webhook.health_port)
    return run_bot(config)  # refuses to start on broken knowledge (KnowledgeError) before touching the network


def workers_problem(config: Config) -> str | None:
    """Why `--workers N` cannot run with this config (None when it can)."""
    if config.telegram.mode != "webhook":
        return ("--workers needs webhook mode ([telegram] mode = \"webhook\"): in polling mode Telegram serves one "
                "getUpdates consumer per bot")
    if not config.telegram.webhook.secret_token:
        return ("--workers needs [telegram.webhook] secret_token: every worker must check the same secret (without "
                "one, each would register its own random secret and refuse the others' updates)")
    return None


def cmd_start(args: argparse.Namespace, config: Config) -> int:
    """`make run`: the Telegram bot when a token is configured, the console chat otherwise."""
    if config.telegram.token:
        return cmd_run(args, config)
    print("No Telegram token configured: starting the offline console chat (see README to run on Telegram).\n")
    args.region = None
    args.lang = None
    return cmd_chat(args, config)


def cmd_kb_validate(args: argparse.Namespace, config: Config) -> int:
    """`awarebot kb validate [DIR]`: every problem on stderr as file:line: message; exit 1 on any."""
    from bot.service import load_folder

    directory = Path(args.directory) if args.directory else Path(config.knowledge_dir)
    try:
        knowledge, referrals = load_folder(directory)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {directory}", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"OK: {len(knowledge.entries)} entries and {len(referrals.regions())} referral regions in {directory}")
    return EXIT_OK


# -- plumbing --------------------------------------------------------------------------------------------


def _has_database(config: Config) -> bool:
    """Questions need no database: ask and chat read moderators' revisions only when the database already exists."""
    return Path(config.database_path).is_file()


async def _engine(config: Config, with_store: bool) -> Engine:
    from bot.service import load_engine, open_store

    store = await open_store(config) if with_store else None
    try:
        return await load_engine(config, store)
    finally:
        if store is not None:
            await store.close()


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every `awarebot` command (kb tools included)."""
    parser = argparse.ArgumentParser(prog="awarebot", description="awarebot: answers about sex trafficking, with the hotline on every reply.")
    parser.add_argument("--version", action="version", version=f"awarebot {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml when present)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO (kinds, ids, scores; never text)")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question ('-' reads one per line from stdin)")
    ask.add_argument("text", help="the question, or '-' for standard input")
    ask.add_argument("--region", help="country code (e.g. US, GB) or listed country name for the referral block")
    ask.add_argument("--lang", help="the conversation's language so far (en es fr pt uk ru ro th): a prior for "
                     "short messages; a longer message is answered in the language it is written in")
    ask.add_argument("--json", action="store_true", help="one JSON object per reply")
    ask.set_defaults(handler=cmd_ask)

    chat = sub.add_parser("chat", help="interactive console conversation (offline)")
    chat.add_argument("--region", help="country code or listed country name for the referral block")
    chat.add_argument("--lang", help="language to start in (en es fr pt uk ru ro th); /language xx changes it")
    chat.set_defaults(handler=cmd_chat)

    run = sub.add_parser("run", help="start the Telegram bot")
    run.add_argument("--port", type=int, help="webhook mode: listen on this port (overrides [telegram.webhook] port)")
    run.add_argument("--health-port", type=int, help="webhook mode: GET /healthz on this port (0: off)")
    run.add_argument("--workers", type=int, default=1,
                     help="webhook mode: start N worker processes on consecutive ports from the port (default 1)")
    run.set_defaults(handler=cmd_run)

    start = sub.add_parser("start", help="the Telegram bot if a token is configured, else the console chat")
    start.set_defaults(handler=cmd_start)

    kb = sub.add_parser("kb", help="knowledge tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    validate = kb_sub.add_parser("validate", help="check every YAML file; exit 1 on any problem")
    validate.add_argument("directory", nargs="?", help="knowledge folder (default: the configured one)")
    validate.set_defaults(handler=cmd_kb_validate)
    try:
        from bot.kbtools import add_kb_commands
    except ImportError:  # the moderation tools are optional at this stage of the build
        pass
    else:
        add_kb_commands(kb_sub)
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Entry point of `awarebot`/`python -m bot`: parse `argv`, load the config, run the command; the exit
    status (0 ok, 1 problem, 2 usage or config error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    quiet = args.command in ("ask", "chat", "kb", "start") and not args.verbose
    configure_logging("WARNING" if quiet else config.log_level)
    if getattr(args, "lang", None):
        from bot.i18n import normalize_code

        args.lang = normalize_code(args.lang)
    try:
        return int(args.handler(args, config))
    except UsageError as exc:
        print(f"awarebot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KnowledgeError as exc:
        print("awarebot cannot start: the knowledge has problems (nothing was served):", file=sys.stderr)
        print(exc.report(), file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        # The reader went away (`awarebot ask … | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
