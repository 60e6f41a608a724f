"""A first run as the README tells it: the commands it gives exist, the console chat honours what it promises, and
the package metadata is in the forms setuptools accepts without warnings."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

from bot.cli import build_parser
from bot.console import FORGOTTEN, ConsoleChat
from bot.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_set_up_has_exactly_the_two_commands() -> None:
    setup = README.split("## Set-up", 1)[1].split("##", 1)[0]
    block = setup.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make run", "make test"]


def test_every_make_target_the_readme_names_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    named = set(re.findall(r"`make ([a-z][a-z-]*)", README))
    assert named and named <= targets, named - targets


def test_every_awarebot_command_the_readme_names_parses() -> None:
    parser = build_parser()
    commands = re.findall(r"`\.venv/bin/awarebot ([a-z ]+?)(?: \[|`| \"| -|\s*/)", README)
    assert len(commands) >= 5
    for command in commands:
        words = command.split()
        if words == ["kb"] or words[:2] in (["kb", "export"], ["kb", "import"]):
            continue  # "kb --help", and "kb export / import / …" named together (their arguments are required)
        args = words + (["x"] if words == ["ask"] else [])
        parser.parse_args(args)  # SystemExit (a test failure) on a command that does not exist


def test_readme_does_not_rely_on_an_activated_virtualenv() -> None:
    assert not re.search(r"^\| `awarebot ", README, flags=re.M)  # table rows say .venv/bin/awarebot or make


def test_console_forget_clears_region_and_suggestions(bundled_engine: Engine) -> None:
    out = io.StringIO()
    chat = ConsoleChat(bundled_engine, "GB", io.StringIO(), out)
    chat.handle("how do traffickers recruit")
    assert chat.region == "GB" and chat.choices
    chat.handle("/forget")
    assert chat.region == bundled_engine.default_region and chat.choices == []
    assert FORGOTTEN in out.getvalue()


def test_console_hotline_takes_a_region(bundled_engine: Engine) -> None:
    out = io.StringIO()
    chat = ConsoleChat(bundled_engine, "US", io.StringIO(), out)
    chat.handle("/hotline germany")
    assert bundled_engine.hotline_reply("DE").plain in out.getvalue()
    assert chat.region == "US"


def test_package_metadata_uses_forms_setuptools_accepts_quietly() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert isinstance(project["project"]["license"], str)  # an SPDX expression, not the deprecated table
    setuptools = project["tool"]["setuptools"]
    assert "packages" in setuptools and "find" in setuptools["packages"]  # discovery, not a hand-kept list
