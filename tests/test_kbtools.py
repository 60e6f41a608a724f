"""Tests for the moderators' knowledge tools: awarebot kb export | import | history | revert."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import bundled_knowledge_dir
from bot.knowledge import REFERRALS_FILE, SYNONYMS_FILE, load_knowledge
from bot.referrals import load_referrals
from bot.store import Store
from bot.yamlio import dump_yaml, load_yaml

BUNDLED = bundled_knowledge_dir()
DB = Path("data/awarebot.sqlite3")  # the default database_path, relative to the current folder


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def cached_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse each knowledge folder once per test (pure-Python YAML is slow); the objects are immutable."""
    import bot.kbtools
    from bot.service import load_baseline

    cache: dict[Path, tuple] = {}

    def cached(config):
        key = Path(config.knowledge_dir).resolve()
        if key not in cache:
            cache[key] = load_baseline(config)
        return cache[key]

    monkeypatch.setattr(bot.kbtools, "load_baseline", cached)


@pytest.fixture(scope="module")
def bundled():
    return load_knowledge(BUNDLED), load_referrals(BUNDLED / REFERRALS_FILE)


def kb(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["kb", *args])
    out, err = capsys.readouterr()
    return code, out, err


def export(capsys, out: str = "export") -> Path:
    code, stdout, stderr = kb(capsys, "export", "--out", out)
    assert code == 0, stderr
    return Path(out)


def history(capsys, key: str) -> list[list[str]]:
    code, out, err = kb(capsys, "history", key)
    assert code == 0, err
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]


def edit_entries(folder: Path, file: str, change) -> Path:
    path = folder / "entries" / file
    data = load_yaml(path)
    change(data)
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def edit_referrals(folder: Path, change) -> None:
    path = folder / REFERRALS_FILE
    data = load_yaml(path)
    change(data)
    path.write_text(dump_yaml(data), encoding="utf-8")


def region_with_hours(bundled) -> str:
    return next(r.code for r in bundled[1].regions() if r.hotlines and r.hotlines[0].hours)


def first_ids(file: str = "basics.yaml") -> list[str]:
    return [item["id"] for item in load_yaml(BUNDLED / "entries" / file)]


# -- export ----------------------------------------------------------------------------------------------


