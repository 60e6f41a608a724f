"""The offline console conversation (`awarebot chat`): the same engine and replies as Telegram, in a terminal."""

from __future__ import annotations

from typing import TextIO

from bot.engine import Engine
from bot.i18n import N_, gettext, native_name, normalize_code
from bot.markup import to_plain
from bot.referrals import region_name
from bot.replies import Reply

PROMPT = "you> "
COMMANDS = N_(
    "Commands: /hotline [CC] · /region CC · /language xx · /topics · /forget · /help · /quit. "
    "Numbers open the suggestions shown."
)
FORGOTTEN = N_(
    "Forgotten: your region and the suggestions shown are cleared. Nothing you typed was stored; "
    "to clear this window too, close the terminal or clear its scrollback."
)
GOODBYE = N_("Take care. The numbers above are there whenever you need them.")
UNKNOWN_COMMAND = N_("I don't know {command}.")
REGION_NOW = N_("Your region is {region}. Choose one with /region CC, for example /region GB.")
REGION_UNKNOWN = N_("I don't know the region {code}. Use a two-letter country code such as US, GB or KE.")
REGION_SET = N_("Region set to {code}: showing numbers for {name}.")
LANGUAGE_NOW = N_("Language: {name}. Choose one with /language xx: {choices}.")
LANGUAGE_SET = N_("Language set: {name}.")
READ_TOPIC = N_("Type a number to read a topic.")


class ConsoleChat:
    """A read-eval-print loop. The region lives in this object only; nothing is written anywhere."""

    def __init__(self, engine: Engine, region: str, stdin: TextIO, stdout: TextIO, lang: str | None = None) -> None:
        self.engine = engine
        self.region = engine.referrals.resolve(region) or engine.default_region
        # The conversation's language: the person's choice, then the language of each reply (a prior for the next).
        self.lang = lang if lang in engine.languages() else "en"
        self.stdin = stdin
        self.stdout = stdout
        self.choices: list[str] = []  # entry ids behind the numbers last shown

    def say(self, text: str) -> None:
        """Print one line (or block) to the conversation's output."""
        print(text, file=self.stdout, flush=True)

    def show(self, reply: Reply) -> None:
        """Print a reply in plain text with its suggestions numbered; remembers what the numbers open."""
        self.choices = [b.action.removeprefix("entry:") for b in reply.buttons if b.action.startswith("entry:")]
        self.say("")
        self.say(reply.plain)
        for number, button in enumerate(b for b in reply.buttons if b.action.startswith("entry:")):
            self.say(f"  [{number + 1}] {button.label}")
        self.say("")

    def t(self, message: str) -> str:
        return gettext(self.lang, message)

    def run(self) -> int:
        """The loop: welcome, then one reply per input line until /quit or end of input; returns 0."""
        self.show(self.engine.welcome_reply(self.region, self.lang))
        self.say(self.t(COMMANDS))
        while True:
            self.stdout.write(PROMPT)
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:  # end of input
                self.say("")
                return 0
            if not self.handle(line.strip()):
                self.say(self.t(GOODBYE))
                return 0

    def handle(self, line: str) -> bool:
        """Answer one line (a command, a suggestion number or a question); False when the person wants to stop."""
        command, _, argument = line.partition(" ")
        command = command.lower()
        if command in ("/quit", "/exit", "/q"):
            return False
        if command == "/hotline":
            asked = self.engine.referrals.lookup(argument) if argument.strip() else None
            self.show(self.engine.hotline_reply(asked or self.region, self.lang))
        elif command == "/forget":
            self.region = self.engine.default_region
            self.choices = []
            self.say(self.t(FORGOTTEN))
        elif command == "/help" or command == "/start":
            self.show(self.engine.help_reply(self.region, self.lang))
            self.say(self.t(COMMANDS))
        elif command == "/region":
            self.change_region(argument.strip())
        elif command == "/language":
            self.change_language(argument.strip())
        elif command == "/topics":
            self.show_topics()
        elif line.isdigit() and 0 < int(line) <= len(self.choices):
            self.show(self.engine.entry_reply(self.choices[int(line) - 1], self.region, self.lang))
        elif command.startswith("/"):
            self.show(self.engine.help_reply(self.region, self.lang))
            self.say(f"{self.t(UNKNOWN_COMMAND).format(command=command)} {self.t(COMMANDS)}")
        else:
            reply = self.engine.respond(line, self.region, self.lang)
            self.lang = reply.lang
            self.show(reply)
        return True

    def change_language(self, code: str) -> None:
        wanted = normalize_code(code)
        if wanted not in self.engine.languages():
            choices = ", ".join(f"{c} ({native_name(c)})" for c in self.engine.languages())
            self.say(self.t(LANGUAGE_NOW).format(name=native_name(self.lang), choices=choices))
            return
        self.lang = str(wanted)
        self.say(self.t(LANGUAGE_SET).format(name=native_name(self.lang)))
        self.show(self.engine.help_reply(self.region, self.lang))

    def change_region(self, code: str) -> None:
        """`/region CC`: switch to a code, alias or listed country name (listing the regions when empty)."""
        if not code:
            listed = ", ".join(f"{r.code} ({region_name(r, self.lang)})" for r in self.engine.referrals.regions())
            self.say(f"{self.t(REGION_NOW).format(region=self.region)}\n{listed}")
            return
        resolved = self.engine.referrals.lookup(code)
        if resolved is None:
            self.say(self.t(REGION_UNKNOWN).format(code=repr(code)))
            return
        self.region = code.upper() if self.engine.referrals.resolve(code) else resolved
        served = self.engine.referrals.get(self.region)
        self.say(self.t(REGION_SET).format(code=self.region, name=region_name(served, self.lang)))
        self.show(self.engine.hotline_reply(self.region, self.lang))

    def show_topics(self) -> None:
        """`/topics`: every category and entry title, numbered so a number opens it."""
        self.choices = []
        self.say("")
        for category, entries in self.engine.topics_in(self.lang).items():
            self.say(to_plain(self.engine.category_title(category, self.lang)))
            for entry_id, title in entries:
                self.choices.append(entry_id)
                self.say(f"  [{len(self.choices)}] {title}")
        self.say("\n" + self.t(READ_TOPIC))
