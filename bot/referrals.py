"""The referral directory: emergency numbers, hotlines and reporting routes per region.

Every reply carries `referral_block(region)`; /hotline shows `referral_card(region)`.
The data lives in knowledge/referrals.yaml and is built only from a sourced reference
(see the comment at the top of that file). Loading validates everything and reports
every problem with file and line; nothing is served from a directory that failed.

Lookup never fails: a listed code gets its region, an EU member that is not listed gets
`EU`, anything else (an unlisted country, garbage, None) gets `INTL`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import phonenumbers
from phonenumbers import shortnumberinfo

from bot.errors import KnowledgeError, Problem
from bot.i18n import N_, gettext
from bot.yamlio import LineDict, LineList, load_yaml

__all__ = [
    "DEFAULT_PATH",
    "HOTLINE_TYPES",
    "Authority",
    "Hotline",
    "ReferralDirectory",
    "Region",
    "ShortCode",
    "load_referrals",
    "parse_referrals",
    "referral_block",
    "referral_card",
    "referral_provenance",
    "validate_region_data",
]

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "referrals.yaml"

HOTLINE_TYPES = ("trafficking", "child", "women", "victims", "anonymous-crime", "police-tip")
CONFIDENCE_LEVELS = ("high", "medium")  # `low` items are left out until re-checked live
INTL = "INTL"
EU = "EU"
SPECIAL_CODES = (EU, INTL)
COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS)
# Used only when one EU region is validated on its own (validate_region_data without eu_members).
_EU_MEMBERS_DEFAULT = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

_REGION_REQUIRED = ("code", "name", "emergency", "emergency_source", "verified", "confidence", "hotlines")
_REGION_OPTIONAL = ("emergency_also", "emergency_note", "emergency_also_source", "authority", "research_note",
                    "translations")
_HOTLINE_REQUIRED = ("name", "type", "source", "verified")
_HOTLINE_OPTIONAL = (
    "phone", "phone_note", "phone_check", "sms", "email", "web", "hours", "languages",
    "scope", "note", "confidence", "source_date", "research_note", "translations",
)
_AUTHORITY_REQUIRED = ("name", "how_to_report", "source", "verified")
_AUTHORITY_OPTIONAL = ("phone", "phone_note", "phone_check", "web", "email", "source_date", "research_note",
                       "translations")
# Text people read must help them act; notes about the research (what a source said, how old a list is, what
# was not re-checked) belong in `research_note`, which only moderators see (kb validate, export, /referral_edit).
_PEOPLE_FIELDS = ("name", "note", "phone_note", "emergency_note", "hours", "languages", "scope", "how_to_report",
                  "sms")
_RESEARCH_WORDS = re.compile(
    r"\b(?:sources?\s+(?:say|says|write|writes|give|gives)|a\s+(?:19|20)\d\d\s+source|re-?checked|re-?verified|"
    r"may\s+be\s+outdated|archived|(?:19|20)\d\d\s+list|unverified|not\s+confirmed)\b",
    re.IGNORECASE,
)
# The directory's own text a person reads, translatable per language next to the English it translates
# (`translations: {uk: {name: …, note: …}}`): the translation sits with its source and verification date, and must carry
# exactly the English field's figures (numbers are never added or dropped by a translation).
TRANSLATABLE = {
    "hotline": ("name", "note", "hours", "languages", "scope", "phone_note"),
    "authority": ("name", "how_to_report", "phone_note"),
    "region": ("emergency_note",),
}
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_DIGIT_RUN = re.compile(r"\d+")
_TOP_KEYS = ("eu_members", "aliases", "short_codes", "regions")
_SHORT_CODE_KEYS = ("region", "number", "name", "source", "quote")

_CODE_RE = re.compile(r"^[A-Z]{2}$")
_PHONE_RE = re.compile(r"^\+?[0-9(][0-9 ().\-]*[0-9]$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SOURCE_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?( \(.+\))?$")
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}$")
_MANUAL_RE = re.compile(r"^manual: \S.{14,}$")
_TRAFFICKING_CLAIM_RE = re.compile(r"trafficking\s+(hot|help)\s*line", re.IGNORECASE)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Hotline:
    """One help line of a region: name, type (see HOTLINE_TYPES), phone/sms/web contacts, hours, languages, a
    scope, a note for people, and for moderators the source URL, verification date and research note."""
    name: str
    type: str
    phone: str | None
    sms: str | None
    web: str | None
    hours: str | None
    languages: str | None
    source: str
    verified: str
    phone_note: str | None = None  # other numbers / spellings for the same line
    phone_check: str | None = None  # "manual: <reason>" where libphonenumber cannot validate
    email: str | None = None
    scope: str | None = None  # a limit on who or where it serves ("Bavaria only")
    note: str | None = None
    confidence: str | None = None  # only where it differs from the region's
    source_date: str | None = None
    research_note: str | None = None  # for moderators only: what the sources said, what was not re-checked
    # lang -> field -> text (see TRANSLATABLE); never hashed, compared only.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_trafficking_line(self) -> bool:
        """True for a line whose type is `trafficking` (only those may be called a trafficking hotline)."""
        return self.type == "trafficking"


@dataclass(frozen=True, slots=True)
class Authority:
    """Where to report in a region: name, how to report (text for people), contacts, source and verification."""
    name: str
    how_to_report: str
    phone: str | None
    web: str | None
    source: str
    verified: str
    phone_note: str | None = None
    phone_check: str | None = None
    email: str | None = None
    source_date: str | None = None
    research_note: str | None = None
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class ShortCode:
    """A short number libphonenumber does not list for its region, documented by a source: the page `source`
    (an http(s) URL) and the words `quote` read there. Only listed short codes may be shown besides numbers
    libphonenumber validates."""

    region: str
    number: str
    name: str
    source: str
    quote: str


@dataclass(frozen=True, slots=True)
class Region:
    """One region of the directory: emergency number(s), help lines, the reporting authority and provenance."""
    code: str
    name: str
    emergency: str
    emergency_is_number: bool
    hotlines: tuple[Hotline, ...]
    authority: Authority | None
    source: str  # where the emergency number was read
    verified: str
    confidence: str
    emergency_also: tuple[str, ...] = ()
    emergency_note: str | None = None
    emergency_also_source: str | None = None
    research_note: str | None = None
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def primary_hotline(self) -> Hotline | None:
        """First `trafficking` line with a phone, else first line with a phone, else the first.

        Lines with a `scope` (one state only, mainly for professionals, some countries only)
        are passed over while an unrestricted line qualifies.
        """
        if not self.hotlines:
            return None
        open_lines = [h for h in self.hotlines if not h.scope]
        for pool in (open_lines, list(self.hotlines)):
            for h in pool:
                if h.type == "trafficking" and h.phone:
                    return h
            for h in pool:
                if h.phone:
                    return h
        return self.hotlines[0]

    @property
    def emergency_numbers(self) -> tuple[str, ...]:
        """Every dialable emergency number, the main one first; () where there is none (INTL)."""
        return (self.emergency, *self.emergency_also) if self.emergency_is_number else ()


class ReferralDirectory:
    """Validated regions with case-insensitive lookup, aliases and EU / INTL fallback."""

    def __init__(
        self,
        regions: Iterable[Region],
        eu_members: Iterable[str] = (),
        aliases: Mapping[str, str] | None = None,
        short_codes: Iterable[ShortCode] = (),
    ) -> None:
        self._by_code: dict[str, Region] = {r.code: r for r in regions}
        if INTL not in self._by_code:
            raise ValueError("a referral directory needs an INTL region")
        self._eu_members: tuple[str, ...] = tuple(eu_members)
        self._eu = frozenset(self._eu_members)
        self._aliases: dict[str, str] = dict(aliases or {})
        self._short_codes: tuple[ShortCode, ...] = tuple(short_codes)

    @staticmethod
    def _normalize(code: object) -> str | None:
        if not isinstance(code, str):
            return None
        text = code.strip().upper()
        return text or None

    def _serve(self, norm: str | None) -> str:
        if norm is None:
            return INTL
        norm = self._aliases.get(norm, norm)
        if norm in self._by_code:
            return norm
        if norm in self._eu and EU in self._by_code:
            return EU
        return INTL

    def get(self, code: str | None) -> Region:
        """The region to serve for `code`. Never raises."""
        return self._by_code[self._serve(self._normalize(code))]

    def resolve(self, code: str | None) -> str | None:
        """The code `get` would serve, or None when `code` names no known country or alias."""
        norm = self._normalize(code)
        if norm is None:
            return None
        target = self._aliases.get(norm, norm)
        if target in self._by_code or target in COUNTRY_CODES or target in self._eu:
            return self._serve(norm)
        return None

    def lookup(self, text: str | None) -> str | None:
        """The region code `text` chooses: a code or alias (any case; see `resolve`), or a listed region's name
        ("germany", "United Kingdom"), compared case-insensitively. None when it names nothing known."""
        found = self.resolve(text)
        if found is not None or not isinstance(text, str):
            return found
        wanted = " ".join(text.split()).casefold()
        for region in self._by_code.values():
            if region.name.casefold() == wanted:
                return region.code
        return None

    def codes(self) -> list[str]:
        """Listed region codes, sorted by name, INTL last."""
        return [r.code for r in self.regions()]

    def regions(self) -> list[Region]:
        """Every listed region, sorted by name, INTL last."""
        return sorted(self._by_code.values(), key=lambda r: (r.code == INTL, r.name.casefold()))

    @property
    def eu_members(self) -> tuple[str, ...]:
        """ISO codes of EU members: an unlisted member is served the EU region."""
        return self._eu_members

    @property
    def aliases(self) -> dict[str, str]:
        """Alias -> region code (e.g. UK -> GB)."""
        return dict(self._aliases)

    @property
    def short_codes(self) -> tuple[ShortCode, ...]:
        """Documented short codes libphonenumber does not know, each with its source."""
        return self._short_codes

    def __contains__(self, code: object) -> bool:
        return self._normalize(code) in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def to_data(self) -> dict[str, Any]:
        """The YAML-shaped data (plain dicts, lists and strings): parse_referrals(to_data()) round-trips."""
        data: dict[str, Any] = {
            "eu_members": list(self._eu_members),
            "aliases": dict(self._aliases),
        }
        if self._short_codes:
            data["short_codes"] = [
                {"region": c.region, "number": c.number, "name": c.name, "source": c.source, "quote": c.quote}
                for c in self._short_codes
            ]
        data["regions"] = [_region_to_data(r) for r in self._by_code.values()]
        return data


def _drop_none(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if v is not None and v != ()}


def _translations_data(translations: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]] | None:
    return {lang: dict(fields) for lang, fields in translations.items()} or None


def localized(item: Hotline | Authority | Region, key: str, lang: str | None) -> str | None:
    """A directory field as a person of `lang` reads it: its translation when the directory has one, else the
    directory's own (English) text."""
    if lang and lang != "en":
        translated = item.translations.get(lang, {}).get(key)
        if translated:
            return translated
    value = getattr(item, key)
    return value if isinstance(value, str) else None


