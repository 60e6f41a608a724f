"""The answer engine: text + region + language in, a Reply out. The only place replies are composed, so the only place
the referral is attached (Reply itself refuses to exist without it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config, MatchingConfig
from bot.errors import KnowledgeError
from bot.i18n import N_, SOURCE_LANGUAGE, choose_language, gettext, languages, native_name
from bot.knowledge import CATEGORY_TITLES, REFERRALS_FILE, Entry, Knowledge, load_knowledge
from bot.matching import Match, Matcher
from bot.referrals import ReferralDirectory, load_referrals, referral_block, referral_card
from bot.replies import Button, Reply, ReplyKind
from bot.safety import Route, mentions_minor, route
from bot.text import normalize

log = logging.getLogger(__name__)

# Anything longer is cut before matching: nobody's question needs more, and it bounds the work per message.
MAX_MATCH_CHARS = 2000

WELCOME = N_(
    "**Hello. I'm awarebot.** I answer questions about sex trafficking: what it is, how to spot it, "
    "and where to get help. Ask in your own words.\n"
    "I keep nothing personal: your messages are answered and not stored."
)
HELP = N_(
    "**How I can help**\n"
    "• Ask a question in your own words, e.g. \"what are the signs of trafficking?\"\n"
    "• Browse topics, or ask for the hotline at any time.\n"
    "• Set your region to get local numbers.\n"
    "If you or someone else is in danger now, call the emergency number below."
)
URGENT = N_(
    "You are not alone, and it is not your fault.\n"
    "• If you can, call the emergency number above now.\n"
    "• The hotline is free and confidential; they will listen and help you plan what to do next.\n"
    "• If it's not safe to call, try the text line or website, and delete this chat afterwards if your "
    "phone may be checked."
)
FALLBACK = N_(
    "I'm not sure I understood that. I answer questions about sex trafficking, for example "
    "how traffickers recruit people, the signs to look for, or how to report. Try other words or pick a topic:"
)
FALLBACK_OTHER_LANGUAGE = N_(
    "Sorry, I can't answer in your language yet. If you need help, the numbers below can help, and many "
    "hotlines have interpreters. Try asking in English, or pick a topic:"
)
FALLBACK_GOODS = N_(
    "I answer questions about the trafficking of people, especially for sexual exploitation, rather than "
    "trafficking or smuggling of goods such as drugs or weapons. Pick a topic, or ask about people:"
)
FALLBACK_EMPTY = N_("Please send your question as text, in your own words. Or pick a topic:")
ERROR = N_("Sorry, something went wrong on my side. Please try again in a moment.")
REFERRAL_INTRO = N_("Here is where to get help and how to report:")
# Said above an English answer when the person's language has no translation of it yet (never half-translated).
NOT_TRANSLATED = N_("This answer is not available in your language yet, so here it is in English:")
FULL_CARD = N_("Full hotline card")
JUST_ASKING = N_("Just asking in general: {title}")
DID_YOU_MEAN = N_("Did you mean: {title}?")
BROWSE_TOPICS = N_("Browse topics")
HOTLINE_LABEL = N_("Hotline")
CHOOSE_REGION = N_("Choose region")
CHANGE_REGION = N_("Change region")
LANGUAGE_LABEL = N_("Language")
CATEGORY_LABELS = {
    "basics": N_("The basics"),
    "how-it-works": N_("How traffickers operate"),
    "effects": N_("Effects on survivors"),
    "law": N_("Law and rights"),
    "around-the-world": N_("Around the world"),
    "prevention": N_("Prevention and awareness"),
    "getting-help": N_("Getting help"),
    "about": N_("About this bot"),
}
# Share of the answer threshold a topic needs to be offered under an urgent reply.
URGENT_TOPIC_SHARE = 0.3
SUGGESTED_TOPICS = ("what-is-sex-trafficking", "signs-of-trafficking", "how-to-report", "recruitment-tactics")


@dataclass(frozen=True, slots=True)
class Engine:
    """One immutable version of knowledge + matchers + referral directory. Swapped whole, never mutated."""

    knowledge: Knowledge
    referrals: ReferralDirectory
    matcher: Matcher
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    default_region: str = "INTL"
    version: int = 0
    # One matcher per language with translated entries (their titles and phrasings); English is `matcher`.
    matchers: Mapping[str, Matcher] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        knowledge: Knowledge,
        referrals: ReferralDirectory,
        matching: MatchingConfig | None = None,
        default_region: str = "INTL",
        version: int = 0,
    ) -> Engine:
        return cls(
            knowledge=knowledge,
            referrals=referrals,
            matcher=Matcher(knowledge),
            matching=matching or MatchingConfig(),
            default_region=default_region,
            version=version,
            matchers={lang: Matcher(knowledge.localized(lang)) for lang in knowledge.content_languages()},
        )

    @classmethod
    def load(cls, config: Config) -> Engine:
        """Load and validate the knowledge directory named by the config; raises KnowledgeError."""
        knowledge, referrals = load_folder(Path(config.knowledge_dir))
        return cls.build(knowledge, referrals, config.matching, config.default_region)

    # -- languages -----------------------------------------------------------------------------------------

    def languages(self) -> tuple[str, ...]:
        """Languages a person can choose: English and every language with an interface catalogue."""
        return languages()

    def choose_language(self, text: str, prior: str | None = None, user_language: str | None = None) -> str:
        """The language to answer `text` in (see bot.i18n.choose_language); always one of languages()."""
        return choose_language(text, prior, user_language=user_language, spoken=self.languages())[0]

    # -- the one composing function ------------------------------------------------------------------------

    def _reply(
        self,
        kind: ReplyKind,
        body: str,
        region: str | None,
        *,
        lang: str = SOURCE_LANGUAGE,
        full_card: bool = False,
        for_minor: bool = False,
        entry_id: str | None = None,
        score: float = 0.0,
        alternatives: tuple[str, ...] = (),
        buttons: tuple[Button, ...] = (),
        detected: str | None = None,
    ) -> Reply:
        served = self.referrals.get(region or self.default_region)
        referral = (
            referral_card(served, lang) if full_card else referral_block(served, for_minor=for_minor, lang=lang)
        )
        return Reply(
            kind=kind,
            body=body,
            referral=referral,
            region=served.code,
            entry_id=entry_id,
            score=round(score, 3),
            alternatives=alternatives,
            buttons=buttons,
            lang=lang,
            detected_lang=detected,
        )

    # -- public replies ------------------------------------------------------------------------------------

    def respond(self, text: str, region: str | None = None, lang: str | None = None,
                *, user_language: str | None = None) -> Reply:
        """Answer what a person typed, in the language it is written in. `lang` is the chat's language so far
        (the person's choice or the last reply's), `user_language` the platform's hint (Telegram language_code);
        both are priors for short or unclear messages. Never raises for any input text."""
        started = time.perf_counter()
        clipped = text[:MAX_MATCH_CHARS]
        reply_lang, detected = choose_language(clipped, lang, user_language=user_language, spoken=self.languages())
        reply = self._respond(clipped, region, reply_lang, detected)
        log.info(
            "reply kind=%s entry=%s score=%.3f alternatives=%d region=%s lang=%s detected=%s ms=%.2f",
            reply.kind, reply.entry_id, reply.score, len(reply.alternatives), reply.region, reply.lang,
            detected, (time.perf_counter() - started) * 1000,
        )
        return reply

    def _respond(self, text: str, region: str | None, lang: str, detected: str | None) -> Reply:
        norm = normalize(text)  # once per message: routing and matching share it
        decision = route(text, norm)
        matcher = self.matcher if lang == SOURCE_LANGUAGE else self.matchers.get(lang)
        if decision is Route.URGENT:
            # The topic the message touches, as a way out for someone who was asking in general.
            match = matcher.best(text, norm) if matcher is not None else None
            # Only a suggestion, so a lower bar than an answer: personal words dilute the score of urgent messages.
            topic = match.entry_id if match and match.score >= self.matching.answer_threshold * URGENT_TOPIC_SHARE else None
            buttons = [Button(gettext(lang, FULL_CARD), "hotline")]
            if topic:
                buttons.append(Button(gettext(lang, JUST_ASKING).format(title=self._title(topic, lang)), f"entry:{topic}"))
            return self._reply(ReplyKind.URGENT, gettext(lang, URGENT), region, lang=lang, buttons=tuple(buttons),
                               alternatives=(topic,) if topic else (), for_minor=mentions_minor(text, norm),
                               detected=detected)
        if decision is Route.REFERRAL:
            return self._reply(
                ReplyKind.REFERRAL, gettext(lang, REFERRAL_INTRO), region, lang=lang, full_card=True,
                buttons=(Button(self._title("how-to-report", lang), "entry:how-to-report"),), detected=detected,
            )
        if decision is Route.EMPTY:
            return self._fallback(FALLBACK_EMPTY, region, lang=lang, detected=detected)
        if decision is Route.OTHER_TRAFFICKING:
            return self._fallback(FALLBACK_GOODS, region, lang=lang, detected=detected)
        if matcher is None:  # a language awarebot speaks but has no entries in yet
            return self._fallback(FALLBACK_OTHER_LANGUAGE, region, lang=lang, detected=detected)
        matches = matcher.rank(text, limit=3, norm=norm)
        threshold = self.matching.answer_threshold
        if not matches or matches[0].score < threshold:
            other = decision is Route.OTHER_LANGUAGE and lang == SOURCE_LANGUAGE
            message = FALLBACK_OTHER_LANGUAGE if other else FALLBACK
            near = tuple(m.entry_id for m in matches if m.score >= threshold * 0.6)
            return self._fallback(message, region, near, lang=lang, detected=detected)
        best = matches[0]
        runner_ups = tuple(
            m.entry_id for m in matches[1:]
            if m.score >= threshold and best.score - m.score <= self.matching.runner_up_margin
        )
        return self._answer(best, region, runner_ups, lang, detected)

    def entry_reply(self, entry_id: str, region: str | None = None, lang: str | None = None) -> Reply:
        """The card of one entry (topic browsing, deep links, "Did you mean…" buttons), in `lang` when translated."""
        lang = self._spoken(lang)
        if entry_id not in self.knowledge.entries:
            return self._fallback(FALLBACK, region, lang=lang)
        return self._answer(Match(entry_id, 1.0), region, (), lang)

    def hotline_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        lang = self._spoken(lang)
        return self._reply(
            ReplyKind.REFERRAL, gettext(lang, REFERRAL_INTRO), region, lang=lang, full_card=True,
            buttons=(Button(self._title("how-to-report", lang), "entry:how-to-report"),
                     Button(gettext(lang, CHANGE_REGION), "region")),
        )

    def help_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        lang = self._spoken(lang)
        return self._reply(ReplyKind.HELP, gettext(lang, HELP), region, lang=lang, buttons=self._menu_buttons(lang))

    def welcome_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        lang = self._spoken(lang)
        return self._reply(ReplyKind.HELP, gettext(lang, WELCOME), region, lang=lang, buttons=self._menu_buttons(lang))

    def notice(self, body: str, region: str | None = None, buttons: tuple[Button, ...] = (),
               lang: str | None = None) -> Reply:
        """A front end's own message (privacy text, region prompts, moderator notices), composed like every other
        reply so it carries the region's referral block too. `body` is already in `lang`."""
        return self._reply(ReplyKind.HELP, body, region, lang=self._spoken(lang), buttons=tuple(buttons))

    def error_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        lang = self._spoken(lang)
        return self._reply(ReplyKind.ERROR, gettext(lang, ERROR), region, lang=lang,
                           buttons=(Button(gettext(lang, HOTLINE_LABEL), "hotline"),))

    def topics(self) -> dict[str, list[Entry]]:
        """Categories (in display order) with their entries, for browsing (sorted by English title)."""
        return self.knowledge.by_category()

    def topics_in(self, lang: str | None) -> dict[str, list[tuple[str, str]]]:
        """Categories with their entries as (entry id, title in `lang`), sorted by that title."""
        lang = self._spoken(lang)
        return {
            category: sorted(((e.id, self._title(e.id, lang)) for e in entries), key=lambda pair: pair[1].casefold())
            for category, entries in self.knowledge.by_category().items()
        }

    def category_title(self, category: str, lang: str | None = None) -> str:
        label = CATEGORY_LABELS.get(category)
        if label is not None:
            return gettext(lang, label)
        return CATEGORY_TITLES.get(category, category.replace("-", " ").capitalize())

    def entry_title(self, entry_id: str, lang: str | None = None) -> str:
        """An entry's title in `lang` (English when not translated)."""
        return self._title(entry_id, self._spoken(lang))

    def language_buttons(self) -> tuple[Button, ...]:
        """One button per language, labelled with its own name ("Español", "Українська")."""
        return tuple(Button(native_name(code), f"lang:{code}") for code in self.languages())

    # -- helpers -------------------------------------------------------------------------------------------

    def _spoken(self, lang: str | None) -> str:
        return lang if lang in self.languages() else SOURCE_LANGUAGE  # type: ignore[return-value]

    def _title(self, entry_id: str, lang: str = SOURCE_LANGUAGE) -> str:
        translated = self.knowledge.translation(entry_id, lang)
        if translated is not None:
            return translated.title
        entry = self.knowledge.get(entry_id)
        return entry.title if entry else entry_id

    def _menu_buttons(self, lang: str = SOURCE_LANGUAGE) -> tuple[Button, ...]:
        return (Button(gettext(lang, BROWSE_TOPICS), "topics"), Button(gettext(lang, HOTLINE_LABEL), "hotline"),
                Button(gettext(lang, CHOOSE_REGION), "region"), Button(gettext(lang, LANGUAGE_LABEL), "language"))

    def _answer(self, match: Match, region: str | None, runner_ups: tuple[str, ...], lang: str = SOURCE_LANGUAGE,
                detected: str | None = None) -> Reply:
        entry = self.knowledge.entries[match.entry_id]
        buttons = [Button(gettext(lang, DID_YOU_MEAN).format(title=self._title(r, lang)), f"entry:{r}")
                   for r in runner_ups]
        shown = set(runner_ups) | {entry.id}
        buttons += [Button(self._title(r, lang), f"entry:{r}") for r in entry.related if r not in shown][:3]
        translated = self.knowledge.translation(entry.id, lang)
        if lang == SOURCE_LANGUAGE:
            body = f"**{entry.title}**\n{entry.answer}"
        elif translated is not None:
            body = f"**{translated.title}**\n{translated.answer}"
        else:  # whole English answer, with one line in the person's language saying so
            body = f"{gettext(lang, NOT_TRANSLATED)}\n\n**{entry.title}**\n{entry.answer}"
        return self._reply(
            ReplyKind.ANSWER, body, region, lang=lang, entry_id=entry.id, score=match.score,
            alternatives=runner_ups, buttons=tuple(buttons), detected=detected,
        )

    def _fallback(self, message: str, region: str | None, near: tuple[str, ...] = (), *,
                  lang: str = SOURCE_LANGUAGE, detected: str | None = None) -> Reply:
        suggestions = [e for e in near if e in self.knowledge.entries]
        suggestions += [e for e in SUGGESTED_TOPICS if e in self.knowledge.entries and e not in suggestions]
        buttons = tuple(Button(self._title(e, lang), f"entry:{e}") for e in suggestions[:4]) + (
            Button(gettext(lang, BROWSE_TOPICS), "topics"),
        )
        return self._reply(ReplyKind.FALLBACK, gettext(lang, message), region, lang=lang,
                           alternatives=tuple(near[:3]), buttons=buttons, detected=detected)


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
