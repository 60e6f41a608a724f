"""Knowledge validation: the bundled set is complete and valid; every broken file is reported with file and line."""

import shutil
from pathlib import Path

import pytest

from bot.config import bundled_knowledge_dir
from bot.errors import KnowledgeError
from bot.knowledge import MAX_ANSWER_CHARS, MIN_QUESTIONS, load_knowledge

REQUIRED_IDS = """what-is-sex-trafficking forms-of-sex-trafficking who-is-at-risk scale-and-statistics
trafficking-vs-smuggling consent-and-coercion myths-and-facts men-and-boys child-sexual-exploitation
labour-and-sex-trafficking recruitment-tactics online-grooming coercion-and-control organized-crime
psychological-effects physical-health-effects stigma-and-reintegration us-law-tvpa international-law-palermo
legal-gaps survivor-legal-rights southeast-asia eastern-europe conflict-and-displacement awareness-campaigns
education-and-schools community-action online-safety collaboration signs-of-trafficking how-to-help-someone
how-to-report counseling-and-trauma-care legal-aid health-care shelter-and-rehabilitation
technology-and-detection apps-and-text-lines bot-privacy volunteer-and-donate""".split()

GOOD_ENTRY = """- id: {id}
  title: A test entry
  category: basics
  questions:
    - first way of asking {id}
    - second way of asking {id}
    - third way of asking {id}
    - fourth way of asking {id}
    - fifth way of asking {id}
    - sixth way of asking {id}
  answer: |
    A short, kind answer.
  related: []
  sources:
    - test
  reviewed: 2026-11-01
"""


def test_bundled_knowledge_is_complete_and_valid() -> None:
    knowledge = load_knowledge(bundled_knowledge_dir())
    assert sorted(knowledge.entries) == sorted(REQUIRED_IDS)
    for entry in knowledge.entries.values():
        assert len(entry.questions) >= MIN_QUESTIONS
        assert len(entry.answer) <= MAX_ANSWER_CHARS
        assert entry.sources and entry.reviewed


def make_dir(tmp_path: Path, text: str, name: str = "test.yaml") -> Path:
    entries = tmp_path / "entries"
    entries.mkdir(parents=True, exist_ok=True)
    (entries / name).write_text(text, encoding="utf-8")
    return tmp_path


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return [str(p) for p in caught.value.problems]


def test_valid_minimal_directory_loads(tmp_path: Path) -> None:
    knowledge = load_knowledge(make_dir(tmp_path, GOOD_ENTRY.format(id="alpha")))
    assert list(knowledge.entries) == ["alpha"]


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = GOOD_ENTRY.format(id="alpha").replace("  title: A test entry", "  title: [unclosed")
    found = problems_of(make_dir(tmp_path, broken))
    assert len(found) == 1
    assert "test.yaml:" in found[0] and "invalid YAML" in found[0]
    line = int(found[0].split("test.yaml:")[1].split(":")[0])
    assert 2 <= line <= 5


def linked(entry_id: str, related: str) -> str:
    return GOOD_ENTRY.format(id=entry_id).replace("related: []", f"related: [{related}]")


def test_a_quote_left_open_is_one_error_at_its_line_and_nothing_else(tmp_path: Path) -> None:
    text = linked("alpha", "beta") + linked("beta", "gamma") + linked("gamma", "alpha")
    lines = text.splitlines(keepends=True)
    lines[4] = '    - "first way of asking alpha\n'  # the quote is never closed
    broken_line = 5
    make_dir(tmp_path, "".join(lines), "a.yaml")
    make_dir(tmp_path, linked("delta", "beta") + linked("epsilon", "alpha"), "b.yaml")  # links into a.yaml
    (problem,) = problems_of(tmp_path)  # no follow-on errors in b.yaml for the ids a.yaml could not give
    assert f"a.yaml:{broken_line}:" in problem and "quote" in problem


