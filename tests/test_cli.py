"""The `awarebot` command line in a fresh folder: in process (bot.cli.main, fast), with the privacy canary and the
closed-pipe case as subprocesses, the way a person runs it."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import default_model_cache_dir

REPO = Path(__file__).resolve().parents[1]
# The machine's model cache, where the session's `bundled_engine` has put the bundled knowledge's models: the
# subprocesses read them instead of fitting them again (minutes cold on a loaded machine; answers are the same).
MODEL_CACHE = Path(default_model_cache_dir()).resolve()
CANARY = "canary-7f3a9c zebra-lighthouse"


def run(args: list[str], cwd: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # A fresh folder, but the machine's model cache (MODEL_CACHE): fitting the models anew in every folder costs
    # minutes on a loaded machine (that is `make bench`'s business), and answers are the same either way.
    config = cwd / "config.toml"
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    if "[matching]" not in text:
        config.write_text(f'{text}\n[matching]\nmodel_cache_dir = "{MODEL_CACHE}"\n', encoding="utf-8")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, env=full_env, timeout=60,
    )


class Done:
    """What a command run in process left: exit code, standard output and standard error."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `awarebot ARGS` in process from folder `cwd`, with `stdin` as standard input."""
    import io

    from bot.cli import main

    def run_in_process(args: list[str], cwd: Path, stdin: str = "") -> Done:
        monkeypatch.chdir(cwd)
        for name in [k for k in os.environ if k.startswith("TELEGRAM_")]:
            monkeypatch.delenv(name)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(args)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run_in_process


