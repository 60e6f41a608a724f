"""The answer engine: text + region + language in, a Reply out. The only place replies are composed, so the only place
the referral is attached (Reply itself refuses to exist without it)."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config, MatchingConfig, check_default_region
from bot.errors import KnowledgeError
from bot.examples import OFF_TOPIC, REFERRAL, SMALLTALK_PREFIX
from bot.i18n import (
    N_,
    SOURCE_LANGUAGE,
    choose_language,
    combine_detection,
    detector,
    gettext,
    languages,
    load_catalogues,
    native_name,
)
from bot.knowledge import CATEGORY_TITLES, REFERRALS_FILE, Entry, Knowledge, load_knowledge
from bot.models import Models, Prediction, models_for
from bot.referrals import ReferralDirectory, Region, load_referrals, referral_block, referral_card
from bot.replies import Button, Reply, ReplyKind
from bot.safety import (
    Route,
    is_goods_trafficking,
    is_other_language,
    mentions_minor,
    mentions_someone_close,
    strong_rule,
)
from bot.text import normalize

log = logging.getLogger(__name__)

# Anything longer is cut before matching (intent) only: nobody's question needs more, and it bounds the work per
# message. Safety routing always reads the whole message.
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
# The same without a text line or website, for regions whose directory has neither.
URGENT_CALL_ONLY = N_(
    "You are not alone, and it is not your fault.\n"
    "• If you can, call the emergency number above now.\n"
    "• The hotline is free and confidential; they will listen and help you plan what to do next.\n"
    "• If it's not safe to call now, wait for a safer moment, and delete this chat afterwards if your "
    "phone may be checked."
)
UNSURE = N_(
    "If you or someone else is in danger right now, call the emergency number above.\n"
    "I want to make sure I help in the right way: is this happening to you now, to someone else, "
    "or is it a general question?"
)
SMALLTALK: dict[str, str] = {
    "greeting": N_("Hello. I answer questions about sex trafficking: what it is, how to spot it and where to get "
                   "help. Ask in your own words, or pick a topic."),
    "thanks": N_("You're welcome. Ask me anything else whenever you like."),
    "goodbye": N_("Take care. You can come back any time; the numbers below are there if you need them."),
    "about-bot": N_("I'm awarebot, an automated assistant built by volunteers with anti-trafficking organisations. "
                    "I answer from reviewed information and keep nothing personal: your messages are answered and "
                    "not stored."),
    "acknowledgement": N_("All right. Is there anything else you'd like to know?"),
}
HELP_NOW = N_("I need help now")
SOMEONE_ELSE = N_("It's about someone else")
GENERAL_QUESTION = N_("Just a general question")
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
    """One immutable version of knowledge + learned models + referral directory. Swapped whole, never mutated."""

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
        """An engine over validated knowledge and directory: fits or loads the models (cached by a hash of
        the training data). Raises nothing for well-formed input."""
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
        load_catalogues()  # a skipped catalogue build stops start-up here, not on someone's message
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
        lang: str = SOURCE_LANGUAGE,
        detected: str | None = None,
        full_card: bool = False,
        for_minor: bool = False,
        entry_id: str | None = None,
        score: float = 0.0,
        alternatives: tuple[str, ...] = (),
        buttons: tuple[Button, ...] = (),
        referral_first: bool = False,
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
            referral_first=referral_first,
            lang=lang,
            detected_lang=detected,
        )

    # -- public replies ------------------------------------------------------------------------------------

    def respond(self, text: str, region: str | None = None, lang: str | None = None,
                *, user_language: str | None = None) -> Reply:
        """Answer what a person typed, in the language it is written in. `lang` is the chat's language so far
        (the person's choice or the last reply's), `user_language` the platform's hint (Telegram language_code);
        both are priors for short or unclear messages (bot.i18n.choose_language). A language awarebot does not
        speak is answered in English (`Reply.detected_lang` says what it was). Never raises for any input text."""
        started = time.perf_counter()
        norm = normalize(text)  # once per message, whole
        prefix = text[:MAX_MATCH_CHARS]
        prediction = self.models.predict(text, prefix, norm=norm)
        detection = combine_detection(detector().detect(prefix), prediction.languages, self.models.languages())
        reply_lang, detected = choose_language(prefix, lang, user_language=user_language, detection=detection,
                                               spoken=self.languages())
        reply = self._respond(text, region, reply_lang, detected, norm, prediction)
        log.info(
            "reply kind=%s entry=%s score=%.3f alternatives=%d region=%s lang=%s detected=%s ms=%.2f",
            reply.kind, reply.entry_id, reply.score, len(reply.alternatives), reply.region, reply.lang, detected,
            (time.perf_counter() - started) * 1000,
        )
        return reply

    def _respond(self, text: str, region: str | None, lang: str, detected: str | None, norm: str,
                 prediction: Prediction) -> Reply:
        # The other languages' danger words are left to the model in a language it was trained on.
        rule = strong_rule(text, norm, learned=detected is not None and detected in self.languages())
        if rule or prediction.urgent >= self.matching.urgent_threshold:
            return self._urgent(prediction, region, text, norm, Route.RULE if rule else Route.MODEL, lang, detected)
        if not any(ch.isalnum() for ch in norm):
            return self._fallback(FALLBACK_EMPTY, region, lang=lang, detected=detected)
        threshold = self.matching.answer_threshold
        risky = prediction.urgent >= self.matching.unsure_threshold
        intent, confidence = prediction.intent, prediction.confidence
        if confidence >= threshold and intent != OFF_TOPIC:
            if intent == REFERRAL:
                return dataclasses.replace(self.hotline_reply(region, lang, change_region=False), detected_lang=detected)
            if intent.startswith(SMALLTALK_PREFIX) and not risky:  # never small talk in the uncertain band
                return self._smalltalk(intent.removeprefix(SMALLTALK_PREFIX), region, lang, detected)
            if intent in self.knowledge.entries:
                runner_ups = tuple(
                    label for label, p in prediction.intents[1:]
                    if label in self.knowledge.entries and confidence - p <= self.matching.runner_up_margin
                )
                # Someone worried about another person, or a question in the uncertain band: numbers first.
                first = risky or mentions_someone_close(norm)
                return self._answer(intent, confidence, region, runner_ups, referral_first=first, lang=lang,
                                    detected=detected)
        near = tuple(label for label, p in prediction.intents if label in self.knowledge.entries and p >= 0.1)
        if risky:
            return self._unsure(region, near, lang, detected)
        if is_goods_trafficking(norm):
            return self._fallback(FALLBACK_GOODS, region, lang=lang, detected=detected)
        # English reply to a message in a language awarebot does not speak: say so, kindly, with the numbers.
        other = lang == SOURCE_LANGUAGE and (
            (detected is not None and detected != SOURCE_LANGUAGE) or is_other_language(norm)
        )
        message = FALLBACK_OTHER_LANGUAGE if other else FALLBACK
        return self._fallback(message, region, near, lang=lang, detected=detected)

    def _urgent(self, prediction: Prediction, region: str | None, text: str, norm: str, why: Route,
                lang: str = SOURCE_LANGUAGE, detected: str | None = None) -> Reply:
        # The topic the message touches, as a way out for someone who was asking in general.
        topic = next((label for label, p in prediction.intents if label in self.knowledge.entries and p >= 0.2), None)
        buttons = [Button(gettext(lang, FULL_CARD), "hotline")]
        if topic:
            buttons.append(Button(gettext(lang, JUST_ASKING).format(title=self._title(topic, lang)), f"entry:{topic}"))
        log.debug("urgent by %s", why)
        served = self.referrals.get(region or self.default_region)
        body = URGENT if _has_text_or_web(served) else URGENT_CALL_ONLY
        return self._reply(ReplyKind.URGENT, gettext(lang, body), region, lang=lang, detected=detected,
                           buttons=tuple(buttons), alternatives=(topic,) if topic else (),
                           for_minor=mentions_minor(text, norm))

    def urgent_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        """The urgent card on its own (the "I need help now" button)."""
        lang = self._spoken(lang)
        served = self.referrals.get(region or self.default_region)
        body = URGENT if _has_text_or_web(served) else URGENT_CALL_ONLY
        return self._reply(ReplyKind.URGENT, gettext(lang, body), region, lang=lang,
                           buttons=(Button(gettext(lang, FULL_CARD), "hotline"),))

    def _unsure(self, region: str | None, near: tuple[str, ...], lang: str = SOURCE_LANGUAGE,
                detected: str | None = None) -> Reply:
        general = f"entry:{near[0]}" if near else "topics"
        buttons = (
            Button(gettext(lang, HELP_NOW), "urgent"),
            Button(gettext(lang, SOMEONE_ELSE),
                   "entry:how-to-help-someone" if "how-to-help-someone" in self.knowledge.entries else "hotline"),
            Button(gettext(lang, GENERAL_QUESTION), general),
        )
        return self._reply(ReplyKind.UNSURE, gettext(lang, UNSURE), region, lang=lang, detected=detected,
                           buttons=buttons, alternatives=near[:3])

    def _smalltalk(self, sub_intent: str, region: str | None, lang: str = SOURCE_LANGUAGE,
                   detected: str | None = None) -> Reply:
        body = SMALLTALK.get(sub_intent, SMALLTALK["acknowledgement"])
        return self._reply(ReplyKind.SMALLTALK, gettext(lang, body), region, lang=lang, detected=detected,
                           buttons=self._menu_buttons(lang))

    def entry_reply(self, entry_id: str, region: str | None = None, lang: str | None = None) -> Reply:
        """The card of one entry (topic browsing, deep links, "Did you mean…" buttons), in `lang` when translated."""
        lang = self._spoken(lang)
        if entry_id not in self.knowledge.entries:
            return self._fallback(FALLBACK, region, lang=lang)
        return self._answer(entry_id, 1.0, region, (), lang=lang)

    def hotline_reply(self, region: str | None = None, lang: str | None = None, *,
                      change_region: bool = True) -> Reply:
        """The full referral card of `region` (REFERRAL reply) in `lang`, with how-to-report and change-region
        buttons."""
        lang = self._spoken(lang)
        buttons: tuple[Button, ...] = (Button(self._title("how-to-report", lang), "entry:how-to-report"),)
        if change_region:
            buttons += (Button(gettext(lang, CHANGE_REGION), "region"),)
        return self._reply(ReplyKind.REFERRAL, gettext(lang, REFERRAL_INTRO), region, lang=lang, full_card=True,
                           buttons=buttons)

    def help_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        """What awarebot can do, in `lang`, with the region's referral block."""
        lang = self._spoken(lang)
        return self._reply(ReplyKind.HELP, gettext(lang, HELP), region, lang=lang, buttons=self._menu_buttons(lang))

    def welcome_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        """The /start greeting, in `lang`, with the region's referral block."""
        lang = self._spoken(lang)
        return self._reply(ReplyKind.HELP, gettext(lang, WELCOME), region, lang=lang,
                           buttons=self._menu_buttons(lang))

    def notice(self, body: str, region: str | None = None, buttons: tuple[Button, ...] = (),
               lang: str | None = None) -> Reply:
        """A front end's own message (privacy text, region prompts, moderator notices), composed like every other
        reply so it carries the region's referral block too. `body` is already in `lang`."""
        return self._reply(ReplyKind.HELP, body, region, lang=self._spoken(lang), buttons=tuple(buttons))

    def error_reply(self, region: str | None = None, lang: str | None = None) -> Reply:
        """The reply when something failed on our side: an apology in `lang`, still with the referral block."""
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
        """The display title of a category id (light markup), in `lang`."""
        label = CATEGORY_LABELS.get(category)
        if label is not None:
            return gettext(lang, label)
        return CATEGORY_TITLES.get(category, category.replace("-", " ").capitalize())

    def entry_title(self, entry_id: str, lang: str | None = None) -> str:
        """An entry's title in `lang` (English when not translated)."""
        return self._title(entry_id, self._spoken(lang))

    # -- languages -----------------------------------------------------------------------------------------

    def languages(self) -> tuple[str, ...]:
        """Languages a person can choose: English and every language with an interface catalogue."""
        return languages()

    def language_buttons(self) -> tuple[Button, ...]:
        """One button per language, labelled with its own name ("Español", "Українська")."""
        return tuple(Button(native_name(code), f"lang:{code}") for code in self.languages())

    # -- helpers -------------------------------------------------------------------------------------------

    def _spoken(self, lang: str | None) -> str:
        return lang if lang is not None and lang in self.languages() else SOURCE_LANGUAGE

    def _title(self, entry_id: str, lang: str = SOURCE_LANGUAGE) -> str:
        translated = self.knowledge.translation(entry_id, lang)
        if translated is not None:
            return translated.title
        entry = self.knowledge.get(entry_id)
        return entry.title if entry else entry_id

    def _menu_buttons(self, lang: str = SOURCE_LANGUAGE) -> tuple[Button, ...]:
        return (Button(gettext(lang, BROWSE_TOPICS), "topics"), Button(gettext(lang, HOTLINE_LABEL), "hotline"),
                Button(gettext(lang, CHOOSE_REGION), "region"), Button(gettext(lang, LANGUAGE_LABEL), "language"))

    def _answer(self, entry_id: str, score: float, region: str | None, runner_ups: tuple[str, ...],
                referral_first: bool = False, lang: str = SOURCE_LANGUAGE, detected: str | None = None) -> Reply:
        entry = self.knowledge.entries[entry_id]
        buttons = [Button(gettext(lang, DID_YOU_MEAN).format(title=self._title(r, lang)), f"entry:{r}")
                   for r in runner_ups]
        shown = set(runner_ups) | {entry.id}
        buttons += [Button(self._title(r, lang), f"entry:{r}") for r in entry.related if r not in shown][:3]
        translated = self.knowledge.translation(entry.id, lang)
        if lang == SOURCE_LANGUAGE:
            body = f"**{entry.title}**\n{entry.answer}"
        elif translated is not None:
            body = f"**{translated.title}**\n{translated.answer}"
        else:  # the whole English answer, with one line in the person's language saying so
            body = f"{gettext(lang, NOT_TRANSLATED)}\n\n**{entry.title}**\n{entry.answer}"
        return self._reply(
            ReplyKind.ANSWER, body, region, lang=lang, detected=detected, entry_id=entry.id, score=score,
            alternatives=runner_ups, buttons=tuple(buttons), referral_first=referral_first,
        )

    def _fallback(self, message: str, region: str | None, near: tuple[str, ...] = (), *,
                  lang: str = SOURCE_LANGUAGE, detected: str | None = None) -> Reply:
        suggestions = [e for e in near if e in self.knowledge.entries]
        suggestions += [e for e in SUGGESTED_TOPICS if e in self.knowledge.entries and e not in suggestions]
        buttons = tuple(Button(self._title(e, lang), f"entry:{e}") for e in suggestions[:4]) + (
            Button(gettext(lang, BROWSE_TOPICS), "topics"),
        )
        return self._reply(ReplyKind.FALLBACK, gettext(lang, message), region, lang=lang, detected=detected,
                           alternatives=tuple(near[:3]), buttons=buttons)