def _hotline_to_data(h: Hotline) -> dict[str, Any]:
    return _drop_none(
        [
            ("name", h.name), ("type", h.type), ("phone", h.phone), ("phone_note", h.phone_note),
            ("phone_check", h.phone_check), ("sms", h.sms), ("email", h.email), ("web", h.web),
            ("hours", h.hours), ("languages", h.languages), ("scope", h.scope), ("note", h.note),
            ("confidence", h.confidence), ("source", h.source), ("source_date", h.source_date),
            ("verified", h.verified), ("research_note", h.research_note),
            ("translations", _translations_data(h.translations)),
        ]
    )


def _authority_to_data(a: Authority) -> dict[str, Any]:
    return _drop_none(
        [
            ("name", a.name), ("how_to_report", a.how_to_report), ("phone", a.phone),
            ("phone_note", a.phone_note), ("phone_check", a.phone_check), ("web", a.web),
            ("email", a.email), ("source", a.source), ("source_date", a.source_date),
            ("verified", a.verified), ("research_note", a.research_note),
            ("translations", _translations_data(a.translations)),
        ]
    )


def _region_to_data(r: Region) -> dict[str, Any]:
    data = _drop_none(
        [
            ("code", r.code), ("name", r.name), ("emergency", r.emergency),
            ("emergency_also", list(r.emergency_also) or None), ("emergency_note", r.emergency_note),
            ("emergency_source", r.source), ("emergency_also_source", r.emergency_also_source),
            ("verified", r.verified), ("confidence", r.confidence), ("research_note", r.research_note),
            ("translations", _translations_data(r.translations)),
        ]
    )
    data["hotlines"] = [_hotline_to_data(h) for h in r.hotlines]
    if r.authority is not None:
        data["authority"] = _authority_to_data(r.authority)
    return data


