"""The referral directory: loads clean, holds no invented numbers, looks up safely, renders short."""

from __future__ import annotations

import re
from pathlib import Path

import phonenumbers
import pytest
import yaml
from phonenumbers import shortnumberinfo

from bot.errors import KnowledgeError
from bot.referrals import (
    DEFAULT_PATH,
    HOTLINE_TYPES,
    Hotline,
    ReferralDirectory,
    Region,
    load_referrals,
    parse_referrals,
    referral_block,
    referral_card,
    validate_region_data,
)

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "knowledge" / "referrals.yaml"
# The sourced reference the directory is built from (a copy of shared/reference/hotlines.yaml kept in the
# repository, so the provenance tests below run on every machine).
REFERENCE = REPO / "knowledge" / "reference" / "hotlines.yaml"

URL_KEYS = {"source", "web", "emergency_source", "emergency_also_source"}


@pytest.fixture(scope="module")
def directory() -> ReferralDirectory:
    return load_referrals(BUNDLED)


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    return yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# A number as written: digit groups joined by single spaces, dashes or dots, optionally led by
# "+" and/or an area code in brackets: "1-888-373-7888", "+373 22 23 33 09", "(61) 99611-0100".
_NUMBER_RUN = re.compile(r"\+?(?:\(\d+\)[ \-]?)?\d+(?:[ \-.]\d+)*")


def _candidates(text: str) -> set[str]:
    """Every digit string a number in `text` could be: contiguous runs of its digit groups."""
    found: set[str] = set()
    for run in _NUMBER_RUN.findall(text):
        groups = re.findall(r"\d+", run)
        for i in range(len(groups)):
            for j in range(i + 1, len(groups) + 1):
                found.add("".join(groups[i:j]))
    return found


def _walk(node, path=()):
    """(path, key, value) for every string value in nested data."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _walk(value, (*path, key))
            else:
                yield path, key, value
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, (dict, list)):
                yield from _walk(value, (*path, i))
            else:
                yield path, path[-1] if path else None, value


def _phones(region: Region) -> list[str]:
    phones = [h.phone for h in region.hotlines if h.phone]
    if region.authority and region.authority.phone:
        phones.append(region.authority.phone)
    return phones


# --------------------------------------------------------------------------- bundled data


def test_bundled_directory_loads_without_problems(directory):
    assert DEFAULT_PATH == BUNDLED
    assert len(directory) >= 25
    assert "INTL" in directory and "EU" in directory


def test_every_region_has_emergency_source_and_verified(directory):
    for region in directory.regions():
        assert region.emergency.strip(), region.code
        assert region.source.startswith(("http://", "https://")), region.code
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", region.verified), region.code
        assert region.confidence in ("high", "medium"), region.code
        assert region.hotlines, region.code
        for item in [*region.hotlines, *([region.authority] if region.authority else [])]:
            assert item.source.startswith(("http://", "https://")), (region.code, item.name)
            assert item.verified == "2026-11-28", (region.code, item.name)
        for h in region.hotlines:
            assert h.type in HOTLINE_TYPES
            assert h.phone or h.sms or h.web
            if h.web:
                assert h.web.startswith(("http://", "https://"))


def _library_accepts(number: str, code: str, eu_members, short_codes=()) -> bool:
    if number.startswith("+"):
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    regions = eu_members if code == "EU" else (code,)
    for region in regions:
        parsed = phonenumbers.parse(number, region)
        if phonenumbers.is_valid_number_for_region(parsed, region):
            return True
        if shortnumberinfo.is_valid_short_number_for_region(parsed, region):
            return True
        if any(c.region == region and _digits(c.number) == _digits(number) for c in short_codes):
            return True
    return False


def test_every_number_validates_with_libphonenumber(directory):
    """Independent of the loader: each phone / emergency number is one number libphonenumber accepts."""
    checked = 0
    for region in directory.regions():
        if region.code == "INTL":
            assert not region.emergency_is_number
            assert not _phones(region), "INTL must not list numbers"
            continue
        assert region.emergency_is_number, region.code
        items = [*region.hotlines, *([region.authority] if region.authority else [])]
        numbers = [(n, None) for n in region.emergency_numbers]
        numbers += [(i.phone, i.phone_check) for i in items if i.phone]
        for number, manual in numbers:
            assert re.fullmatch(r"\+?[0-9(][0-9 ().\-]*[0-9]", number), f"{region.code}: not one number: {number!r}"
            accepted = _library_accepts(number, region.code, directory.eu_members, directory.short_codes)
            if manual:
                assert not accepted, f"{region.code} {number}: phone_check is not needed"
            else:
                assert accepted, f"{region.code}: {number} does not validate"
            checked += 1
    assert checked > 80


def test_manual_phone_checks_are_rare_and_reasoned(directory):
    manual = [
        (r.code, item.phone, item.phone_check)
        for r in directory.regions()
        for item in [*r.hotlines, *([r.authority] if r.authority else [])]
        if item.phone_check
    ]
    assert len(manual) <= 2, manual
    for code, phone, reason in manual:
        assert reason.startswith("manual: ")
        assert len(reason) > 40, (code, phone, reason)
        assert "libphonenumber" in reason


def test_the_reference_copy_is_the_shared_one_when_both_are_here(reference):
    """The copy in the repository holds exactly the shared reference's data (compared when shared/ is here too)."""
    shared = REPO.parent.parent / "shared" / "reference" / "hotlines.yaml"
    if not shared.is_file():
        shared = REPO.parent / "shared" / "reference" / "hotlines.yaml"
    assert len(reference) >= 25 and all(item.get("code") for item in reference)
    if shared.is_file():
        assert yaml.safe_load(shared.read_text(encoding="utf-8")) == reference


