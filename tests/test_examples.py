"""Training examples (knowledge/examples/*.yaml) are validated like the rest of the knowledge: every problem with its
file and line, nothing half loaded; they reach the models through Knowledge.training_phrasings/safety_examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import bundled_knowledge_dir
from bot.errors import KnowledgeError
from bot.examples import OFF_TOPIC, REFERRAL, smalltalk_label
from bot.knowledge import load_knowledge


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(bundled_knowledge_dir() / "entries", target / "entries")
    (target / "examples").mkdir()
    return target


def _problems(folder: Path, text: str) -> list[str]:
    (folder / "examples" / "xx.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    return [str(p) for p in caught.value.problems]


def test_a_valid_file_reaches_both_models(folder: Path) -> None:
    (folder / "examples" / "en.yaml").write_text(
        "lang: en\n"
        "answers: [{text: 'how do fake job ads trap people', entry: recruitment-tactics}]\n"
        "urgent: ['they took my phone and will not let me go home']\n"
        "referral: ['who do i call about a massage place']\n"
        "smalltalk: {greeting: ['hey there'], about-bot: ['are you a robot']}\n"
        "off_topic: ['how do i fix my bike chain']\n"
        "general: ['how do traffickers use debt']\n",
        encoding="utf-8",
    )
    knowledge = load_knowledge(folder)
    phrasings = dict(knowledge.training_phrasings())
    assert phrasings["how do fake job ads trap people"] == "recruitment-tactics"
    assert phrasings["who do i call about a massage place"] == REFERRAL
    assert phrasings["hey there"] == smalltalk_label("greeting")
    assert phrasings["how do i fix my bike chain"] == OFF_TOPIC
    safety = dict(knowledge.safety_examples())
    assert safety["they took my phone and will not let me go home"] is True
    assert safety["how do traffickers use debt"] is False and safety["hey there"] is False
    replaced = knowledge.with_examples({("en", "urgent"): ("a different urgent line",)})
    assert dict(replaced.safety_examples())["a different urgent line"] is True
    assert "they took my phone and will not let me go home" not in dict(replaced.safety_examples())


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("lang: en\nanswers:\n  - {text: 'x y z', entry: no-such-entry}\n", 3, "unknown entry id 'no-such-entry'"),
        ("lang: en\nurgent:\n  - 'help me'\n  - '  '\n", 4, "empty example line"),
        ("lang: en\noff_topic:\n  - 'cook rice'\n  - 'Cook rice!'\n", 4, "repeated"),
        ("lang: en\noff_topic: ['cook rice']\nreferral: ['cook rice']\n", 3, "also labelled 'off_topic'"),
        ("lang: en\nsurprise: ['x']\n", 2, "unknown key 'surprise'"),
        ("lang: en\nsmalltalk:\n  weather: ['nice day']\n", 3, "unknown smalltalk sub-intent 'weather'"),
        ("urgent: ['help me']\n", 1, "'lang' is required"),
        ("lang: en\nurgent: 'help me'\n", 2, "must be a list"),
    ],
)
def test_problems_name_file_and_line(folder: Path, text: str, line: int, says: str) -> None:
    problems = _problems(folder, text)
    assert any(p.startswith(f"{folder / 'examples' / 'xx.yaml'}:{line}:") and says in p for p in problems), problems