# --------------------------------------------------------------------------- validation


def _line(obj: Any, key: str | None = None) -> int | None:
    if key is not None and isinstance(obj, LineDict):
        return obj.line_of(key) or None
    return getattr(obj, "line", None) or None


def _item_line(seq: Any, index: int) -> int | None:
    if isinstance(seq, LineList) and index < len(seq.item_lines):
        return seq.item_lines[index]
    return _line(seq)


def _as_date_text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


class _Checker:
    def __init__(
        self, file: str, eu_members: Iterable[str] | None, short_codes: Iterable[ShortCode] = ()
    ) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.eu_members = tuple(eu_members) if eu_members is not None else tuple(_EU_MEMBERS_DEFAULT)
        self.short_codes = frozenset((c.region, _digits(c.number)) for c in short_codes)
        self.today = date.today()

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    # -- generic fields

    def keys(self, data: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...], what: str) -> None:
        for key in required:
            if key not in data or data[key] is None or data[key] == "":
                self.add(_line(data), f"{what}: missing required field `{key}`")
        self.text(data, "research_note", what)
        for key in _PEOPLE_FIELDS:
            value = data.get(key)
            found = _RESEARCH_WORDS.search(value) if isinstance(value, str) else None
            if found is not None:
                self.add(_line(data, key), f"{what}: `{key}` is shown to people but reads like a research note "
                                           f"({found.group(0)!r}); move it to "
                                           "`research_note`, which only moderators see")
        for key in data:
            if key not in required and key not in optional:
                self.add(_line(data, key), f"{what}: unknown field `{key}` (allowed: {', '.join(required + optional)})")

    def text(self, data: Mapping[str, Any], key: str, what: str) -> str | None:
        if key not in data or data[key] is None:
            return None
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            self.add(_line(data, key), f"{what}: `{key}` must be non-empty text (quote it)")
            return None
        if "<" in value or ">" in value:
            self.add(_line(data, key), f"{what}: `{key}` must be plain text without < or >")
        if "**" in value:
            self.add(_line(data, key), f"{what}: `{key}` must not contain ** (the renderer adds bold)")
        return value

    def url(self, data: Mapping[str, Any], key: str, what: str) -> None:
        value = data.get(key)
        if value is None:
            return
        parsed = urlparse(value) if isinstance(value, str) else None
        if (
            parsed is None
            or parsed.scheme not in ("http", "https")
            or not parsed.netloc
            or any(c.isspace() for c in value)
        ):
            self.add(_line(data, key), f"{what}: `{key}` must be an http(s) URL, got {value!r}")

    def verified(self, data: Mapping[str, Any], what: str) -> None:
        value = _as_date_text(data.get("verified"))
        if value is None:
            return
        if not isinstance(value, str) or not _DATE_RE.match(value):
            self.add(_line(data, "verified"), f"{what}: `verified` must be an ISO date YYYY-MM-DD, got {value!r}")
            return
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.add(_line(data, "verified"), f"{what}: `verified` is not a real date: {value!r}")
            return
        if day > self.today:
            self.add(_line(data, "verified"), f"{what}: `verified` date {value} is in the future")

    def source_date(self, data: Mapping[str, Any], what: str) -> None:
        value = _as_date_text(data.get("source_date"))
        if value is None:
            return
        if not isinstance(value, str) or not _SOURCE_DATE_RE.match(value):
            self.add(_line(data, "source_date"), f"{what}: `source_date` must look like YYYY, YYYY-MM or YYYY-MM-DD")

    def confidence(self, data: Mapping[str, Any], what: str) -> None:
        value = data.get("confidence")
        if value is None:
            return
        if value == "low":
            self.add(
                _line(data, "confidence"),
                f"{what}: confidence `low` must not be shown without a live re-check; leave the item out",
            )
        elif value not in CONFIDENCE_LEVELS:
            self.add(_line(data, "confidence"), f"{what}: confidence must be one of {', '.join(CONFIDENCE_LEVELS)}")

    def email(self, data: Mapping[str, Any], what: str) -> None:
        value = data.get("email")
        if value is not None and (not isinstance(value, str) or not _EMAIL_RE.match(value)):
            self.add(_line(data, "email"), f"{what}: `email` is not an e-mail address: {value!r}")

    # -- numbers

    def _number_ok(self, number: str, regions: tuple[str, ...]) -> bool:
        """Full numbers: libphonenumber's is_valid_number; short numbers: libphonenumber's valid short numbers of
        the region, or a short code listed with its source under `short_codes`. A number that is merely
        *possible* ("12345", "000000") is refused."""
        if number.startswith("+"):
            try:
                parsed = phonenumbers.parse(number, None)
            except phonenumbers.NumberParseException:
                return False
            return phonenumbers.is_valid_number(parsed)
        for region in regions:
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number_for_region(parsed, region):
                return True
            if shortnumberinfo.is_valid_short_number_for_region(parsed, region):
                return True
            if (region, _digits(number)) in self.short_codes:
                return True
        return False

    def phone(
        self, holder: Mapping[str, Any], key: str, number: Any, regions: tuple[str, ...] | None, what: str,
        line: int | None = None, manual: str | None = None,
    ) -> None:
        where = line if line is not None else _line(holder, key)
        if not isinstance(number, str):
            self.add(where, f"{what}: `{key}` must be quoted text (e.g. \"000\"), got {number!r}")
            return
        if not _PHONE_RE.match(number.strip()) or sum(c.isdigit() for c in number) < 2:
            self.add(
                where,
                f"{what}: `{key}` must be one dialable number (digits, spaces, - . ( ) and a leading +); "
                f"put other numbers or words in `phone_note`: {number!r}",
            )
            return
        if regions is None:
            return
        if not regions and not number.startswith("+"):
            self.add(where, f"{what}: `{key}` outside a country must be in international format (+...): {number!r}")
            return
        ok = self._number_ok(number.strip(), regions)
        if manual is not None:
            if ok:
                self.add(
                    _line(holder, "phone_check"),
                    f"{what}: `phone_check` is not needed, libphonenumber validates {number!r}; remove it",
                )
            return
        if not ok:
            shown = "/".join(regions) if len(regions) <= 3 else "any EU member"
            self.add(where, f"{what}: `{key}` {number!r} is not a valid number for {shown or 'any region'} "
                            "(libphonenumber), nor a short code listed with its source under `short_codes`")

    def manual_check(self, data: Mapping[str, Any], what: str) -> str | None:
        value = data.get("phone_check")
        if value is None:
            return None
        if not isinstance(value, str) or not _MANUAL_RE.match(value):
            self.add(_line(data, "phone_check"), f"{what}: `phone_check` must read \"manual: <reason>\" with a real reason")
            return None
        if not data.get("phone"):
            self.add(_line(data, "phone_check"), f"{what}: `phone_check` without a `phone`")
        return value

    # -- parts

    def translations(self, data: Mapping[str, Any], kind: str, what: str) -> None:
        """`translations: {lang: {field: text}}`: known languages codes, translatable fields that exist in English,
        plain text, and exactly the English field's figures."""
        value = data.get("translations")
        if value is None:
            return
        allowed = TRANSLATABLE[kind]
        if not isinstance(value, Mapping):
            self.add(_line(data, "translations"), f"{what}: `translations` must map a language code to fields")
            return
        for lang, fields in value.items():
            where = f"{what} ({lang})"
            if not isinstance(lang, str) or not _LANG_RE.match(lang) or lang == "en":
                self.add(_line(value, lang), f"{what}: translation language must be a code such as uk, got {lang!r}")
                continue
            if not isinstance(fields, Mapping):
                self.add(_line(value, lang), f"{where}: must map fields ({', '.join(allowed)}) to text")
                continue
            for key in fields:
                if key not in allowed:
                    self.add(_line(fields, key), f"{where}: `{key}` is not translatable (allowed: {', '.join(allowed)})")
                    continue
                text = self.text(fields, key, where)
                english = data.get(key)
                if text is None:
                    continue
                if not isinstance(english, str):
                    self.add(_line(fields, key), f"{where}: `{key}` has no English text to translate")
                elif sorted(_DIGIT_RUN.findall(text)) != sorted(_DIGIT_RUN.findall(english)):
                    self.add(_line(fields, key), f"{where}: `{key}` must carry exactly the English figures "
                                                 f"({', '.join(_DIGIT_RUN.findall(english)) or 'none'})")

    def hotline(self, data: Any, line: int | None, regions: tuple[str, ...] | None, what: str) -> None:
        if not isinstance(data, Mapping):
            self.add(line, f"{what}: must be a mapping with name, type, phone/sms/web, source, verified")
            return
        name = self.text(data, "name", what)
        if name:
            what = f"{what} {name!r}"
        self.keys(data, _HOTLINE_REQUIRED, _HOTLINE_OPTIONAL, what)
        for key in ("type", "sms", "hours", "languages", "scope", "note", "phone_note"):
            self.text(data, key, what)
        kind = data.get("type")
        if kind is not None and kind not in HOTLINE_TYPES:
            self.add(_line(data, "type"), f"{what}: type must be one of {', '.join(HOTLINE_TYPES)}, got {kind!r}")
        if name and kind not in (None, "trafficking") and _TRAFFICKING_CLAIM_RE.search(name):
            self.add(_line(data, "name"), f"{what}: a `{kind}` line must not be called a trafficking hotline")
        if not any(data.get(k) for k in ("phone", "sms", "web")):
            self.add(_line(data), f"{what}: needs at least one of phone, sms, web")
        manual = self.manual_check(data, what)
        if data.get("phone") is not None:
            self.phone(data, "phone", data["phone"], regions, what, manual=manual)
        sms = data.get("sms")
        if isinstance(sms, str) and not any(c.isdigit() for c in sms):
            self.add(_line(data, "sms"), f"{what}: `sms` must contain the number to text")
        for key in ("web", "source"):
            self.url(data, key, what)
        self.email(data, what)
        self.confidence(data, what)
        self.verified(data, what)
        self.source_date(data, what)
        self.translations(data, "hotline", what)

    def authority(self, data: Any, line: int | None, regions: tuple[str, ...] | None, what: str) -> None:
        if not isinstance(data, Mapping):
            self.add(line, f"{what}: must be a mapping with name, how_to_report, source, verified")
            return
        self.keys(data, _AUTHORITY_REQUIRED, _AUTHORITY_OPTIONAL, what)
        for key in ("name", "how_to_report", "phone_note"):
            self.text(data, key, what)
        manual = self.manual_check(data, what)
        if data.get("phone") is not None:
            self.phone(data, "phone", data["phone"], regions, what, manual=manual)
        for key in ("web", "source"):
            self.url(data, key, what)
        self.email(data, what)
        self.verified(data, what)
        self.source_date(data, what)
        self.translations(data, "authority", what)

    def region(self, data: Any, line: int | None) -> str | None:
        """Check one region; returns its code when the code itself is usable."""
        if not isinstance(data, Mapping):
            self.add(line, "region: must be a mapping (code, name, emergency, ...)")
            return None
        code = data.get("code")
        what = f"region {code}" if isinstance(code, str) else "region"
        self.keys(data, _REGION_REQUIRED, _REGION_OPTIONAL, what)
        usable: str | None = None
        if "code" in data:
            if not isinstance(code, str):
                self.add(_line(data, "code"), f"{what}: `code` must be quoted text (e.g. \"NO\"), got {code!r}")
            elif code not in SPECIAL_CODES and not (_CODE_RE.match(code) and code in COUNTRY_CODES):
                self.add(
                    _line(data, "code"),
                    f"{what}: `code` must be an upper-case ISO 3166-1 alpha-2 country code, EU or INTL; got {code!r}",
                )
            else:
                usable = code
        if usable == INTL:
            regions: tuple[str, ...] | None = ()
        elif usable == EU:
            regions = self.eu_members
        elif usable:
            regions = (usable,)
        else:
            regions = None  # unknown code: number shapes are checked, validity cannot be

        for key in ("name", "emergency_note"):
            self.text(data, key, what)
        self.translations(data, "region", what)
        self.confidence(data, what)
        self.verified(data, what)
        for key in ("emergency_source", "emergency_also_source"):
            self.url(data, key, what)

        emergency = data.get("emergency")
        if emergency is not None:
            if not isinstance(emergency, str) or not emergency.strip():
                self.add(_line(data, "emergency"), f"{what}: `emergency` must be quoted text (e.g. \"000\")")
            elif usable == INTL:
                if _PHONE_RE.match(emergency.strip()):
                    self.add(
                        _line(data, "emergency"),
                        f"{what}: INTL `emergency` must be guidance text; there is no universal number",
                    )
            else:
                self.phone(data, "emergency", emergency, regions, what)
        also = data.get("emergency_also")
        if also is not None:
            if not isinstance(also, list):
                self.add(_line(data, "emergency_also"), f"{what}: `emergency_also` must be a list of numbers")
            else:
                for i, number in enumerate(also):
                    self.phone(data, "emergency_also", number, regions, what, line=_item_line(also, i))

        hotlines = data.get("hotlines")
        if hotlines is not None:
            if not isinstance(hotlines, list) or not hotlines:
                self.add(_line(data, "hotlines"), f"{what}: `hotlines` must be a non-empty list")
            else:
                for i, item in enumerate(hotlines):
                    self.hotline(item, _item_line(hotlines, i), regions, f"{what} hotline {i + 1}")
        if data.get("authority") is not None:
            self.authority(data["authority"], _line(data, "authority"), regions, f"{what} authority")
        return usable