def test_an_over_long_answer_is_one_error_not_one_per_link_to_it(tmp_path: Path) -> None:
    long = linked("alpha", "beta").replace("A short, kind answer.", "x" * (MAX_ANSWER_CHARS + 5))
    make_dir(tmp_path, long + linked("beta", "alpha"), "a.yaml")
    make_dir(tmp_path, linked("gamma", "alpha") + linked("delta", "alpha"), "b.yaml")
    (problem,) = problems_of(tmp_path)
    assert "a.yaml:" in problem and "characters" in problem


def test_a_link_to_an_entry_that_does_not_exist_is_still_reported(tmp_path: Path) -> None:
    long = linked("alpha", "beta").replace("A short, kind answer.", "x" * (MAX_ANSWER_CHARS + 5))
    make_dir(tmp_path, long + linked("beta", "nowhere"), "a.yaml")
    found = problems_of(tmp_path)
    assert len(found) == 2 and any("related id 'nowhere' does not exist" in p for p in found)


def test_the_c_loader_tracks_lines_too() -> None:
    import yaml

    from bot.yamlio import _LineLoader, parse_yaml

    assert not getattr(yaml, "__with_libyaml__", False) or issubclass(_LineLoader, yaml.CSafeLoader)
    data = parse_yaml("a: 1\nb:\n  - x\n  - y\n", "t.yaml")
    assert data.line_of("b") == 2 and data["b"].item_lines == [3, 4]


def test_missing_field_and_long_answer_name_their_lines(tmp_path: Path) -> None:
    text = GOOD_ENTRY.format(id="alpha").replace("  title: A test entry\n", "")
    text = text.replace("A short, kind answer.", "x" * (MAX_ANSWER_CHARS + 5))
    found = problems_of(make_dir(tmp_path, text))
    assert any("missing required field 'title'" in p and "test.yaml:1" in p for p in found)
    answer_line = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("  answer:"))
    assert any(f"test.yaml:{answer_line}" in p and "characters" in p for p in found)


def test_duplicate_ids_shared_phrasings_and_unknown_related(tmp_path: Path) -> None:
    one = GOOD_ENTRY.format(id="alpha")
    two = GOOD_ENTRY.format(id="beta").replace("first way of asking beta", "first way of asking alpha")
    two = two.replace("related: []", "related: [gamma]")
    found = problems_of(make_dir(tmp_path, one + two + GOOD_ENTRY.format(id="alpha").replace("first", "other")))
    joined = "\n".join(found)
    assert "duplicate id 'alpha'" in joined
    assert "also a question of 'alpha'" in joined
    assert "related id 'gamma' does not exist" in joined
    assert all("test.yaml:" in p for p in found)


def test_phone_numbers_and_html_are_refused_in_answers(tmp_path: Path) -> None:
    text = GOOD_ENTRY.format(id="alpha").replace("A short, kind answer.", "Call <b>1-888-373-7888</b> now.")
    joined = "\n".join(problems_of(make_dir(tmp_path, text)))
    assert "phone number" in joined
    assert "HTML" in joined


def test_one_bad_file_stops_everything(tmp_path: Path) -> None:
    # Never half loaded: a good file beside a broken one still fails the whole load.
    shutil.copytree(bundled_knowledge_dir(), tmp_path / "kb", ignore=shutil.ignore_patterns("__*"))
    (tmp_path / "kb" / "entries" / "zz-broken.yaml").write_text("- id: Bad Id\n  title: x\n", encoding="utf-8")
    found = problems_of(tmp_path / "kb")
    assert any("zz-broken.yaml:1" in p for p in found)


def test_an_unchanged_folder_is_loaded_once_and_a_changed_one_again(tmp_path: Path) -> None:
    import os

    from bot.engine import load_folder

    folder = tmp_path / "kb"
    shutil.copytree(bundled_knowledge_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    first = load_folder(folder)
    assert load_folder(folder) is first  # the same immutable objects, not parsed again
    entries = folder / "entries" / "basics.yaml"
    text = entries.read_text(encoding="utf-8")
    entries.write_text(text.replace("title: What sex trafficking is", "title: What sex trafficking means", 1),
                       encoding="utf-8")
    os.utime(entries, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    again = load_folder(folder)
    assert again is not first and again[0].get("what-is-sex-trafficking").title == "What sex trafficking means"