def test_short_codes_are_in_the_reference_with_their_source(directory, reference):
    """Every listed short code is a number of the reference for that region, and its quote is the reference's."""
    by_code = {item["code"]: item for item in reference}
    assert len(directory.short_codes) >= 10
    for code in directory.short_codes:
        texts = [str(v) for _, _, v in _walk(by_code[code.region])]
        assert any(_digits(code.number) in _candidates(t) for t in texts), code
        assert any(code.quote in " ".join(t.split()) for t in texts), code  # quoted as the reference quotes it
        assert any(code.source == t for t in texts), code


def test_no_invented_numbers(directory, raw, reference):
    """EVERY phone number, SMS line and any other number in the directory appears in the reference."""
    ref_candidates: set[str] = set()
    for _, _key, value in _walk(reference):
        if isinstance(value, str):
            ref_candidates |= _candidates(value)
    assert "18883737888" in ref_candidates  # the guard itself works

    # phone fields: the whole field, digits only
    for region in directory.regions():
        for phone in [*_phones(region), *region.emergency_numbers]:
            assert _digits(phone) in ref_candidates, f"{region.code}: {phone} is not in the reference"
    # everything else that is text (sms, phone_note, names, how_to_report, hours...), number by number
    for path, key, value in _walk(raw):
        if not isinstance(value, str) or key in URL_KEYS:
            continue
        for run in _NUMBER_RUN.findall(value):
            number = _digits(run)
            assert number in ref_candidates, f"{'/'.join(map(str, path))}.{key}: {value!r} has {run!r}, not in reference"
    for region in directory.regions():
        for h in region.hotlines:
            if h.sms:
                assert any(_digits(run) in ref_candidates for run in _NUMBER_RUN.findall(h.sms)), h.sms


def test_low_confidence_items_are_left_out_and_listed(directory, reference):
    header = BUNDLED.read_text(encoding="utf-8").split("\neu_members:")[0]
    ours = {_digits(p) for r in directory.regions() for p in _phones(r)}
    lows = [
        (entry["code"], h)
        for entry in reference
        for h in entry.get("hotlines", [])
        if h.get("confidence") == "low"
    ]
    assert lows, "the reference has low-confidence items; the test should see them"
    for code, h in lows:
        assert _digits(h["phone"]) not in ours, f"{code} {h['name']} is low confidence and must be left out"
        assert h["phone"] in header, f"{code} {h['phone']} should be listed as omitted in the header comment"


