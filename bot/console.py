"""The offline console conversation (`awarebot chat`): the same engine and replies as Telegram, in a terminal."""

from __future__ import annotations

from typing import TextIO

from bot.engine import Engine
from bot.markup import to_plain
from bot.replies import Reply

PROMPT = "you> "
COMMANDS = (
    "Commands: /hotline [CC] · /region CC · /topics · /forget · /help · /quit. Numbers open the suggestions shown."
)
FORGOTTEN = (
    "Forgotten: your region and the suggestions shown are cleared. Nothing you typed was stored; "
    "to clear this window too, close the terminal or clear its scrollback."
)


class ConsoleChat:
    """A read-eval-print loop. The region lives in this object only; nothing is written anywhere."""

    def __init__(self, engine: Engine, region: str, stdin: TextIO, stdout: TextIO) -> None:
        self.engine = engine
        self.region = engine.referrals.resolve(region) or engine.default_region
        self.stdin = stdin
        self.stdout = stdout
        self.choices: list[str] = []  # entry ids behind the numbers last shown

    def say(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    def show(self, reply: Reply) -> None:
        self.choices = [b.action.removeprefix("entry:") for b in reply.buttons if b.action.startswith("entry:")]
        self.say("")
        self.say(reply.plain)
        for number, button in enumerate(b for b in reply.buttons if b.action.startswith("entry:")):
            self.say(f"  [{number + 1}] {button.label}")
        self.say("")

    def run(self) -> int:
        self.show(self.engine.welcome_reply(self.region))
        self.say(COMMANDS)
        while True:
            self.stdout.write(PROMPT)
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:  # end of input
                self.say("")
                return 0
            if not self.handle(line.strip()):
                self.say("Take care. The numbers above are there whenever you need them.")
                return 0

    def handle(self, line: str) -> bool:
        """Answer one line (a command, a suggestion number or a question); False when the person wants to stop."""
        command, _, argument = line.partition(" ")
        command = command.lower()
        if command in ("/quit", "/exit", "/q"):
            return False
        if command == "/hotline":
            asked = self.engine.referrals.lookup(argument) if argument.strip() else None
            self.show(self.engine.hotline_reply(asked or self.region))
        elif command == "/forget":
            self.region = self.engine.default_region
            self.choices = []
            self.say(FORGOTTEN)
        elif command == "/help" or command == "/start":
            self.show(self.engine.help_reply(self.region))
            self.say(COMMANDS)
        elif command == "/region":
            self.change_region(argument.strip())
        elif command == "/topics":
            self.show_topics()
        elif line.isdigit() and 0 < int(line) <= len(self.choices):
            self.show(self.engine.entry_reply(self.choices[int(line) - 1], self.region))
        elif command.startswith("/"):
            self.show(self.engine.help_reply(self.region))
            self.say(f"I don't know {command}. {COMMANDS}")
        else:
            self.show(self.engine.respond(line, self.region))
        return True

    def change_region(self, code: str) -> None:
        if not code:
            listed = ", ".join(f"{r.code} ({r.name})" for r in self.engine.referrals.regions())
            self.say(f"Your region is {self.region}. Choose one with /region CC, for example /region GB.\n{listed}")
            return
        resolved = self.engine.referrals.lookup(code)
        if resolved is None:
            self.say(f"I don't know the region {code!r}. Use a two-letter country code such as US, GB or KE.")
            return
        self.region = code.upper() if self.engine.referrals.resolve(code) else resolved
        served = self.engine.referrals.get(self.region)
        self.say(f"Region set to {self.region}: showing numbers for {served.name}.")
        self.show(self.engine.hotline_reply(self.region))

    def show_topics(self) -> None:
        self.choices = []
        self.say("")
        for category, entries in self.engine.topics().items():
            self.say(to_plain(self.engine.category_title(category)))
            for entry in entries:
                self.choices.append(entry.id)
                self.say(f"  [{len(self.choices)}] {entry.title}")
        self.say("\nType a number to read a topic.")