def _has_text_or_web(served: Region) -> bool:
    """The region's directory lists a text line or a website (so the urgent text may mention one)."""
    return any(h.sms or h.web for h in served.hotlines)


# Folders loaded in this process, by their files' (path, size, modification time): Knowledge and ReferralDirectory
# are immutable, so an unchanged folder is parsed and validated once (start-up loads it for the engine and for the
# revision service's baseline; tests and the kb tools load the bundled folder many times).
_FOLDER_MEMO: dict[tuple[tuple[str, int, int], ...], tuple[Knowledge, ReferralDirectory]] = {}
_FOLDER_MEMO_MAX = 8


def _folder_signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime_ns) of every file a folder load reads; a change to any of them is a new signature."""
    signature = []
    for path in sorted(directory.rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:
            continue
        signature.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def load_folder(directory: Path, *, with_translations: bool = True) -> tuple[Knowledge, ReferralDirectory]:
    """A knowledge folder's entries and referral directory, validated together; raises KnowledgeError listing
    every problem of both (never half of them). An unchanged folder is loaded once per process (see _FOLDER_MEMO);
    a folder with problems is read again every time. `with_translations=False` leaves entries/<lang>/ unread
    (kb import: translations are changed in the repository)."""
    signature = (*_folder_signature(Path(directory)), ("translations", int(with_translations), 0))
    found = _FOLDER_MEMO.get(signature)
    if found is not None:
        return found
    loaded = _load_folder(Path(directory), with_translations)
    if len(_FOLDER_MEMO) >= _FOLDER_MEMO_MAX:
        _FOLDER_MEMO.pop(next(iter(_FOLDER_MEMO)))
    _FOLDER_MEMO[signature] = loaded
    return loaded


def _load_folder(directory: Path, with_translations: bool = True) -> tuple[Knowledge, ReferralDirectory]:
    problems = []
    knowledge = referrals = None
    try:
        knowledge = load_knowledge(directory, with_translations=with_translations)
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
        """The engine in service now (a question in flight keeps the one it started with)."""
        return self._engine

    def swap(self, engine: Engine) -> None:
        """Put `engine` in service with one assignment (publishing swaps whole engines, never parts)."""
        self._engine = engine