def validate_region_data(
    data: dict[str, Any], file: str = "<input>", *, eu_members: Iterable[str] | None = None,
    short_codes: Iterable[ShortCode] = (),
) -> list[Problem]:
    """Every problem with one region's dict (the rules load_referrals applies); `short_codes` are the directory's
    documented short codes (a short number not listed there must be one libphonenumber validates)."""
    checker = _Checker(file, eu_members, short_codes)
    checker.region(data, _line(data))
    return checker.problems


def _short_codes(data: Mapping[str, Any], top: _Checker) -> list[ShortCode]:
    """The `short_codes` list: each item a region code, the number, the service's name, a source URL, a quote."""
    items = data.get("short_codes")
    if items is None:
        return []
    if not isinstance(items, list):
        top.add(_line(data, "short_codes"), "`short_codes` must be a list of {region, number, name, source, quote}")
        return []
    found: list[ShortCode] = []
    for i, item in enumerate(items):
        where = _item_line(items, i)
        if not isinstance(item, Mapping):
            top.add(where, "short_codes: each item needs region, number, name, source and quote")
            continue
        what = f"short code {item.get('number')!r} ({item.get('region')})"
        for key in item:
            if key not in _SHORT_CODE_KEYS:
                top.add(_line(item, key), f"{what}: unknown field `{key}` (allowed: {', '.join(_SHORT_CODE_KEYS)})")
        values = {key: item.get(key) for key in _SHORT_CODE_KEYS}
        missing = [key for key, value in values.items() if not isinstance(value, str) or not value.strip()]
        if missing:
            top.add(where, f"{what}: needs {', '.join(missing)} (quoted text)")
            continue
        region, number = str(values["region"]), str(values["number"]).strip()
        if region not in COUNTRY_CODES:
            top.add(_line(item, "region"), f"{what}: `region` must be an ISO 3166-1 alpha-2 code")
        elif not _PHONE_RE.match(number) or number.startswith("+") or len(_digits(number)) > 8:
            top.add(_line(item, "number"), f"{what}: `number` must be one short number (at most 8 digits)")
        else:
            top.url(item, "source", what)
            found.append(ShortCode(region, number, str(values["name"]).strip(), str(values["source"]).strip(),
                                   str(values["quote"]).strip()))
    return found


