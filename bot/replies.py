"""The Reply every front end renders, and the one place that attaches the referral block to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.markup import to_html, to_plain


class ReplyKind(StrEnum):
    """What a reply is: an answer, a fallback, an urgent reply, a referral card, and so on."""
    ANSWER = "answer"
    REFERRAL = "referral"
    URGENT = "urgent"
    FALLBACK = "fallback"
    HELP = "help"
    ERROR = "error"
    SMALLTALK = "smalltalk"
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class Button:
    """A suggested next step. `action` is platform-neutral: `entry:<id>`, `hotline`, `topics`, `region`, `help`,
    `language`, `lang:<code>`."""

    label: str
    action: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What awarebot says. `text` always carries the region's referral block: first when urgent or unsure (or
    `referral_first`), last otherwise."""

    kind: ReplyKind
    body: str
    referral: str
    region: str
    entry_id: str | None = None
    score: float = 0.0
    alternatives: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = field(default=())
    # The language the reply is written in (one awarebot speaks), and what the message was detected as (None when
    # it was too short to tell, or the reply was not to a message): "ar" with lang "en" means no Arabic content.
    lang: str = "en"
    detected_lang: str | None = None
    # The referral block goes first (urgent and unsure replies always; an answer to someone worried about another).
    referral_first: bool = False

    def __post_init__(self) -> None:
        # The referral is not optional: a reply without it must not exist.
        if not self.referral.strip():
            raise ValueError("a Reply needs the referral block of its region")

    @property
    def text(self) -> str:
        """Light-markup text: body and referral block in the order the kind requires."""
        body = self.body.strip()
        if not body:
            return self.referral
        if self.referral_first or self.kind in (ReplyKind.URGENT, ReplyKind.UNSURE):
            return f"{self.referral}\n\n{body}"
        return f"{body}\n\n{self.referral}"

    @property
    def plain(self) -> str:
        """The reply as plain text (no markup), as the console and tests read it."""
        return to_plain(self.text)

    @property
    def html(self) -> str:
        """The reply as Telegram HTML (bold kept, everything else escaped)."""
        return to_html(self.text)