def test_types_are_the_references(directory, reference):
    """A line keeps the reference's type; non-trafficking lines are never called trafficking hotlines."""
    ref_types = {}
    for entry in reference:
        for h in entry.get("hotlines", []):
            if h.get("phone"):
                digits = _digits(re.split(r"[;(]", h["phone"])[0])
                ref_types[(entry["code"], digits)] = h["type"]
    matched = 0
    for region in directory.regions():
        for h in region.hotlines:
            key = (region.code, _digits(h.phone or ""))
            if key in ref_types:
                assert h.type == ref_types[key], (region.code, h.name)
                matched += 1
            if h.type != "trafficking":
                assert not re.search(r"trafficking\s+(hot|help)\s*line", h.name, re.I), h.name
    assert matched >= 50


def test_notes_recommendations(directory):
    vn = directory.get("VN")
    assert vn.emergency == "113" and "112" not in vn.emergency_numbers
    assert vn.primary_hotline.phone == "111"
    es = directory.get("ES")
    assert es.emergency == "112" and referral_block(es).startswith("**In danger right now? Call 112.**")
    eu = directory.get("EU")
    (victims,) = [h for h in eu.hotlines if h.phone == "116 006"]
    assert victims.scope and "some member states" in victims.scope
    assert eu.primary_hotline is not victims
    de = directory.get("DE")
    assert de.primary_hotline.phone == "116 016" and de.primary_hotline.type == "women"
    assert "Bavaria" in "".join(h.scope or "" for h in de.hotlines)
    for code, phone in [("DE", "116 016"), ("FR", "3919"), ("ES", "016"), ("ID", "129"), ("IN", "181")]:
        (line,) = [h for h in directory.get(code).hotlines if h.phone == phone]
        assert line.type != "trafficking", (code, phone)
    assert all(h.phone is None for h in directory.get("INTL").hotlines)


# --------------------------------------------------------------------------- lookup


def test_lookups(directory):
    assert directory.get("US").code == "US"
    assert directory.get("us").code == "US"
    assert directory.get(" us ").code == "US"
    assert directory.get("UK").code == "GB"
    assert directory.get("uk").name == "United Kingdom"
    assert directory.get("AT").code == "EU"  # EU member, not listed
    assert directory.get("JP").code == "INTL"  # valid country, not listed
    assert directory.get(None).code == "INTL"
    assert directory.get("").code == "INTL"
    assert directory.get("ZZZ").code == "INTL"
    assert directory.get("12").code == "INTL"
    assert directory.get(42).code == "INTL"  # type: ignore[arg-type]


def test_resolve(directory):
    assert directory.resolve("us") == "US"
    assert directory.resolve("UK") == "GB"
    assert directory.resolve("AT") == "EU"
    assert directory.resolve("JP") == "INTL"
    assert directory.resolve("eu") == "EU"
    assert directory.resolve("INTL") == "INTL"
    for garbage in ("ZZZ", "12", "ZZ", "", "  ", None, "U S"):
        assert directory.resolve(garbage) is None, garbage


def test_codes_sorted_by_name_intl_last(directory):
    codes = directory.codes()
    assert codes[-1] == "INTL"
    names = [directory.get(c).name.casefold() for c in codes[:-1]]
    assert names == sorted(names)
    assert [r.code for r in directory.regions()] == codes


def test_primary_hotline_rule():
    def line(name, kind, phone=None, scope=None):
        return Hotline(name, kind, phone, None, "https://x.org" if not phone else None, None, None,
                       "https://x.org", "2026-11-28", scope=scope)

    def region(*hotlines):
        return Region("US", "X", "911", True, tuple(hotlines), None, "https://x.org", "2026-11-28", "high")

    child, traf, web_only = line("c", "child", "116"), line("t", "trafficking", "117"), line("w", "trafficking")
    assert region(child, traf).primary_hotline is traf
    assert region(web_only, child).primary_hotline is child
    assert region(web_only).primary_hotline is web_only
    assert region().primary_hotline is None
    local = line("b", "trafficking", "118", scope="one state only")
    assert region(local, child).primary_hotline is child
    assert region(local).primary_hotline is local


