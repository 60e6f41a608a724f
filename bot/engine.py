"""The answer engine: text + region in, a Reply out. The only place replies are composed, so the only place
the referral is attached (Reply itself refuses to exist without it)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config, MatchingConfig, check_default_region
from bot.errors import KnowledgeError
from bot.knowledge import CATEGORY_TITLES, REFERRALS_FILE, Entry, Knowledge, load_knowledge
from bot.examples import OFF_TOPIC, REFERRAL, SMALLTALK_PREFIX
from bot.models import Models, Prediction, models_for
from bot.referrals import ReferralDirectory, Region, load_referrals, referral_block, referral_card
from bot.replies import Button, Reply, ReplyKind
from bot.safety import Route, is_goods_trafficking, is_other_language, mentions_minor, mentions_someone_close, strong_rule
from bot.text import normalize

log = logging.getLogger(__name__)

# Anything longer is cut before matching (intent) only: nobody's question needs more, and it bounds the work per
# message. Safety routing always reads the whole message.
MAX_MATCH_CHARS = 2000

WELCOME = (
    "**Hello. I'm awarebot.** I answer questions about sex trafficking: what it is, how to spot it, "
    "and where to get help. Ask in your own words.\n"
    "I keep nothing personal: your messages are answered and not stored."
)
HELP = (
    "**How I can help**\n"
    "• Ask a question in your own words, e.g. \"what are the signs of trafficking?\"\n"
    "• Browse topics, or ask for the hotline at any time.\n"
    "• Set your region to get local numbers.\n"
    "If you or someone else is in danger now, call the emergency number below."
)
URGENT = (
    "You are not alone, and it is not your fault.\n"
    "• If you can, call the emergency number above now.\n"
    "• The hotline is free and confidential; they will listen and help you plan what to do next.\n"
    "• If it's not safe to call, try the text line or website, and delete this chat afterwards if your "
    "phone may be checked."
)
# The same without a text line or website, for regions whose directory has neither.
URGENT_CALL_ONLY = (
    "You are not alone, and it is not your fault.\n"
    "• If you can, call the emergency number above now.\n"
    "• The hotline is free and confidential; they will listen and help you plan what to do next.\n"
    "• If it's not safe to call now, wait for a safer moment, and delete this chat afterwards if your "
    "phone may be checked."
)
UNSURE = (
    "If you or someone else is in danger right now, call the emergency number above.\n"
    "I want to make sure I help in the right way: is this happening to you now, to someone else, "
    "or is it a general question?"
)
SMALLTALK: dict[str, str] = {
    "greeting": "Hello. I answer questions about sex trafficking: what it is, how to spot it and where to get "
                "help. Ask in your own words, or pick a topic.",
    "thanks": "You're welcome. Ask me anything else whenever you like.",
    "goodbye": "Take care. You can come back any time; the numbers below are there if you need them.",
    "about-bot": "I'm awarebot, an automated assistant built by volunteers with anti-trafficking organisations. "
                 "I answer from reviewed information and keep nothing personal: your messages are answered and "
                 "not stored.",
    "acknowledgement": "All right. Is there anything else you'd like to know?",
}
HELP_NOW = "I need help now"
SOMEONE_ELSE = "It's about someone else"
GENERAL_QUESTION = "Just a general question"
FALLBACK = (
    "I'm not sure I understood that. I answer questions about sex trafficking, for example "
    "how traffickers recruit people, the signs to look for, or how to report. Try other words or pick a topic:"
)
FALLBACK_OTHER_LANGUAGE = (
    "Sorry, I can only answer in English for now. If you need help, the numbers below can help, and many "
    "hotlines have interpreters. Try asking in English, or pick a topic:"
)
FALLBACK_GOODS = (
    "I answer questions about the trafficking of people, especially for sexual exploitation, rather than "
    "trafficking or smuggling of goods such as drugs or weapons. Pick a topic, or ask about people:"
)
FALLBACK_EMPTY = "Please send your question as text, in your own words. Or pick a topic:"
ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
REFERRAL_INTRO = "Here is where to get help and how to report:"
# Share of the answer threshold a topic needs to be offered under an urgent reply.
URGENT_TOPIC_SHARE = 0.3
SUGGESTED_TOPICS = ("what-is-sex-trafficking", "signs-of-trafficking", "how-to-report", "recruitment-tactics")


@dataclass(frozen=True, slots=True)
class Engine:
    """One immutable version of knowledge + matcher + referral directory. Swapped whole, never mutated."""

    knowledge: Knowledge
    referrals: ReferralDirectory
    models: Models
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    default_region: str = "INTL"
    version: int = 0

    @classmethod
    def build(
        cls,
        knowledge: Knowledge,
        referrals: ReferralDirectory,
        matching: MatchingConfig | None = None,
        default_region: str = "INTL",
        version: int = 0,
    ) -> Engine:
        matching = matching or MatchingConfig()
        return cls(
            knowledge=knowledge,
            referrals=referrals,
            models=models_for(knowledge, matching.model_cache_dir or None),
            matching=matching,
            default_region=default_region,
            version=version,
        )

    @classmethod
    def load(cls, config: Config) -> Engine:
        """Load and validate the knowledge directory named by the config; raises KnowledgeError."""
        knowledge, referrals = load_folder(Path(config.knowledge_dir))
        check_default_region(config, referrals.codes())
        return cls.build(knowledge, referrals, config.matching, config.default_region)

    # -- the one composing function ------------------------------------------------------------------------

    def _reply(
        self,
        kind: ReplyKind,
        body: str,
        region: str | None,
        *,
        full_card: bool = False,
        for_minor: bool = False,
        entry_id: str | None = None,
        score: float = 0.0,
        alternatives: tuple[str, ...] = (),
        buttons: tuple[Button, ...] = (),
        referral_first: bool = False,
    ) -> Reply:
        served = self.referrals.get(region or self.default_region)
        referral = referral_card(served) if full_card else referral_block(served, for_minor=for_minor)
        return Reply(
            kind=kind,
            body=body,
            referral=referral,
            region=served.code,
            entry_id=entry_id,
            score=round(score, 3),
            alternatives=alternatives,
            buttons=buttons,
            referral_first=referral_first,
        )

    # -- public replies ------------------------------------------------------------------------------------

    def respond(self, text: str, region: str | None = None) -> Reply:
        """Answer what a person typed. Never raises for any input text."""
        started = time.perf_counter()
        reply = self._respond(text, region)
        log.info(
            "reply kind=%s entry=%s score=%.3f alternatives=%d region=%s ms=%.2f",
            reply.kind, reply.entry_id, reply.score, len(reply.alternatives), reply.region,
            (time.perf_counter() - started) * 1000,
        )
        return reply

    def _respond(self, text: str, region: str | None) -> Reply:
        norm = normalize(text)  # once per message, whole
        prefix = text[:MAX_MATCH_CHARS]
        prediction = self.models.predict(text, prefix)
        rule = strong_rule(text, norm)
        if rule or prediction.urgent >= self.matching.urgent_threshold:
            return self._urgent(prediction, region, text, norm, Route.RULE if rule else Route.MODEL)
        if not any(ch.isalnum() for ch in norm):
            return self._fallback(FALLBACK_EMPTY, region)
        threshold = self.matching.answer_threshold
        risky = prediction.urgent >= self.matching.unsure_threshold
        intent, confidence = prediction.intent, prediction.confidence
        if confidence >= threshold and intent != OFF_TOPIC:
            if intent == REFERRAL:
                return self.hotline_reply(region, change_region=False)
            if intent.startswith(SMALLTALK_PREFIX):
                return self._smalltalk(intent.removeprefix(SMALLTALK_PREFIX), region)
            if intent in self.knowledge.entries:
                runner_ups = tuple(
                    label for label, p in prediction.intents[1:]
                    if label in self.knowledge.entries and confidence - p <= self.matching.runner_up_margin
                )
                # Someone worried about another person, or a question in the uncertain band: numbers first.
                first = risky or mentions_someone_close(norm)
                return self._answer(intent, confidence, region, runner_ups, referral_first=first)
        near = tuple(label for label, p in prediction.intents if label in self.knowledge.entries and p >= 0.1)
        if risky:
            return self._unsure(region, near)
        if is_goods_trafficking(norm):
            return self._fallback(FALLBACK_GOODS, region)
        message = FALLBACK_OTHER_LANGUAGE if is_other_language(norm) else FALLBACK
        return self._fallback(message, region, near)

    def _urgent(self, prediction: Prediction, region: str | None, text: str, norm: str, why: Route) -> Reply:
        # The topic the message touches, as a way out for someone who was asking in general.
        topic = next((label for label, p in prediction.intents if label in self.knowledge.entries and p >= 0.2), None)
        buttons = [Button("Full hotline card", "hotline")]
        if topic:
            buttons.append(Button(f"Just asking in general: {self._title(topic)}", f"entry:{topic}"))
        log.debug("urgent by %s", why)
        served = self.referrals.get(region or self.default_region)
        body = URGENT if _has_text_or_web(served) else URGENT_CALL_ONLY
        return self._reply(ReplyKind.URGENT, body, region, buttons=tuple(buttons),
                           alternatives=(topic,) if topic else (), for_minor=mentions_minor(text, norm))

    def urgent_reply(self, region: str | None = None) -> Reply:
        """The urgent card on its own (the "I need help now" button)."""
        served = self.referrals.get(region or self.default_region)
        body = URGENT if _has_text_or_web(served) else URGENT_CALL_ONLY
        return self._reply(ReplyKind.URGENT, body, region, buttons=(Button("Full hotline card", "hotline"),))

    def _unsure(self, region: str | None, near: tuple[str, ...]) -> Reply:
        general = f"entry:{near[0]}" if near else "topics"
        buttons = (
            Button(HELP_NOW, "urgent"),
            Button(SOMEONE_ELSE, "entry:how-to-help-someone" if "how-to-help-someone" in self.knowledge.entries
                   else "hotline"),
            Button(GENERAL_QUESTION, general),
        )
        return self._reply(ReplyKind.UNSURE, UNSURE, region, buttons=buttons, alternatives=near[:3])

    def _smalltalk(self, sub_intent: str, region: str | None) -> Reply:
        body = SMALLTALK.get(sub_intent, SMALLTALK["acknowledgement"])
        return self._reply(ReplyKind.SMALLTALK, body, region, buttons=self._menu_buttons())

    def entry_reply(self, entry_id: str, region: str | None = None) -> Reply:
        """The card of one entry (topic browsing, deep links, "Did you mean…" buttons)."""
        if entry_id not in self.knowledge.entries:
            return self._fallback(FALLBACK, region)
        return self._answer(entry_id, 1.0, region, ())

    def hotline_reply(self, region: str | None = None, change_region: bool = True) -> Reply:
        buttons = (Button(self._title("how-to-report"), "entry:how-to-report"),)
        if change_region:
            buttons += (Button("Change region", "region"),)
        return self._reply(ReplyKind.REFERRAL, REFERRAL_INTRO, region, full_card=True, buttons=buttons)

    def help_reply(self, region: str | None = None) -> Reply:
        return self._reply(ReplyKind.HELP, HELP, region, buttons=self._menu_buttons())

    def welcome_reply(self, region: str | None = None) -> Reply:
        return self._reply(ReplyKind.HELP, WELCOME, region, buttons=self._menu_buttons())

    def notice(self, body: str, region: str | None = None, buttons: tuple[Button, ...] = ()) -> Reply:
        """A front end's own message (privacy text, region prompts, moderator notices), composed like every other
        reply so it carries the region's referral block too."""
        return self._reply(ReplyKind.HELP, body, region, buttons=tuple(buttons))

    def error_reply(self, region: str | None = None) -> Reply:
        return self._reply(ReplyKind.ERROR, ERROR, region, buttons=(Button("Hotline", "hotline"),))

    def topics(self) -> dict[str, list[Entry]]:
        """Categories (in display order) with their entries, for browsing."""
        return self.knowledge.by_category()

    def category_title(self, category: str) -> str:
        return CATEGORY_TITLES.get(category, category.replace("-", " ").capitalize())

    # -- helpers -------------------------------------------------------------------------------------------

    def _title(self, entry_id: str) -> str:
        entry = self.knowledge.get(entry_id)
        return entry.title if entry else entry_id

    def _menu_buttons(self) -> tuple[Button, ...]:
        return (Button("Browse topics", "topics"), Button("Hotline", "hotline"), Button("Choose region", "region"))

    def _answer(self, entry_id: str, score: float, region: str | None, runner_ups: tuple[str, ...],
                referral_first: bool = False) -> Reply:
        entry = self.knowledge.entries[entry_id]
        buttons = [Button(f"Did you mean: {self._title(r)}?", f"entry:{r}") for r in runner_ups]
        shown = set(runner_ups) | {entry.id}
        buttons += [Button(self._title(r), f"entry:{r}") for r in entry.related if r not in shown][:3]
        body = f"**{entry.title}**\n{entry.answer}"
        return self._reply(
            ReplyKind.ANSWER, body, region, entry_id=entry.id, score=score,
            alternatives=runner_ups, buttons=tuple(buttons), referral_first=referral_first,
        )

    def _fallback(self, message: str, region: str | None, near: tuple[str, ...] = ()) -> Reply:
        suggestions = [e for e in near if e in self.knowledge.entries]
        suggestions += [e for e in SUGGESTED_TOPICS if e in self.knowledge.entries and e not in suggestions]
        buttons = tuple(Button(self._title(e), f"entry:{e}") for e in suggestions[:4]) + (
            Button("Browse topics", "topics"),
        )
        return self._reply(ReplyKind.FALLBACK, message, region, alternatives=tuple(near[:3]), buttons=buttons)


def _has_text_or_web(served: Region) -> bool:
    """The region's directory lists a text line or a website (so the urgent text may mention one)."""
    return any(h.sms or h.web for h in served.hotlines)


def load_folder(directory: Path) -> tuple[Knowledge, ReferralDirectory]:
    """A knowledge folder's entries and referral directory, validated together; raises KnowledgeError listing
    every problem of both (never half of them)."""
    problems = []
    knowledge = referrals = None
    try:
        knowledge = load_knowledge(directory)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    try:
        referrals = load_referrals(directory / REFERRALS_FILE)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    if problems or knowledge is None or referrals is None:
        raise KnowledgeError(problems)
    return knowledge, referrals


class LiveEngine:
    """Holds the engine in service. Publishing swaps the reference in one assignment: a question in flight keeps
    the snapshot it started with and never sees half an update."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def current(self) -> Engine:
        return self._engine

    def swap(self, engine: Engine) -> None:
        self._engine = engine