def test_export_on_fresh_db_equals_bundled_knowledge(capsys, bundled, in_tmp: Path) -> None:
    code, out, err = kb(capsys, "export")  # default folder: ./export
    assert code == 0, err
    assert f"Exported {len(bundled[0].entries)} entries and {len(bundled[1])} referral regions" in out
    folder = in_tmp / "export"
    assert (in_tmp / DB).is_file(), "a missing database is created"

    code, out, err = kb(capsys, "validate", str(folder))
    assert code == 0, err

    knowledge, referrals = bundled
    exported = load_knowledge(folder)
    assert list(exported.entries) == list(knowledge.entries)
    for entry_id, entry in knowledge.entries.items():
        assert exported.entries[entry_id].to_data() == entry.to_data(), entry_id
        assert exported.files[entry_id] == knowledge.files[entry_id]  # same file as the baseline
    assert load_referrals(folder / REFERRALS_FILE).to_data() == referrals.to_data()
    assert (folder / SYNONYMS_FILE).read_bytes() == (BUNDLED / SYNONYMS_FILE).read_bytes()
    assert exported.synonyms == knowledge.synonyms
    # The description at the top of each bundled file is kept.
    header = (BUNDLED / "entries" / "basics.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert header in (folder / "entries" / "basics.yaml").read_text(encoding="utf-8")
    # Every language's translations go along, in the files of the same names, and load back the same.
    assert knowledge.content_languages() and exported.content_languages() == knowledge.content_languages()
    for lang in knowledge.content_languages():
        assert dict(exported.translations[lang]) == dict(knowledge.translations[lang]), lang
        assert (folder / "entries" / lang / "basics.yaml").is_file()


def test_export_removes_stale_entry_files_and_refuses_the_knowledge_folder(capsys, in_tmp: Path) -> None:
    folder = export(capsys)
    stale = folder / "entries" / "old.yaml"
    stale.write_text("- id: leftover\n", encoding="utf-8")
    folder = export(capsys)
    assert not stale.exists()
    assert kb(capsys, "validate", str(folder))[0] == 0

    shutil.copytree(BUNDLED, in_tmp / "kn", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (in_tmp / "config.toml").write_text('[awarebot]\nknowledge_dir = "kn"\n', encoding="utf-8")
    before = (in_tmp / "kn" / REFERRALS_FILE).read_bytes()
    code, out, err = kb(capsys, "export", "--out", "kn")
    assert code == 1
    assert "refusing" in err
    assert (in_tmp / "kn" / REFERRALS_FILE).read_bytes() == before


# -- import ----------------------------------------------------------------------------------------------


def test_import_edited_copy_creates_revisions_and_export_reflects_them(capsys, bundled, in_tmp: Path) -> None:
    folder = export(capsys)
    first, second = first_ids()[:2]
    code_region = region_with_hours(bundled)
    new_answer = "Sex trafficking is exploitation of a person for sex through force, fraud or coercion.\n"
    new_phrasing = "tell me in one sentence what sex trafficking is about please"

    def change(data):
        data[0]["answer"] = new_answer
        data[0]["reviewed"] = dt.date.today().isoformat()  # a reviewed change: its translations are now stale
        data[1]["questions"].append(new_phrasing)

    edit_entries(folder, "basics.yaml", change)

    def change_region(data):
        region = next(r for r in data["regions"] if r["code"] == code_region)
        region["hotlines"][0]["hours"] = "Mon-Fri 9:00-17:00"

    edit_referrals(folder, change_region)

    code, out, err = kb(capsys, "import", str(folder), "--by", "Alice", "--note", "tidy basics")
    assert code == 0, err
    assert "2 entries, 0 translations and 1 region changed" in out
    assert f"entry '{first}': revision 1 published" in out

    for key in (first, second, code_region):
        rows = history(capsys, key)
        assert len(rows) == 2
        assert rows[0][0] == "0"
        assert rows[1][0] == "1"
        assert rows[1][2:] == ["Alice", "published", "tidy basics"]
    untouched = first_ids()[2]
    assert len(history(capsys, untouched)) == 1  # unchanged entries get no revision

    again = export(capsys, "export2")
    effective = load_knowledge(again)
    assert effective.entries[first].answer == new_answer.strip()
    assert new_phrasing in effective.entries[second].questions
    region = load_referrals(again / REFERRALS_FILE).get(code_region)
    assert region.hotlines[0].hours == "Mon-Fri 9:00-17:00"
    assert kb(capsys, "validate", str(again))[0] == 0

    # Importing the same folder again changes nothing.
    code, out, err = kb(capsys, "import", str(again), "--by", "Alice")
    assert code == 0, err
    assert "Nothing changed" in out
    assert len(history(capsys, first)) == 2


def test_import_of_invalid_copy_is_all_or_nothing(capsys, in_tmp: Path) -> None:
    folder = export(capsys)
    first = first_ids()[0]
    other = first_ids("effects.yaml")[0]
    edit_entries(folder, "effects.yaml", lambda data: data[0].__setitem__("answer", "A valid new answer.\n"))
    path = edit_entries(folder, "basics.yaml", lambda data: data[0].__setitem__("answer", "x " * 700 + "\n"))
    answer_line = load_yaml(path)[0].line_of("answer")

    code, out, err = kb(capsys, "import", str(folder), "--by", "Alice")
    assert code == 1
    assert f"basics.yaml:{answer_line}:" in err
    assert "1200" in err
    assert "nothing was imported" in err
    assert len(history(capsys, first)) == 1
    assert len(history(capsys, other)) == 1  # the valid change in the same folder was not written either

    # A broken YAML line is reported with file and line, nothing written.
    shutil.copyfile(BUNDLED / "entries" / "basics.yaml", path)
    text = path.read_text(encoding="utf-8")
    assert "\n  title: What sex trafficking is\n" in text
    path.write_text(text.replace("\n  title: What sex trafficking is\n", "\n  title: [What sex trafficking is\n", 1),
                    encoding="utf-8")
    code, out, err = kb(capsys, "import", str(folder), "--by", "Alice")
    assert code == 1
    assert re.search(r"basics\.yaml:\d+: invalid YAML", err), err
    assert len(history(capsys, other)) == 1


def test_import_refuses_deletions_and_bundled_only_parts(capsys, in_tmp: Path) -> None:
    folder = export(capsys)
    first = first_ids()[0]
    edit_entries(folder, "basics.yaml", lambda data: data.pop(0) and None)
    for translated in (folder / "entries").glob("*/basics.yaml"):  # an entry goes in every language
        data = load_yaml(translated)
        translated.write_text(dump_yaml([item for item in data if item["id"] != first]), encoding="utf-8")
    # `related` ids pointing at the removed entry would be reported too; drop them for a clean check.
    for file in (folder / "entries").glob("*.yaml"):
        edit_entries(folder, file.name,
                     lambda data: [item.__setitem__("related", [r for r in item["related"] if r != first])
                                   for item in data])
    code, out, err = kb(capsys, "import", str(folder), "--by", "Alice")
    assert code == 1
    assert f"entry '{first}' is missing" in err

    folder = export(capsys, "export2")
    edit_referrals(folder, lambda data: data["aliases"].__setitem__("EN", "GB"))
    code, out, err = kb(capsys, "import", str(folder), "--by", "Alice")
    assert code == 1
    assert "aliases" in err
    assert len(history(capsys, first)) == 1


def test_import_new_entry_goes_to_its_category_file(capsys, in_tmp: Path) -> None:
    folder = export(capsys)
    new = {
        "id": "test-new-entry",
        "title": "A new entry for tests",
        "category": "law",
        "questions": [f"zebra quokka question number {word}" for word in
                      ("one", "two", "three", "four", "five", "six")],
        "answer": "A short answer written by a moderator.\n",
        "related": [],
        "sources": ["https://example.org/source"],
        "reviewed": "2025-01-01",
    }
    shutil.move(folder / "entries" / "law.yaml", folder / "entries" / "zz-law.yaml")  # any file name loads
    edit_entries(folder, "zz-law.yaml", lambda data: data.append(new))
    code, out, err = kb(capsys, "import", str(folder), "--by", "Alice")
    assert code == 0, err
    assert "1 entry, 0 translations and 0 regions changed" in out

    rows = history(capsys, "test-new-entry")
    assert rows[0][:4] == ["0", "<bundled>", "-", "absent"]
    assert rows[1][0] == "1"
    code, out, err = kb(capsys, "revert", "test-new-entry", "0", "--by", "Bob")
    assert code == 1
    assert "not in the bundled YAML" in err

    again = export(capsys, "export2")
    assert not (again / "entries" / "zz-law.yaml").exists()
    assert load_knowledge(again).files["test-new-entry"] == "entries/law.yaml"
    assert load_yaml(again / "entries" / "law.yaml")[-1]["id"] == "test-new-entry"


# -- history and revert ----------------------------------------------------------------------------------


def _import_answer(capsys, answer: str, note: str, out: str) -> None:
    folder = export(capsys, out)
    def change(data):
        data[0]["answer"] = answer
        data[0]["reviewed"] = dt.date.today().isoformat()  # a reviewed change: its translations are now stale

    edit_entries(folder, "basics.yaml", change)
    code, stdout, err = kb(capsys, "import", str(folder), "--by", "Alice", "--note", note)
    assert code == 0, err


def test_history_and_revert(capsys, bundled, in_tmp: Path) -> None:
    first = first_ids()[0]
    bundled_answer = bundled[0].entries[first].answer
    _import_answer(capsys, "Version one of the answer.\n", "v1", "e1")
    _import_answer(capsys, "Version two of the answer.\n", "v2", "e2")

    code, out, err = kb(capsys, "history", first)
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(r"0\s+<bundled>\s+knowledge/entries/basics\.yaml\s+published\s+bundled YAML", lines[0])
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines]
    assert [row[0] for row in rows] == ["0", "1", "2"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", rows[1][1])
    assert rows[2][2:] == ["Alice", "published", "v2"]

    code, out, err = kb(capsys, "revert", first, "1", "--by", "Bob")
    assert code == 0, err
    assert "revision 3 published" in out
    assert load_knowledge(export(capsys, "after1")).entries[first].answer == "Version one of the answer."

    code, out, err = kb(capsys, "revert", first, "0", "--by", "Bob", "--note", "back to bundled")
    assert code == 0, err
    assert "revision 4 published" in out
    assert load_knowledge(export(capsys, "after0")).entries[first].answer == bundled_answer
    rows = history(capsys, first)
    assert rows[3][2:] == ["Bob", "published", "revert to revision 1"]
    assert rows[4][2:] == ["Bob", "published", "back to bundled"]

    code, out, err = kb(capsys, "revert", first, "0", "--by", "Bob")  # already the bundled text
    assert code == 0
    assert "nothing written" in out
    assert len(history(capsys, first)) == 5

    code, out, err = kb(capsys, "revert", first, "9", "--by", "Bob")
    assert code == 1
    assert "no revision 9" in err
    code, out, err = kb(capsys, "revert", "no-such-entry", "0", "--by", "Bob")
    assert code == 1
    assert "unknown entry 'no-such-entry'" in err
    code, out, err = kb(capsys, "history", "no-such-entry")
    assert code == 1
    assert "unknown entry 'no-such-entry'" in err
    code, out, err = kb(capsys, "history", "XQ")  # region-shaped but not listed
    assert code == 1
    assert "unknown region 'XQ'" in err
    assert len(history(capsys, first)) == 5


def test_region_history_and_revert(capsys, bundled, in_tmp: Path) -> None:
    code_region = region_with_hours(bundled)
    folder = export(capsys)
    edit_referrals(folder, lambda data: next(r for r in data["regions"] if r["code"] == code_region)
                   ["hotlines"][0].__setitem__("hours", "Weekdays only"))
    assert kb(capsys, "import", str(folder), "--by", "Alice")[0] == 0
    rows = history(capsys, code_region)
    assert rows[0] == ["0", "<bundled>", "knowledge/referrals.yaml", "published", "bundled YAML"]
    assert rows[1][:4][0] == "1"
    code, out, err = kb(capsys, "revert", code_region, "0", "--by", "Bob")
    assert code == 0, err
    region = load_referrals(export(capsys, "again") / REFERRALS_FILE).get(code_region)
    assert region.hotlines[0].hours == bundled[1].get(code_region).hotlines[0].hours


def test_revert_that_would_break_the_knowledge_is_refused(capsys, in_tmp: Path) -> None:
    first, second = first_ids()[:2]
    phrasing = "zebra quokka phrasing that moves between entries"
    folder = export(capsys, "e1")
    edit_entries(folder, "basics.yaml", lambda data: data[0]["questions"].append(phrasing))
    assert kb(capsys, "import", str(folder), "--by", "Alice")[0] == 0

    folder = export(capsys, "e2")

    def move(data):
        data[0]["questions"].remove(phrasing)
        data[1]["questions"].append(phrasing)

    edit_entries(folder, "basics.yaml", move)
    assert kb(capsys, "import", str(folder), "--by", "Alice")[0] == 0

    code, out, err = kb(capsys, "revert", first, "1", "--by", "Bob")  # would share the phrasing with `second`
    assert code == 1
    assert "also a question of" in err
    assert "nothing was written" in err
    assert len(history(capsys, first)) == 3
    assert len(history(capsys, second)) == 2


def test_revert_to_a_pending_revision_is_refused(capsys, bundled, in_tmp: Path) -> None:
    first = first_ids()[0]
    content = bundled[0].entries[first].to_data() | {"answer": "A pending proposal.\n"}

    async def propose() -> None:
        async with Store(DB) as store:
            await store.propose("entry", first, content, base_rev=0, author_id=7, author_name="Carol",
                                publish=False)

    asyncio.run(propose())
    rows = history(capsys, first)
    assert rows[1][2:] == ["Carol", "pending"]  # empty note: nothing after the status
    code, out, err = kb(capsys, "revert", first, "1", "--by", "Bob")
    assert code == 1
    assert "pending" in err
    assert len(history(capsys, first)) == 2


# -- database and config ---------------------------------------------------------------------------------


def test_config_in_current_folder_is_honoured(capsys, in_tmp: Path) -> None:
    (in_tmp / "config.toml").write_text('[awarebot]\ndatabase_path = "db/x.sqlite3"\n', encoding="utf-8")
    export(capsys)
    assert (in_tmp / "db" / "x.sqlite3").is_file()
    assert not (in_tmp / DB).exists()


def test_corrupt_database_is_reported_and_left_untouched(capsys, in_tmp: Path) -> None:
    (in_tmp / "data").mkdir()
    junk = b"this is not a database " * 200
    (in_tmp / DB).write_bytes(junk)
    for args in (("history", first_ids()[0]), ("export",), ("revert", first_ids()[0], "0", "--by", "Bob")):
        code, out, err = kb(capsys, *args)
        assert code == 1, args
        assert "database unavailable" in err
    assert (in_tmp / DB).read_bytes() == junk
    assert not (in_tmp / "export" / REFERRALS_FILE).exists()


def test_validate_refuses_an_id_too_long_for_telegram_buttons_and_links(capsys, in_tmp: Path) -> None:
    """Issue 10 item 9: callback data and ?start= payloads stop at 64; a longer id would be cut in transit."""
    from bot.knowledge import MAX_ID_LENGTH

    folder = export(capsys)
    path = folder / "entries" / "basics.yaml"
    data = load_yaml(path)
    long_id = "-".join(["trafficking"] * 6)[: MAX_ID_LENGTH + 1].rstrip("-") + "x"
    assert len(long_id) > MAX_ID_LENGTH
    old_id = data[0]["id"]
    data[0]["id"] = long_id
    for entries in (folder / "entries").glob("*.yaml"):  # keep related links pointing at it
        text = entries.read_text(encoding="utf-8").replace(f"- {old_id}\n", f"- {long_id}\n")
        entries.write_text(text, encoding="utf-8")
    path.write_text(dump_yaml(data), encoding="utf-8")
    code, out, err = kb(capsys, "validate", str(folder))
    assert code != 0
    assert f"at most {MAX_ID_LENGTH}" in err + out and long_id in err + out


def test_import_names_every_file_and_refuses_yaml_it_would_not_read(capsys, in_tmp: Path) -> None:
    folder = export(capsys)
    (folder / "new-entries.yaml").write_text((folder / "entries" / "basics.yaml").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    (folder / "NOTES.txt").write_text("notes\n", encoding="utf-8")
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 1 and "new-entries.yaml: kb import does not read this file" in err
    assert "nothing was imported" in err
    (folder / "new-entries.yaml").unlink()
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 0, err
    assert "ignored: NOTES.txt (not YAML)" in out
    assert (folder / "entries" / "es").is_dir()  # export writes the translations, and import reads them
    assert "entries/es" not in out and "Nothing changed" in out
    assert "no examples/*.yaml in export: the training examples in effect stay as they are" in out
    (folder / "entries" / "es" / "extra.yml").write_text("- id: x\n", encoding="utf-8")  # would not be read
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 1 and "extra.yml: kb import does not read this file" in err


def test_a_broken_file_anywhere_changes_nothing(capsys, in_tmp: Path) -> None:
    folder = export(capsys)
    text = (folder / "entries" / "basics.yaml").read_text(encoding="utf-8")
    (folder / "entries" / "basics.yaml").write_text(text.replace("What sex trafficking is", "Changed title", 1),
                                                    encoding="utf-8")
    examples = folder / "examples"
    examples.mkdir()
    (examples / "en.yaml").write_text("urgent: [\n", encoding="utf-8")  # a file import leaves alone, but broken
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 1 and "en.yaml" in err and "nothing was imported" in err
    code, out, _ = kb(capsys, "history", "what-is-sex-trafficking")
    assert code == 0 and "published" in out and "Amina" not in out  # only the bundled revision 0


def test_kb_example_proposes_training_examples_for_review(capsys, in_tmp: Path) -> None:
    line = "the boss keeps our papers in his safe and we sleep locked in the workshop"
    code, out, err = kb(capsys, "example", "en", "urgent", "--add", line, "--by", "Amina")
    assert code == 0, err
    assert f"today: {line!r} → " in out and "once learned: urgent" in out  # the preview, before and after
    assert "examples en.urgent: revision 1 waiting for review" in out
    code, out, _ = kb(capsys, "history", "en.urgent")
    assert code == 0 and "Amina" in out and "pending" in out
    code, _, err = kb(capsys, "example", "en", "urgent", "--remove", "not one of them", "--by", "Amina")
    assert code == 1 and "not an example of en.urgent" in err
    code, _, err = kb(capsys, "example", "en", "nonsense", "--add", "x", "--by", "Amina")
    assert code == 1 and "is not a language and label" in err


# -- translations ------------------------------------------------------------------------------------------------

ENTRY = "what-is-sex-trafficking"


def edit_translation(folder: Path, lang: str, entry_id: str, **changes: object) -> None:
    def change(data):
        item = next(i for i in data if i["id"] == entry_id)
        item.update(changes)

    edit_entries(folder, f"{lang}/basics.yaml", change)


def test_translations_round_trip_through_export_and_import(capsys, bundled, in_tmp: Path) -> None:
    folder = export(capsys)  # an unchanged export imports as nothing: test_import_names_every_file…
    spanish = bundled[0].translation(ENTRY, "es")
    today = dt.date.today().isoformat()
    new_answer = spanish.answer + "\n\nUna frase nueva, revisada por una moderadora.\n"
    edit_translation(folder, "es", ENTRY, answer=new_answer, reviewed=today)
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina", "--note", "es review")
    assert code == 0, err
    assert f"es translation of '{ENTRY}': revision 1 published" in out
    assert "0 entries, 1 translation and 0 regions changed" in out
    rows = history(capsys, ENTRY)
    assert len(rows) == 1  # the English entry got no revision
    code, out, err = kb(capsys, "history", ENTRY, "--lang", "es")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["0", "<bundled>"] and "entries/es/basics.yaml" in lines[0]
    assert "Amina" in lines[1] and "published" in lines[1] and "es review" in lines[1]
    # The export carries the revision, loads back the same, and importing it again changes nothing.
    again = export(capsys, "export2")
    translated = load_knowledge(again).translation(ENTRY, "es")
    assert translated is not None and translated.answer == new_answer.strip() and translated.reviewed == today
    assert load_knowledge(again).translation(ENTRY, "uk") == bundled[0].translation(ENTRY, "uk")
    code, out, err = kb(capsys, "import", str(again), "--by", "Amina")
    assert code == 0 and "Nothing changed" in out, err
    # Revert, per language.
    code, out, err = kb(capsys, "revert", ENTRY, "0", "--lang", "es", "--by", "Rita")
    assert code == 0 and f"es translation of '{ENTRY}': revision 2 published with the content of the bundled" in out, err
    code, out, err = kb(capsys, "revert", ENTRY, "0", "--lang", "es", "--by", "Rita")
    assert code == 0 and "already has the content of revision 0" in out, err  # the bundled translation is back
    code, _, err = kb(capsys, "history", ENTRY, "--lang", "xx")
    assert code == 1 and "unknown xx translation" in err


def test_an_invalid_translation_stops_the_whole_import(capsys, bundled, in_tmp: Path) -> None:
    folder = export(capsys)
    first = first_ids()[1]
    edit_entries(folder, "basics.yaml", lambda data: data[1]["questions"].append("one more way to ask about it"))
    # The loader's rules, with file and line: the figures of the English answer (18) are gone.
    edit_translation(folder, "fr", ENTRY, answer="La traite est un crime. Sans chiffres.\n")
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 1 and "nothing was imported" in err
    assert re.search(r"entries/fr/basics\.yaml:\d+: fr translation of 'what-is-sex-trafficking': the figures differ",
                     err), err
    assert len(history(capsys, first)) == 1  # the valid entry change was not written either
    # A translation left out of the folder would be deleted: refused.
    folder = export(capsys, "export2")
    edit_entries(folder, "uk/basics.yaml", lambda data: data.pop(0))
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 1 and "the uk translation of" in err and "an import cannot delete translations" in err


# -- training examples in export and import ----------------------------------------------------------------------


def test_examples_round_trip_when_exported_with_examples(capsys, in_tmp: Path) -> None:
    # The bundled knowledge with the examples of two languages only (thousands of lines fewer to parse each time).
    shutil.copytree(BUNDLED, in_tmp / "kn", ignore=shutil.ignore_patterns("__pycache__"))
    for path in (in_tmp / "kn" / "examples").glob("*.yaml"):
        if not path.name.startswith(("en-voices-a", "es-")):
            path.unlink()
    (in_tmp / "config.toml").write_text('[awarebot]\nknowledge_dir = "kn"\n', encoding="utf-8")
    folder = Path("export")
    code, out, err = kb(capsys, "export", "--out", str(folder), "--examples")
    assert code == 0, err
    assert sorted(p.name for p in (folder / "examples").glob("*.yaml")) == ["en.yaml", "es.yaml"]
    line = "the boss keeps our papers in his safe and we sleep locked in the workshop"
    path = folder / "examples" / "en.yaml"
    data = load_yaml(path)
    data["urgent"].append(line)
    path.write_text(dump_yaml(data), encoding="utf-8")
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 0, err
    # Only the changed (language, label) became a revision: every other example loaded back the same.
    assert "examples en.urgent: revision 1 published" in out and "1 set of examples" in out
    assert out.count("revision 1 published") == 1
    again = Path("export2")
    assert kb(capsys, "export", "--out", str(again), "--examples")[0] == 0
    assert load_yaml(again / "examples" / "en.yaml")["urgent"][-1] == line
    code, out, err = kb(capsys, "import", str(again), "--by", "Amina")
    assert code == 0 and "Nothing changed" in out, err  # an unchanged export changes nothing
    # A plain export over it removes the examples it no longer holds, so they can't undo later changes.
    code, out, err = kb(capsys, "export", "--out", str(again))
    assert code == 0 and not list((again / "examples").glob("*.yaml")) and "removed" in out, err
    # A (language, label) left out of an export with examples would be deleted: refused.
    data = load_yaml(path)
    del data["urgent"]
    path.write_text(dump_yaml(data), encoding="utf-8")
    code, out, err = kb(capsys, "import", str(folder), "--by", "Amina")
    assert code == 1 and "the examples en.urgent are missing" in err