def _validate_directory(
    data: Any, file: str
) -> tuple[list[Problem], tuple[str, ...], tuple[ShortCode, ...]]:
    if not isinstance(data, Mapping):
        return [Problem(file, _line(data), "top level must be a mapping with eu_members, aliases, regions")], (), ()
    top = _Checker(file, None)
    for key in data:
        if key not in _TOP_KEYS:
            top.add(_line(data, key), f"unknown top-level field `{key}` (allowed: {', '.join(_TOP_KEYS)})")

    eu_members: list[str] = []
    members = data.get("eu_members")
    if not isinstance(members, list) or not members:
        top.add(_line(data, "eu_members") if "eu_members" in data else _line(data),
                "`eu_members` must be a non-empty list of ISO codes")
    else:
        for i, member in enumerate(members):
            if not isinstance(member, str) or member not in COUNTRY_CODES:
                top.add(_item_line(members, i), f"eu_members: {member!r} is not an ISO 3166-1 alpha-2 code")
            elif member in eu_members:
                top.add(_item_line(members, i), f"eu_members: {member} listed twice")
            else:
                eu_members.append(member)

    short_codes = _short_codes(data, top)
    checker = _Checker(file, eu_members or None, short_codes)
    checker.problems = top.problems
    regions = data.get("regions")
    codes: dict[str, int | None] = {}
    if not isinstance(regions, list) or not regions:
        checker.add(_line(data, "regions") if "regions" in data else _line(data), "`regions` must be a non-empty list")
    else:
        for i, item in enumerate(regions):
            line = _item_line(regions, i)
            code = checker.region(item, line)
            if code is None:
                continue
            if code in codes:
                first = codes[code]
                checker.add(_line(item, "code"), f"duplicate region code {code} (first at line {first})")
            else:
                codes[code] = _line(item, "code")
        for needed in SPECIAL_CODES:
            if needed not in codes:
                checker.add(_line(data, "regions"), f"region {needed} is missing (it is the fallback)")

    aliases = data.get("aliases")
    if aliases is not None:
        if not isinstance(aliases, Mapping):
            checker.add(_line(data, "aliases"), "`aliases` must map an alias to a region code (UK: GB)")
        else:
            for alias, target in aliases.items():
                where = _line(aliases, alias)
                if not isinstance(alias, str) or not re.match(r"^[A-Z]{2,8}$", alias):
                    checker.add(where, f"alias {alias!r} must be upper-case letters")
                elif alias in codes:
                    checker.add(where, f"alias {alias} is also a listed region code")
                if not isinstance(target, str) or not (target in codes or target in COUNTRY_CODES):
                    checker.add(where, f"alias {alias!r} points to {target!r}, which is neither listed nor an ISO code")
    return checker.problems, tuple(eu_members), tuple(short_codes)