def test_to_data_round_trips(directory):
    data = directory.to_data()
    again = parse_referrals(data, "<export>")
    assert again.regions() == directory.regions()
    assert again.get("UK").code == "GB" and again.get("AT").code == "EU"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    assert parse_referrals(yaml.safe_load(text), "<export>").regions() == directory.regions()


# --------------------------------------------------------------------------- validation


def _line_of(text: str, needle: str, after: int = 0) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and needle in line:
            return number
    raise AssertionError(needle)


def _break(text: str, old: str, new: str, after_line: int = 0) -> str:
    lines = text.splitlines(keepends=True)
    for i in range(after_line, len(lines)):
        if old in lines[i]:
            lines[i] = lines[i].replace(old, new)
            return "".join(lines)
    raise AssertionError(old)


def test_broken_copy_reports_every_problem_with_file_and_line(tmp_path):
    text = BUNDLED.read_text(encoding="utf-8")
    us_hotline = _line_of(text, "- name: National Human Trafficking Hotline")
    us_source = _line_of(text, "source: https://humantraffickinghotline.org/about-us/what-we-do")
    phone_line = _line_of(text, '"1-888-373-7888"')
    ca_code = _line_of(text, "- code: CA")
    gb_verified = _line_of(text, "verified: 2026-11-28", after=_line_of(text, "- code: GB"))

    broken = text.replace(text.splitlines(keepends=True)[us_source - 1], "", 1)  # missing source
    # removing a line shifts everything after it up by one
    broken = _break(broken, '"1-888-373-7888"', '"1-888-373-788"')
    broken = _break(broken, "- code: CA", "- code: US")
    broken = _break(broken, "verified: 2026-11-28", "verified: 2099-01-01", after_line=gb_verified - 2)
    path = tmp_path / "referrals.yaml"
    path.write_text(broken, encoding="utf-8")

    with pytest.raises(KnowledgeError) as info:
        load_referrals(path)
    problems = info.value.problems
    assert all(p.file == str(path) for p in problems)
    by_message = {p.message: p.line for p in problems}
    report = "\n".join(str(p) for p in problems)

    def line_for(fragment: str) -> int:
        hits = [line for message, line in by_message.items() if fragment in message]
        assert hits, f"no problem mentions {fragment!r}:\n{report}"
        return hits[0]

    assert line_for("missing required field `source`") == us_hotline
    assert line_for("'1-888-373-788' is not a valid number") == phone_line  # above the removed line
    assert line_for("duplicate region code US") == ca_code - 1
    assert line_for("in the future") == gb_verified - 1
    assert len(problems) == 4, report
    assert f"{path}:{us_hotline}:" in str(info.value)


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "referrals.yaml"
    path.write_text("regions:\n  - code: US\n    name: [unclosed\n    emergency: '911'\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_referrals(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.line is not None and 3 <= problem.line <= 5
    assert "invalid YAML" in problem.message


def test_structural_rules(tmp_path):
    text = """\
eu_members: [AT, XX]
aliases:
  UK: GB
  GB: US
regions:
  - code: us
    name: Lowercase
    emergency: "911"
    emergency_source: https://example.org/a
    verified: 2026-11-28
    confidence: high
    hotlines:
      - name: Some line
        type: hotline
        phone: 18883737888
        source: ftp://example.org
        verified: 2026-11-28
  - code: NO
    name: Norway unquoted
    emergency: "112"
    emergency_source: https://example.org/a
    verified: 2026-11-28
    confidence: low
    hotlines:
      - name: Low line
        type: child
        phone: "116 111"
        phnoe: "1"
        source: https://example.org/b
        verified: 2026-11-28
  - code: GB
    name: United Kingdom
    emergency: "999"
    emergency_source: https://example.org/a
    verified: 2026-11-28
    confidence: high
    hotlines:
      - name: Women line, a trafficking hotline
        type: women
        phone: "101; 0800 555 111"
        source: https://example.org/b
        verified: 2026-11-28
"""
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_referrals(path)
    report = info.value.report()
    expected = {
        1: "eu_members: 'XX'",
        4: "alias GB is also a listed region code",
        6: "upper-case ISO 3166-1",
        14: "type must be one of",
        15: "must be quoted text",
        16: "must be an http(s) URL",
        18: "`code` must be quoted text",
        23: "confidence `low`",
        28: "unknown field `phnoe`",
        38: "must not be called a trafficking hotline",
        40: "one dialable number",
    }
    lines = {(p.line, p.message) for p in info.value.problems}
    for line, fragment in expected.items():
        assert any(n == line and fragment in m for n, m in lines), f"line {line}: {fragment!r}\n{report}"
    assert "region INTL is missing" in report and "region EU is missing" in report


def test_phone_check_only_where_needed(directory):
    data = directory.to_data()
    us = next(r for r in data["regions"] if r["code"] == "US")
    us["hotlines"][0]["phone_check"] = "manual: libphonenumber is fine with this one really"
    problems = validate_region_data(us)
    assert [p.message for p in problems] == [
        "region US hotline 1 'National Human Trafficking Hotline': `phone_check` is not needed, "
        "libphonenumber validates '1-888-373-7888'; remove it"
    ]
    ph = next(r for r in data["regions"] if r["code"] == "PH")
    assert validate_region_data(ph, short_codes=directory.short_codes) == []
    del ph["hotlines"][0]["phone_check"]
    (problem,) = validate_region_data(ph, "edit", short_codes=directory.short_codes)
    assert problem.file == "edit" and "'1343' is not a valid number for PH" in problem.message


def test_validate_region_data_for_moderator_edits(directory):
    data = directory.to_data()
    for region in data["regions"]:
        assert validate_region_data(region, short_codes=directory.short_codes) == [], region["code"]
    edit = dict(next(r for r in data["regions"] if r["code"] == "US"))
    edit["verified"] = "2099-12-31"
    edit["hotlines"] = [dict(edit["hotlines"][0], phone="1-888-373-78")]
    del edit["emergency_source"]
    messages = [p.message for p in validate_region_data(edit, "referral_edit")]
    assert any("`verified` date 2099-12-31 is in the future" in m for m in messages)
    assert any("missing required field `emergency_source`" in m for m in messages)
    assert any("'1-888-373-78' is not a valid number for US" in m for m in messages)
    assert all(p.file == "referral_edit" and p.line is None for p in validate_region_data(edit, "referral_edit"))
    assert validate_region_data("not a mapping")[0].message.startswith("region: must be a mapping")  # type: ignore[arg-type]


def test_eu_numbers_validate_against_members(directory):
    eu = next(r for r in directory.to_data()["regions"] if r["code"] == "EU")
    assert validate_region_data(eu, eu_members=["DE"]) == []
    eu["hotlines"][0]["phone"] = "0800 1111"  # a UK number
    assert validate_region_data(eu, eu_members=["DE"])


# --------------------------------------------------------------------------- rendering


def test_block_us(directory):
    block = referral_block(directory.get("US"))
    lines = block.splitlines()
    assert lines[0] == "**In danger right now? Call 911.**"
    assert "911" in block and "1-888-373-7888" in block and "233733" in block
    assert "Report:" in block and "1-866-347-2423" in block
    assert 2 <= len(lines) <= 4


def test_block_intl_has_no_universal_hotline_number(directory):
    block = referral_block(directory.get("INTL"))
    lines = block.splitlines()
    assert lines[0] == (
        "**In danger right now? Call your local emergency number** (112 or 911 work in many countries)."
    )
    assert re.findall(r"\d+", lines[0]) == ["112", "911"]
    assert not any(re.search(r"\d", line) for line in lines[1:]), block
    assert "globalmodernslavery.org" in block


def test_blocks_are_short_and_plain(directory):
    for region in directory.regions():
        block = referral_block(region)
        lines = block.splitlines()
        assert 2 <= len(lines) <= 4, (region.code, block)
        assert lines[0].startswith("**In danger right now? Call")
        if region.emergency_is_number:
            assert region.emergency in lines[0]
        assert len(block) <= 420, (region.code, len(block))
        primary = region.primary_hotline
        if primary and primary.phone:
            assert primary.phone in block
        if primary and primary.type != "trafficking":
            assert "trafficking hotline" not in block.lower(), region.code
        for text in (block, referral_card(region)):
            assert "<" not in text and ">" not in text, region.code
            assert text.count("**") % 2 == 0, region.code


def test_card_lists_every_hotline(directory):
    for region in directory.regions():
        card = referral_card(region)
        assert len(card) <= 1500, (region.code, len(card))
        assert region.name in card
        for h in region.hotlines:
            assert h.name in card, (region.code, h.name)
            for value in (h.phone, h.phone_note, h.sms, h.email, h.hours, h.languages, h.scope):
                if value:
                    assert value in card, (region.code, h.name, value)
        if region.authority:
            assert region.authority.how_to_report in card
            if region.authority.phone:
                assert region.authority.phone in card
        assert "Verified" not in card and "archived" not in card  # provenance is for moderators
        notes = [region.research_note, *(h.research_note for h in region.hotlines),
                 region.authority.research_note if region.authority else None]
        for note in filter(None, notes):
            assert note not in card, (region.code, note)


def test_card_us(directory):
    card = referral_card(directory.get("US"))
    assert card.splitlines()[1] == "**In danger right now? Call 911.**"
    for needle in ("1-888-373-7888", "233733", "humantraffickinghotline.org", "1-800-843-5678",
                   "1-866-347-2423", "1-802-872-6199", "not law enforcement", "24/7/365"):
        assert needle in card
    assert "Verified" not in card


def test_research_notes_reach_moderators_not_people(directory):
    from bot.referrals import referral_provenance

    ph = directory.get("PH")
    card = referral_card(ph)
    assert "2011 source" not in card and "may be outdated" not in card and "0945-863-2235" not in card
    provenance = referral_provenance(ph)
    assert "2011 source" in provenance and "0945-863-2235" in provenance and "verified 2026-11-28" in provenance


def test_a_research_note_in_a_field_people_read_is_refused(directory):
    ie = next(r for r in directory.to_data()["regions"] if r["code"] == "IE")
    ie["hotlines"][0]["hours"] = "daily 9am-9pm (2019 list; may be outdated)"
    problems = validate_region_data(ie, short_codes=directory.short_codes)
    assert any("`hours` is shown to people but reads like a research note" in p.message for p in problems)


@pytest.mark.parametrize("number", ["12345", "000000", "1234"])
def test_a_made_up_short_number_is_refused(directory, number):
    """Merely 'possible' short numbers are refused: a number must be valid for its region or a listed short code."""
    us = next(r for r in directory.to_data()["regions"] if r["code"] == "US")
    us["hotlines"][0]["phone"] = number
    problems = validate_region_data(us, short_codes=directory.short_codes)
    assert any(f"'{number}' is not a valid number for US" in p.message for p in problems)


def test_a_short_code_needs_its_source_and_quote(tmp_path):
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    data["short_codes"][0].pop("quote")
    data["short_codes"][1]["source"] = "not a url"
    path = tmp_path / "referrals.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_referrals(path)
    messages = [p.message for p in caught.value.problems]
    assert any("needs quote" in m for m in messages)
    assert any("`source` must be an http(s) URL" in m for m in messages)
    # and the numbers those entries documented are no longer accepted
    assert any("nor a short code listed" in m for m in messages)
