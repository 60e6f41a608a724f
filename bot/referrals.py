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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import phonenumbers
from phonenumbers import shortnumberinfo

from bot.errors import KnowledgeError, Problem
from bot.yamlio import LineDict, LineList, load_yaml

__all__ = [
    "DEFAULT_PATH",
    "HOTLINE_TYPES",
    "Authority",
    "Hotline",
    "ReferralDirectory",
    "Region",
    "load_referrals",
    "parse_referrals",
    "referral_block",
    "referral_card",
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
_REGION_OPTIONAL = ("emergency_also", "emergency_note", "emergency_also_source", "authority")
_HOTLINE_REQUIRED = ("name", "type", "source", "verified")
_HOTLINE_OPTIONAL = (
    "phone", "phone_note", "phone_check", "sms", "email", "web", "hours", "languages",
    "scope", "note", "confidence", "source_date",
)
_AUTHORITY_REQUIRED = ("name", "how_to_report", "source", "verified")
_AUTHORITY_OPTIONAL = ("phone", "phone_note", "phone_check", "web", "email", "source_date")
_TOP_KEYS = ("eu_members", "aliases", "regions")

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

    @property
    def is_trafficking_line(self) -> bool:
        return self.type == "trafficking"


@dataclass(frozen=True, slots=True)
class Authority:
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


@dataclass(frozen=True, slots=True)
class Region:
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
        return (self.emergency, *self.emergency_also) if self.emergency_is_number else ()


class ReferralDirectory:
    """Validated regions with case-insensitive lookup, aliases and EU / INTL fallback."""

    def __init__(
        self,
        regions: Iterable[Region],
        eu_members: Iterable[str] = (),
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self._by_code: dict[str, Region] = {r.code: r for r in regions}
        if INTL not in self._by_code:
            raise ValueError("a referral directory needs an INTL region")
        self._eu_members: tuple[str, ...] = tuple(eu_members)
        self._eu = frozenset(self._eu_members)
        self._aliases: dict[str, str] = dict(aliases or {})

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
        return sorted(self._by_code.values(), key=lambda r: (r.code == INTL, r.name.casefold()))

    @property
    def eu_members(self) -> tuple[str, ...]:
        return self._eu_members

    @property
    def aliases(self) -> dict[str, str]:
        return dict(self._aliases)

    def __contains__(self, code: object) -> bool:
        return self._normalize(code) in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def to_data(self) -> dict[str, Any]:
        """The YAML-shaped data (plain dicts, lists and strings): parse_referrals(to_data()) round-trips."""
        return {
            "eu_members": list(self._eu_members),
            "aliases": dict(self._aliases),
            "regions": [_region_to_data(r) for r in self._by_code.values()],
        }


def _drop_none(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if v is not None and v != ()}


def _hotline_to_data(h: Hotline) -> dict[str, Any]:
    return _drop_none(
        [
            ("name", h.name), ("type", h.type), ("phone", h.phone), ("phone_note", h.phone_note),
            ("phone_check", h.phone_check), ("sms", h.sms), ("email", h.email), ("web", h.web),
            ("hours", h.hours), ("languages", h.languages), ("scope", h.scope), ("note", h.note),
            ("confidence", h.confidence), ("source", h.source), ("source_date", h.source_date),
            ("verified", h.verified),
        ]
    )


def _authority_to_data(a: Authority) -> dict[str, Any]:
    return _drop_none(
        [
            ("name", a.name), ("how_to_report", a.how_to_report), ("phone", a.phone),
            ("phone_note", a.phone_note), ("phone_check", a.phone_check), ("web", a.web),
            ("email", a.email), ("source", a.source), ("source_date", a.source_date),
            ("verified", a.verified),
        ]
    )


def _region_to_data(r: Region) -> dict[str, Any]:
    data = _drop_none(
        [
            ("code", r.code), ("name", r.name), ("emergency", r.emergency),
            ("emergency_also", list(r.emergency_also) or None), ("emergency_note", r.emergency_note),
            ("emergency_source", r.source), ("emergency_also_source", r.emergency_also_source),
            ("verified", r.verified), ("confidence", r.confidence),
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


class _Checker:
    def __init__(self, file: str, eu_members: Iterable[str] | None) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.eu_members = tuple(eu_members) if eu_members is not None else tuple(_EU_MEMBERS_DEFAULT)
        self.today = date.today()

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    # -- generic fields

    def keys(self, data: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...], what: str) -> None:
        for key in required:
            if key not in data or data[key] is None or data[key] == "":
                self.add(_line(data), f"{what}: missing required field `{key}`")
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
        """Full numbers: libphonenumber's is_valid_number; short codes: valid/possible short number."""
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
            if shortnumberinfo.is_valid_short_number_for_region(
                parsed, region
            ) or shortnumberinfo.is_possible_short_number_for_region(parsed, region):
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
            self.add(where, f"{what}: `{key}` {number!r} is not a valid number for {shown or 'any region'}")

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
    data: dict, file: str = "<input>", *, eu_members: Iterable[str] | None = None
) -> list[Problem]:
    """Every problem with one region's dict (the rules load_referrals applies)."""
    checker = _Checker(file, eu_members)
    checker.region(data, _line(data))
    return checker.problems


def _validate_directory(data: Any, file: str) -> tuple[list[Problem], tuple[str, ...]]:
    if not isinstance(data, Mapping):
        return [Problem(file, _line(data), "top level must be a mapping with eu_members, aliases, regions")], ()
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

    checker = _Checker(file, eu_members or None)
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
    return checker.problems, tuple(eu_members)


# --------------------------------------------------------------------------- building


def _opt(data: Mapping[str, Any], key: str) -> str | None:
    value = _as_date_text(data.get(key))
    return value.strip() if isinstance(value, str) else None


def _build_hotline(d: Mapping[str, Any]) -> Hotline:
    return Hotline(
        name=d["name"].strip(), type=d["type"], phone=_opt(d, "phone"), sms=_opt(d, "sms"),
        web=_opt(d, "web"), hours=_opt(d, "hours"), languages=_opt(d, "languages"),
        source=d["source"], verified=_as_date_text(d["verified"]), phone_note=_opt(d, "phone_note"),
        phone_check=_opt(d, "phone_check"), email=_opt(d, "email"), scope=_opt(d, "scope"),
        note=_opt(d, "note"), confidence=_opt(d, "confidence"), source_date=_opt(d, "source_date"),
    )


def _build_authority(d: Mapping[str, Any]) -> Authority:
    return Authority(
        name=d["name"].strip(), how_to_report=d["how_to_report"].strip(), phone=_opt(d, "phone"),
        web=_opt(d, "web"), source=d["source"], verified=_as_date_text(d["verified"]),
        phone_note=_opt(d, "phone_note"), phone_check=_opt(d, "phone_check"), email=_opt(d, "email"),
        source_date=_opt(d, "source_date"),
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
    )


def parse_referrals(data: Any, file: str) -> ReferralDirectory:
    """Validate already-parsed data and build the directory; KnowledgeError lists every problem."""
    problems, eu_members = _validate_directory(data, file)
    if problems:
        raise KnowledgeError(problems)
    return ReferralDirectory(
        (_build_region(r) for r in data["regions"]),
        eu_members=eu_members,
        aliases={str(k): v for k, v in (data.get("aliases") or {}).items()},
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


def _sms_text(sms: str) -> str:
    return f"text {sms}" if sms[:1].isdigit() or sms[:1] in "+(" else sms


def _join_or(numbers: tuple[str, ...]) -> str:
    if len(numbers) <= 1:
        return "".join(numbers)
    return f"{', '.join(numbers[:-1])} or {numbers[-1]}"


def _danger_line(region: Region) -> str:
    if not region.emergency_is_number:
        return "**In danger right now? Call your local emergency number** (112 or 911 work in many countries)."
    return f"**In danger right now? Call {_join_or(region.emergency_numbers)}.**"


def _short_hours(hours: str | None, limit: int = 32) -> str | None:
    """Hours for the compact block: the first clause when short, else nothing (the card has them)."""
    if not hours:
        return None
    first = hours.split(";", 1)[0].strip()
    return first if len(first) <= limit else None


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def _report_line(region: Region, primary: Hotline | None) -> str | None:
    a = region.authority
    if a is None or region.code == INTL:
        return None
    if a.phone and not (primary and primary.phone == a.phone):
        return f"Report: {a.name}, {a.phone}"
    if a.web and not (primary and primary.web == a.web):
        return f"Report: {a.name}, {_short_url(a.web, 40)}"
    if a.email:
        return f"Report: {a.name}, {a.email}"
    return f"Report: {_first_sentence(a.how_to_report)}"


def child_line(region: Region) -> Hotline | None:
    """The region's child helpline, if it has one open to the whole region."""
    for hotline in region.hotlines:
        if hotline.type == "child" and (hotline.phone or hotline.web) and not hotline.scope:
            return hotline
    return None


def referral_block(region: Region, for_minor: bool = False) -> str:
    """The compact block under every reply: emergency first, the main line, how to report, region.
    `for_minor` adds the child helpline, for a young person (or about one) in danger."""
    lines = [_danger_line(region)]
    h = region.primary_hotline
    child = child_line(region) if for_minor else None
    if h is not None:
        if h.phone:
            parts = [f"{h.name}: {h.phone}"]
            if h.sms:
                parts.append(_sms_text(h.sms))
            hours = _short_hours(h.hours)
            if hours:
                parts.append(hours)
            lines.append(" · ".join(parts))
        elif h.web:
            lead = "Find your country's hotline" if region.code == INTL else h.name
            name = f": {h.name}, " if region.code == INTL else ": "
            lines.append(f"{lead}{name}{_short_url(h.web)}")
        elif h.sms:
            lines.append(f"{h.name}: {_sms_text(h.sms)}")
    if child is not None and child is not h:
        contact = [child.phone] if child.phone else [_short_url(child.web)] if child.web else []
        if child.sms:
            contact.append(_sms_text(child.sms))
        lines.append(f"Under 18: {child.name}: {' · '.join(contact)}")
    report = _report_line(region, h)
    if report:
        lines.append(report)
    lines.append(f"(Region: {region.name})")
    return "\n".join(lines)


def _hotline_card(h: Hotline) -> str:
    head = f"• **{h.name}**"
    if h.scope:
        head += f" ({h.scope})"
    contact = []
    if h.phone:
        contact.append(f"{h.phone} ({h.phone_note})" if h.phone_note else h.phone)
    elif h.phone_note:
        contact.append(h.phone_note)
    if h.sms:
        contact.append(_sms_text(h.sms))
    if h.email:
        contact.append(h.email)
    if h.web:
        contact.append(_short_url(h.web))
    lines = [f"{head}: {' · '.join(contact)}" if contact else head]
    details = [x for x in (h.hours, h.languages, h.note) if x]
    if details:
        lines.append("  " + " · ".join(details))
    return "\n".join(lines)


def referral_card(region: Region) -> str:
    """The full card for /hotline: emergency, every line with all its contacts, how to report, provenance."""
    out = [f"**Where to get help: {region.name}**", _danger_line(region)]
    if region.emergency_note:
        out.append(region.emergency_note)
    out.append("")
    out.extend(_hotline_card(h) for h in region.hotlines)
    a = region.authority
    if a is not None:
        contact = []
        if a.phone:
            contact.append(f"{a.phone} ({a.phone_note})" if a.phone_note else a.phone)
        elif a.phone_note:
            contact.append(a.phone_note)
        if a.email:
            contact.append(a.email)
        if a.web:
            contact.append(_short_url(a.web))
        out.append("")
        out.append(f"**Report:** {a.name}" + (f": {' · '.join(contact)}" if contact else ""))
        out.append(a.how_to_report)
    domains: list[str] = []
    for url in [*(h.source for h in region.hotlines), *([a.source] if a else []), region.source]:
        d = _domain(url)
        if d and d not in domains:
            domains.append(d)
    shown = ", ".join(domains[:3]) + (f" +{len(domains) - 3} more" if len(domains) > 3 else "")
    caveat = " Fewer sources for this region: double-check if you can." if region.confidence != "high" else ""
    out.append("")
    out.append(f"Verified {region.verified} from archived copies of {shown}.{caveat}")
    return "\n".join(out)