# --------------------------------------------------------------------------- building


def _opt(data: Mapping[str, Any], key: str) -> str | None:
    value = _as_date_text(data.get(key))
    return value.strip() if isinstance(value, str) else None


def _build_translations(d: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {lang: {k: v.strip() for k, v in fields.items()} for lang, fields in (d.get("translations") or {}).items()}


def _build_hotline(d: Mapping[str, Any]) -> Hotline:
    return Hotline(
        name=d["name"].strip(), type=d["type"], phone=_opt(d, "phone"), sms=_opt(d, "sms"),
        web=_opt(d, "web"), hours=_opt(d, "hours"), languages=_opt(d, "languages"),
        source=d["source"], verified=_as_date_text(d["verified"]), phone_note=_opt(d, "phone_note"),
        phone_check=_opt(d, "phone_check"), email=_opt(d, "email"), scope=_opt(d, "scope"),
        note=_opt(d, "note"), confidence=_opt(d, "confidence"), source_date=_opt(d, "source_date"),
        research_note=_opt(d, "research_note"), translations=_build_translations(d),
    )


def _build_authority(d: Mapping[str, Any]) -> Authority:
    return Authority(
        name=d["name"].strip(), how_to_report=d["how_to_report"].strip(), phone=_opt(d, "phone"),
        web=_opt(d, "web"), source=d["source"], verified=_as_date_text(d["verified"]),
        phone_note=_opt(d, "phone_note"), phone_check=_opt(d, "phone_check"), email=_opt(d, "email"),
        source_date=_opt(d, "source_date"), research_note=_opt(d, "research_note"),
        translations=_build_translations(d),
    )


def _build_region(d: Mapping[str, Any]) -> Region:
    emergency = d["emergency"].strip()
    return Region(
        code=d["code"], name=d["name"].strip(), emergency=emergency,
        emergency_is_number=d["code"] != INTL and bool(_PHONE_RE.match(emergency)),
        hotlines=tuple(_build_hotline(h) for h in d["hotlines"]),
        authority=_build_authority(d["authority"]) if d.get("authority") else None,
        source=d["emergency_source"], verified=_as_date_text(d["verified"]), confidence=d["confidence"],
        emergency_also=tuple(n.strip() for n in d.get("emergency_also") or ()),
        emergency_note=_opt(d, "emergency_note"), emergency_also_source=_opt(d, "emergency_also_source"),
        research_note=_opt(d, "research_note"), translations=_build_translations(d),
    )


def parse_referrals(data: Any, file: str) -> ReferralDirectory:
    """Validate already-parsed data and build the directory; KnowledgeError lists every problem."""
    problems, eu_members, short_codes = _validate_directory(data, file)
    if problems:
        raise KnowledgeError(problems)
    return ReferralDirectory(
        (_build_region(r) for r in data["regions"]),
        eu_members=eu_members,
        aliases={str(k): v for k, v in (data.get("aliases") or {}).items()},
        short_codes=short_codes,
    )


def load_referrals(path: Path = DEFAULT_PATH) -> ReferralDirectory:
    """Load and validate knowledge/referrals.yaml; KnowledgeError lists every problem with file and line."""
    path = Path(path)
    return parse_referrals(load_yaml(path), str(path))


# --------------------------------------------------------------------------- rendering


def _short_url(url: str, max_len: int | None = None) -> str:
    text = re.sub(r"^https?://", "", url).removeprefix("www.").rstrip("/")
    if max_len is not None and len(text) > max_len:
        text = text.split("/", 1)[0]
    return text


def _domain(url: str) -> str:
    host = urlparse(url).netloc.lower().rstrip(".")
    return host.removeprefix("www.").removeprefix("m.")


def _sms_text(sms: str, lang: str | None = None) -> str:
    return gettext(lang, N_("text {number}")).format(number=sms) if sms[:1].isdigit() or sms[:1] in "+(" else sms


def _join_or(numbers: tuple[str, ...], lang: str | None = None) -> str:
    if len(numbers) <= 1:
        return "".join(numbers)
    return gettext(lang, N_("{numbers} or {last}")).format(numbers=", ".join(numbers[:-1]), last=numbers[-1])


def region_name(region: Region, lang: str | None = None) -> str:
    """The region's name in `lang`: CLDR's country name (Babel) for a country, the catalogue for EU and INTL,
    the directory's English name otherwise."""
    if not lang or lang == "en":
        return region.name
    if region.code == INTL:
        return gettext(lang, N_("International"))
    if region.code == EU:
        return gettext(lang, N_("European Union – other member states"))
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(lang).territories.get(region.code)
    except (ValueError, UnknownLocaleError):
        name = None
    return str(name) if name else region.name


def _danger_line(region: Region, lang: str | None = None) -> str:
    if not region.emergency_is_number:
        return gettext(lang, N_(
            "**In danger right now? Call your local emergency number** (112 or 911 work in many countries)."
        ))
    return gettext(lang, N_("**In danger right now? Call {numbers}.**")).format(
        numbers=_join_or(region.emergency_numbers, lang)
    )


def _short_hours(hours: str | None, limit: int = 32) -> str | None:
    """Hours for the compact block: the first clause when short, else nothing (the card has them)."""
    if not hours:
        return None
    first = hours.split(";", 1)[0].strip()
    return first if len(first) <= limit else None


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def _report_line(region: Region, primary: Hotline | None, lang: str | None = None) -> str | None:
    a = region.authority
    if a is None or region.code == INTL:
        return None
    report = gettext(lang, N_("Report: {how}"))
    name = localized(a, "name", lang)
    if a.phone and not (primary and primary.phone == a.phone):
        return report.format(how=f"{name}, {a.phone}")
    if a.web and not (primary and primary.web == a.web):
        return report.format(how=f"{name}, {_short_url(a.web, 40)}")
    if a.email:
        return report.format(how=f"{name}, {a.email}")
    return report.format(how=_first_sentence(localized(a, "how_to_report", lang) or a.how_to_report))


def child_line(region: Region) -> Hotline | None:
    """The region's child helpline, if it has one open to the whole region."""
    for hotline in region.hotlines:
        if hotline.type == "child" and (hotline.phone or hotline.web) and not hotline.scope:
            return hotline
    return None


def referral_block(region: Region, for_minor: bool = False, lang: str | None = None) -> str:
    """The compact block under every reply: emergency first, the main line, how to report, region.
    `for_minor` adds the child helpline, for a young person (or about one) in danger. Labels are in `lang`
    (the catalogue); names, numbers and notes are the directory's own."""
    lines = [_danger_line(region, lang)]
    h = region.primary_hotline
    child = child_line(region) if for_minor else None
    if h is not None:
        h_name = localized(h, "name", lang)
        if h.phone:
            parts = [f"{h_name}: {h.phone}"]
            if h.sms:
                parts.append(_sms_text(h.sms, lang))
            hours = _short_hours(localized(h, "hours", lang))
            if hours:
                parts.append(hours)
            lines.append(" · ".join(parts))
        elif h.web:
            if region.code == INTL:
                lines.append(gettext(lang, N_("Find your country's hotline: {name}, {web}")).format(
                    name=h_name, web=_short_url(h.web)))
            else:
                lines.append(f"{h_name}: {_short_url(h.web)}")
        elif h.sms:
            lines.append(f"{h_name}: {_sms_text(h.sms, lang)}")
    if child is not None and child is not h:
        contact = [child.phone] if child.phone else [_short_url(child.web)] if child.web else []
        if child.sms:
            contact.append(_sms_text(child.sms, lang))
        lines.append(gettext(lang, N_("Under 18: {name}: {contact}")).format(
            name=localized(child, "name", lang), contact=" · ".join(contact)))
    report = _report_line(region, h, lang)
    if report:
        lines.append(report)
    lines.append(gettext(lang, N_("(Region: {name})")).format(name=region_name(region, lang)))
    return "\n".join(lines)


def _hotline_card(h: Hotline, lang: str | None = None) -> str:
    head = f"• **{localized(h, 'name', lang)}**"
    if h.scope:
        head += f" ({localized(h, 'scope', lang)})"
    phone_note = localized(h, "phone_note", lang)
    contact = []
    if h.phone:
        contact.append(f"{h.phone} ({phone_note})" if phone_note else h.phone)
    elif phone_note:
        contact.append(phone_note)
    if h.sms:
        contact.append(_sms_text(h.sms, lang))
    if h.email:
        contact.append(h.email)
    if h.web:
        contact.append(_short_url(h.web))
    lines = [f"{head}: {' · '.join(contact)}" if contact else head]
    details = [x for x in (localized(h, k, lang) for k in ("hours", "languages", "note")) if x]
    if details:
        lines.append("  " + " · ".join(details))
    return "\n".join(lines)


def referral_card(region: Region, lang: str | None = None) -> str:
    """The full card for /hotline: emergency, every line with all its contacts, how to report. Only what helps
    people act: provenance and research notes are for moderators (`referral_provenance`). Labels in `lang`; the
    directory's text in `lang` where it has a translation."""
    out = [gettext(lang, N_("**Where to get help: {region}**")).format(region=region_name(region, lang)),
           _danger_line(region, lang)]
    if region.emergency_note:
        out.append(localized(region, "emergency_note", lang) or region.emergency_note)
    out.append("")
    out.extend(_hotline_card(h, lang) for h in region.hotlines)
    a = region.authority
    if a is not None:
        a_note = localized(a, "phone_note", lang)
        contact = []
        if a.phone:
            contact.append(f"{a.phone} ({a_note})" if a_note else a.phone)
        elif a_note:
            contact.append(a_note)
        if a.email:
            contact.append(a.email)
        if a.web:
            contact.append(_short_url(a.web))
        out.append("")
        out.append(gettext(lang, N_("**Report:** {name}")).format(name=localized(a, "name", lang))
                   + (f": {' · '.join(contact)}" if contact else ""))
        out.append(localized(a, "how_to_report", lang) or a.how_to_report)
    return "\n".join(out)


def referral_provenance(region: Region) -> str:
    """For moderators, never people: when the region was verified, from which sources, how sure, and every
    research note. Light markup, several lines."""
    a = region.authority
    domains: list[str] = []
    for url in [*(h.source for h in region.hotlines), *([a.source] if a else []), region.source]:
        d = _domain(url)
        if d and d not in domains:
            domains.append(d)
    lines = [f"**Provenance**: verified {region.verified} from archived copies of {', '.join(domains)}; "
             f"confidence {region.confidence}."]
    notes = [(region.name, region.research_note), *((h.name, h.research_note) for h in region.hotlines),
             *([(a.name, a.research_note)] if a else [])]
    lines += [f"• {name}: {note}" for name, note in notes if note]
    return "\n".join(lines)