def test_ask_prints_the_answer_with_the_referral(cli, tmp_path: Path) -> None:
    done = cli(["ask", "what are the signs of trafficking", "--region", "US"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "911" in done.stdout and "1-888-373-7888" in done.stdout
    assert "**" not in done.stdout and "<b>" not in done.stdout


def test_ask_json_has_exactly_the_promised_fields(cli, tmp_path: Path) -> None:
    done = cli(["ask", "why do traffickers take passports?", "--json", "--region", "gb"], tmp_path)
    reply = json.loads(done.stdout)
    assert set(reply) == {"kind", "entry_id", "score", "alternatives", "region", "lang", "detected_lang", "text"}
    assert reply["kind"] == "answer" and reply["region"] == "GB"
    assert "999" in reply["text"] and "**" not in reply["text"]


def test_ask_json_reads_stdin_one_object_per_line_in_order(cli, tmp_path: Path) -> None:
    lines = ["what is sex trafficking", "", "😀😀", "he took my passport and i can't leave", "whats the hotline"]
    done = cli(["ask", "--json", "-", "--region", "US"], tmp_path, stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["kind"] for r in replies] == ["answer", "fallback", "fallback", "urgent", "referral"]
    assert all("911" in r["text"] for r in replies)
    assert replies[3]["text"].splitlines()[0].find("911") >= 0  # urgent: emergency number first


def test_chat_session_commands(cli, tmp_path: Path) -> None:
    script = "\n".join(
        ["what is sex trafficking", "/region GB", "how do traffickers recruit", "/topics", "1", "/hotline",
         "/region ZZZ", "/nonsense", "/help", "/quit"]
    ) + "\n"
    done = cli(["chat", "--region", "US"], tmp_path, stdin=script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "911" in out and "999" in out  # the region change took effect
    assert "Region set to GB" in out
    assert "The basics" in out  # topics listed
    assert "don't know the region" in out
    assert "I don't know /nonsense" in out


def test_chat_ends_cleanly_at_end_of_input(cli, tmp_path: Path) -> None:
    done = cli(["chat"], tmp_path, stdin="what is sex trafficking\n")
    assert done.returncode == 0 and "Traceback" not in done.stderr


def test_kb_validate_ok_and_broken(cli, tmp_path: Path) -> None:
    ok = cli(["kb", "validate"], tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 40 entries")
    broken = tmp_path / "kb"
    (broken / "entries").mkdir(parents=True)
    (broken / "entries" / "a.yaml").write_text("- id: a\n  title: [oops\n", encoding="utf-8")
    bad = cli(["kb", "validate", str(broken)], tmp_path)
    assert bad.returncode == 1
    assert "a.yaml:2" in bad.stderr or "a.yaml:3" in bad.stderr
    assert "referrals.yaml" in bad.stderr  # the missing directory file is named too


def test_broken_knowledge_stops_chat_before_serving(cli, tmp_path: Path) -> None:
    broken = tmp_path / "kb"
    (broken / "entries").mkdir(parents=True)
    (broken / "entries" / "a.yaml").write_text("- id: a\n  title: x\n", encoding="utf-8")
    (tmp_path / "config.toml").write_text(f'[awarebot]\nknowledge_dir = "{broken}"\n', encoding="utf-8")
    done = cli(["chat"], tmp_path, stdin="what is trafficking\n")
    assert done.returncode == 1
    assert "cannot start" in done.stderr and "a.yaml:1" in done.stderr
    assert "Hello" not in done.stdout


def test_config_in_current_folder_sets_the_default_region(cli, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[awarebot]\ndefault_region = "CA"\n', encoding="utf-8")
    done = cli(["ask", "what is sex trafficking", "--json"], tmp_path)
    assert json.loads(done.stdout)["region"] == "CA"


def test_bad_config_is_a_clear_error(cli, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[awarebot]\nno_such_key = 1\n", encoding="utf-8")
    done = cli(["ask", "hi"], tmp_path)
    assert done.returncode == 2 and "no_such_key" in done.stderr


async def _create_database(path: Path) -> None:
    from bot.store import Store

    async with Store(path):
        pass


def test_a_question_creates_no_database(cli, tmp_path: Path) -> None:
    done = cli(["ask", "what is sex trafficking", "--region", "germany"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "region: germany → DE (Germany)" in done.stderr  # what was chosen is said
    assert "110" in done.stdout or "112" in done.stdout
    assert list(tmp_path.iterdir()) == []  # no data/ folder, no database file


def test_unknown_region_is_refused_with_the_list(cli, tmp_path: Path) -> None:
    done = cli(["ask", "what is sex trafficking", "--region", "ZZ"], tmp_path)
    assert done.returncode == 2
    assert "unknown region 'ZZ'" in done.stderr and "DE (Germany)" in done.stderr
    assert done.stdout == ""


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            try:
                if needle in path.read_bytes():
                    hits.append(path)
            except OSError:
                pass
    return hits


@pytest.mark.parametrize("mode", ["ask", "ask-stdin", "chat"])
@pytest.mark.usefixtures("bundled_engine")  # the models are fitted (once, in process) and cached before the children
def test_canary_never_reaches_disk_or_logs(tmp_path: Path, mode: str) -> None:
    work = tmp_path / "work"
    temp = tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    env = {"TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
    database = work / "data" / "awarebot.sqlite3"
    asyncio.run(_create_database(database))  # an existing database is read (moderators' revisions)
    urgent = f"he took my passport {CANARY} and i can not leave"
    if mode == "ask":
        done = run(["-v", "ask", f"what is trafficking {CANARY}", "--json"], work, env=env)
        again = run(["-v", "ask", urgent], work, env=env)
        outputs = done.stdout + done.stderr + again.stdout + again.stderr
    elif mode == "ask-stdin":
        done = run(["-v", "ask", "--json", "-"], work, stdin=f"{CANARY}\n{urgent}\n", env=env)
        outputs = done.stdout + done.stderr
    else:
        done = run(["-v", "chat"], work, stdin=f"{CANARY}\n{urgent}\n/quit\n", env=env)
        outputs = done.stdout + done.stderr
    assert done.returncode == 0
    assert "kind=" in outputs  # logging was on, and it logged kinds...
    assert CANARY not in outputs  # ...never the text (nor is it echoed back)
    assert database.is_file()  # the embedded SQLite file was there to be used
    needle = CANARY.encode()
    assert _files_containing(work, needle) == []
    assert _files_containing(temp, needle) == []


@pytest.mark.usefixtures("bundled_engine")
def test_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[matching]\nmodel_cache_dir = "{MODEL_CACHE}"\n')
    done = subprocess.run(
        f'"{sys.executable}" -m bot ask "what is sex trafficking" | head -1',
        shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert "Traceback" not in done.stderr and done.stdout.strip()
