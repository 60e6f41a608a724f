"""Moderation end to end: the real application polling the fake Bot API, a real SQLite store under tmp_path.

Moderators: an editor (1001) and two reviewers (2002, 3003). Anyone else (4242) is an ordinary person.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import TelegramBot
from fakebotapi import Call, FakeBotAPI

from bot.config import Config, ModerationConfig, Moderator, Role
from bot.engine import Engine
from bot.store import Store

EDITOR, REVIEWER, REVIEWER2, PERSON = 1001, 2002, 3003, 4242
MODERATORS = (
    Moderator(EDITOR, "Erin", Role.EDITOR),
    Moderator(REVIEWER, "Rita", Role.REVIEWER),
    Moderator(REVIEWER2, "Rob", Role.REVIEWER),
)
ENTRY = "what-is-sex-trafficking"
QUESTION = "what is sex trafficking"
REFERRAL = "In danger right now?"  # the first line of every referral block and card
NEW_ANSWER = "**Sex trafficking** is exploiting someone sexually for profit, by force, fraud or coercion. Version {n}."

Start = Callable[..., Awaitable[TelegramBot]]


def moderated(config: Config, *, require_review: bool = False, stale_after_days: int = 180) -> Config:
    return replace(config, moderation=ModerationConfig(
        require_review=require_review, stale_after_days=stale_after_days, moderators=MODERATORS,
    ))


async def _starting(fake_api: FakeBotAPI, engine: Engine, knowledge_dir: Path | None = None
                    ) -> AsyncIterator[Start]:
    bots: list[TelegramBot] = []

    async def starter(config: Config) -> TelegramBot:
        if knowledge_dir is not None:
            config = replace(config, knowledge_dir=knowledge_dir)
        bot = TelegramBot(fake_api, config, engine, open_store=True)
        bots.append(bot)
        await bot.start()
        return bot

    yield starter
    for bot in bots:
        await bot.stop()
    assert not fake_api.unhandled, fake_api.unhandled


@pytest.fixture
async def start(fake_api: FakeBotAPI, bundled_engine: Engine) -> AsyncIterator[Start]:
    """Start the bot as run_bot does: it opens the store itself (post_init) and serves published revisions."""
    async for starter in _starting(fake_api, bundled_engine):
        yield starter


@pytest.fixture
async def small_start(fake_api: FakeBotAPI, small_engine: Engine, small_knowledge_dir: Path) -> AsyncIterator[Start]:
    """As `start`, on the small knowledge folder: for tests that publish a change which retrains the models."""
    async for starter in _starting(fake_api, small_engine, small_knowledge_dir):
        yield starter


class Person:
    """One private chat: send text or tap buttons, then wait for the bot's message containing a fragment."""

    def __init__(self, bot: TelegramBot, user_id: int) -> None:
        self.server = bot.server
        self.id = user_id

    async def send(self, text: str, until: str) -> list[Call]:
        start = len(self.server.calls)
        self.server.send_text(self.id, text)
        return await self._until(start, until)

    async def tap(self, call: Call, label: str, until: str) -> list[Call]:
        start = len(self.server.calls)
        message_id = int(call.result["message_id"])
        self.server.press(self.id, message_id, label=label, user_id=self.id)
        return await self._until(start, until)

    # Generous: publishing a phrasing change refits the models (~15 s of CPU with eight languages, more on a
    # loaded machine); the wait ends as soon as the message is there.
    async def _until(self, start: int, fragment: str, timeout: float = 90.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [c for c in self.server.calls[start:] if self._mine(c)]
            if any(fragment in c.text for c in mine):
                return mine
            await asyncio.sleep(0.02)
        seen = [c.text[:200] for c in self.server.calls[start:] if self._mine(c)]
        raise AssertionError(f"chat {self.id}: no message containing {fragment!r}; got {seen}")

    def _mine(self, call: Call) -> bool:
        return (call.ok and call.method in ("sendMessage", "editMessageText")
                and call.params.get("chat_id") == self.id)


def last(calls: list[Call], fragment: str) -> Call:
    return [c for c in calls if fragment in c.text][-1]


def db_rows(config: Config, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(config.database_path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


async def ask(person: Person, question: str = QUESTION) -> Call:
    calls = await person.send(question, REFERRAL)
    return last(calls, REFERRAL)


async def publish_edit(mod: Person, text: str, until: str = "Published") -> list[Call]:
    await mod.send(f"/kb_edit {ENTRY}", "Send the new answer")
    calls = await mod.send(text, "Preview")
    return await mod.tap(last(calls, "Preview"), "Publish", until)


# --- who may do what ----------------------------------------------------------------------------------------------


async def test_ordinary_people_are_refused_politely_and_nothing_changes(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    person = Person(bot, PERSON)
    for command in (
        "/kb", f"/kb_edit {ENTRY}", f"/kb_phrase {ENTRY} + is this mine now", "/kb_new", "/kb_list",
        f"/kb_show {ENTRY}", f"/kb_history {ENTRY}", f"/kb_revert {ENTRY} 0", "/kb_pending", "/referral_edit DE",
        "/kb_stale", "/kb_stats", "/kb_cancel",
    ):
        calls = await person.send(command, "moderators only")
        refusal = last(calls, "moderators only")
        assert REFERRAL in refusal.text  # a refusal is a reply like any other: it carries the hotline
        assert not refusal.buttons
    # Their next text is a question like anyone's, not a draft.
    answer = await ask(person)
    assert "Sex trafficking" in answer.text
    assert db_rows(bot.config, "SELECT COUNT(*) FROM revisions") == [(0,)]
    assert bot.engine.version == 0


async def test_command_menus_list_moderator_commands_only_in_moderators_chats(
    start: Start, bot_config: Config, fake_api: FakeBotAPI
) -> None:
    await start(moderated(bot_config))
    calls = fake_api.calls_of("setMyCommands")
    public = [c for c in calls if "scope" not in c.params or c.params["scope"].get("type") == "default"]
    assert public and all(not c["command"].startswith(("kb", "referral")) for c in public[0].params["commands"])
    scoped = {c.params["scope"]["chat_id"]: [x["command"] for x in c.params["commands"]]
              for c in calls if c.params.get("scope", {}).get("type") == "chat"}
    assert set(scoped) == {EDITOR, REVIEWER, REVIEWER2}
    assert "kb_edit" in scoped[EDITOR] and "kb_revert" not in scoped[EDITOR]
    assert "kb_revert" in scoped[REVIEWER] and "start" in scoped[REVIEWER]  # the public commands stay too
    assert PERSON not in scoped


async def test_moderator_commands_work_in_a_private_chat_only(start: Start, bot_config: Config,
                                                             fake_api: FakeBotAPI) -> None:
    await start(moderated(bot_config))
    fake_api.send_text(-500, f"/kb_edit {ENTRY}", user_id=EDITOR)
    call = await fake_api.wait_for("sendMessage", chat_id=-500)
    assert "private chat" in call.text


# --- editing and publishing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("moderator", [EDITOR, REVIEWER])
async def test_edit_publishes_at_once_without_review_and_the_next_question_gets_it(
    start: Start, bot_config: Config, moderator: int
) -> None:
    bot = await start(moderated(bot_config, require_review=False))
    mod, person = Person(bot, moderator), Person(bot, PERSON)
    before = await ask(person)
    calls = await mod.send(f"/kb_edit {ENTRY}", "Send the new answer")
    assert any("International law describes it" in c.text for c in calls)  # the current answer is shown
    text = NEW_ANSWER.format(n=1)
    calls = await mod.send(text, "Preview")
    preview = calls[0]
    # Exactly as people will see it: the new text (bold rendered), then the referral block; no vote row.
    assert "exploiting someone sexually for profit" in preview.text and REFERRAL in preview.text
    assert "<b>Sex trafficking</b>" in preview.params["text"]
    assert not any(d.startswith("v:") for d in preview.button_data())
    calls = await mod.tap(last(calls, "Preview"), "Publish", "Published")
    assert "revision 1" in last(calls, "Published").text
    after = await ask(person)
    assert "exploiting someone sexually for profit" in after.text and after.text != before.text
    assert REFERRAL in after.text
    assert db_rows(bot.config, "SELECT rev, status, author_id FROM revisions") == [(1, "published", moderator)]


async def test_invalid_answers_say_what_to_fix_and_the_draft_goes_on(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    mod = Person(bot, EDITOR)
    await mod.send(f"/kb_edit {ENTRY}", "Send the new answer")
    calls = await mod.send("Call us on +1 888 373 7888 any time.", "Not saved yet")
    assert "phone number" in last(calls, "Not saved yet").text
    calls = await mod.send("Click <a href='x'>here</a>", "Not saved yet")
    assert "HTML" in last(calls, "Not saved yet").text
    calls = await mod.send("**unclosed bold", "Not saved yet")
    assert "**" in last(calls, "Not saved yet").text
    calls = await mod.send(NEW_ANSWER.format(n=2), "Preview")
    await mod.tap(last(calls, "Preview"), "Cancel", "Cancelled")
    assert db_rows(bot.config, "SELECT COUNT(*) FROM revisions") == [(0,)]


@pytest.mark.parametrize("moderator", [EDITOR, REVIEWER])
async def test_phrasings_are_added_and_removed_with_the_same_rules(
    small_start: Start, bot_config: Config, moderator: int
) -> None:
    bot = await small_start(moderated(bot_config))
    mod, person = Person(bot, moderator), Person(bot, PERSON)
    new_phrasing = "what is the quokka clause about"
    # A phrasing of another entry is refused: it would make matching ambiguous.
    other = bot.engine.knowledge.get("how-to-report").questions[0]
    calls = await mod.send(f"/kb_phrase {ENTRY} + {other}", "Not saved yet")
    assert "how-to-report" in last(calls, "Not saved yet").text
    calls = await mod.send(f"/kb_phrase {ENTRY} + {new_phrasing}", "Publish")
    assert new_phrasing in last(calls, "Publish").text
    calls = await mod.send("- 1", "Publish")  # more lines go on the same draft
    assert "1. sex trafficking definition" in last(calls, "Publish").text
    await mod.tap(last(calls, "Publish"), "Publish", "Published")
    entry = bot.engine.knowledge.get(ENTRY)
    assert new_phrasing in entry.questions and QUESTION not in entry.questions
    answer = await ask(person, new_phrasing)
    assert "International law describes it" in answer.text
    # The guided form: list, then +/- lines.
    calls = await mod.send(f"/kb_phrase {ENTRY}", "Send `+ new phrasing`")
    assert new_phrasing in last(calls, "phrasing").text


@pytest.mark.parametrize("moderator", [EDITOR, REVIEWER])
async def test_new_entry_step_by_step(small_start: Start, bot_config: Config, moderator: int) -> None:
    bot = await small_start(moderated(bot_config))
    mod, person = Person(bot, moderator), Person(bot, PERSON)
    await mod.send("/kb_new", "step 1 of 7")
    calls = await mod.send("Loverboy Method", "Not saved yet")  # not an id: says what to fix, waits
    assert "lowercase" in last(calls, "Not saved yet").text
    calls = await mod.send(ENTRY, "exists already")
    await mod.send("loverboy-method", "Step 2 of 7")
    calls = await mod.send("The loverboy method", "Step 3 of 7")
    calls = await mod.tap(last(calls, "Step 3 of 7"), "How traffickers operate", "Step 4 of 7")
    questions = [
        "what is the loverboy method", "loverboy trafficking", "what is a loverboy",
        "boyfriend who wants me to sell sex", "romeo pimp meaning",
    ]
    calls = await mod.send("\n".join(questions[:3]), "3 question(s) so far")
    calls = await mod.send("\n".join(questions[3:]), "send 1 more")
    calls = await mod.send("is a loverboy a trafficker", "tap Done")
    calls = await mod.tap(last(calls, "tap Done"), "Done", "Step 5 of 7")
    calls = await mod.send("A **loverboy** pretends to be in love and then pushes the person into selling sex.",
                           "Step 6 of 7")
    calls = await mod.send("no-such-entry", "does not exist")
    calls = await mod.send(f"{ENTRY} how-to-report", "Step 7 of 7")
    calls = await mod.send("https://example.org/loverboys", "Preview")
    assert "pretends to be in love" in calls[0].text and REFERRAL in calls[0].text
    await mod.tap(last(calls, "Preview"), "Publish", "Published")
    answer = await ask(person, "what is the loverboy method")
    assert "pretends to be in love" in answer.text


async def test_drafts_and_questions_never_reach_the_log(start: Start, bot_config: Config,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await start(moderated(bot_config))
    mod, person = Person(bot, EDITOR), Person(bot, PERSON)
    await publish_edit(mod, "The canarydraft answer, **bold** and plain.")
    await ask(person, "canaryquestion qwxz blorb")
    await mod.send("/kb_phrase what-is-sex-trafficking + canaryphrasing here", "Publish")
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "published entry" in logged  # the log says what happened ...
    for canary in ("canarydraft", "canaryquestion", "canaryphrasing"):
        assert canary not in logged  # ... never what anyone wrote


# --- review -------------------------------------------------------------------------------------------------------


async def test_four_eyes_an_editors_change_waits_for_a_reviewer(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config, require_review=True))
    editor, reviewer, person = Person(bot, EDITOR), Person(bot, REVIEWER), Person(bot, PERSON)
    await editor.send(f"/kb_edit {ENTRY}", "Send the new answer")
    calls = await editor.send(NEW_ANSWER.format(n=3), "Preview")
    assert any(b["text"].startswith("📝 Submit") for b in last(calls, "Preview").buttons)
    await editor.tap(last(calls, "Preview"), "Submit", "Submitted")
    await reviewer._until(0, "submitted revision 1")  # reviewers are told a change waits
    assert "Version 3" not in (await ask(person)).text  # not live yet
    # The author can't approve: only Withdraw.
    calls = await editor.send("/kb_pending", "Revision 1 of entry")
    item = last(calls, "Revision 1 of entry")
    assert [b["text"] for b in item.buttons] == ["Withdraw"]
    calls = await reviewer.send("/kb_pending", "Revision 1 of entry")
    item = last(calls, "Revision 1 of entry")
    assert "Version 3" in item.text  # the reviewer sees the new answer
    await reviewer.tap(item, "Approve", "Approved")
    await editor._until(0, "was approved by Rita")
    assert "Version 3" in (await ask(person)).text
    assert db_rows(bot.config, "SELECT author_id, reviewer_id, status FROM revisions") == [
        (EDITOR, REVIEWER, "published")
    ]


async def test_four_eyes_a_reviewers_own_change_needs_another_reviewer_and_rejection_is_told(
    start: Start, bot_config: Config
) -> None:
    bot = await start(moderated(bot_config, require_review=True))
    rita, rob, person = Person(bot, REVIEWER), Person(bot, REVIEWER2), Person(bot, PERSON)
    await rita.send(f"/kb_edit {ENTRY}", "Send the new answer")
    calls = await rita.send(NEW_ANSWER.format(n=4), "Preview")
    await rita.tap(last(calls, "Preview"), "Submit", "Submitted")
    calls = await rita.send("/kb_pending", "Revision 1 of entry")
    assert [b["text"] for b in last(calls, "Revision 1 of entry").buttons] == ["Withdraw"]
    calls = await rob.send("/kb_pending", "Revision 1 of entry")
    await rob.tap(last(calls, "Revision 1 of entry"), "Reject", "Rejected")
    await rita._until(0, "was not approved by Rob")
    assert "Version 4" not in (await ask(person)).text
    assert db_rows(bot.config, "SELECT status, reviewer_id FROM revisions") == [("rejected", REVIEWER2)]
    # An editor can't approve at all.
    await rita.send(f"/kb_edit {ENTRY}", "Send the new answer")
    calls = await rita.send(NEW_ANSWER.format(n=5), "Preview")
    await rita.tap(last(calls, "Preview"), "Submit", "Submitted")
    editor = Person(bot, EDITOR)
    calls = await editor.send("/kb_pending", "Revision 2 of entry")
    assert not last(calls, "Revision 2 of entry").buttons


async def test_two_moderators_racing_on_one_entry_lose_nothing(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    erin, rita, person = Person(bot, EDITOR), Person(bot, REVIEWER), Person(bot, PERSON)
    await erin.send(f"/kb_edit {ENTRY}", "Send the new answer")
    await rita.send(f"/kb_edit {ENTRY}", "Send the new answer")
    erin_preview = last(await erin.send(NEW_ANSWER.format(n=6), "Preview"), "Preview")
    rita_preview = last(await rita.send(NEW_ANSWER.format(n=7), "Preview"), "Preview")
    await erin.tap(erin_preview, "Publish", "Published")
    calls = await rita.tap(rita_preview, "Publish", "changed meanwhile")
    # Rita is shown the newer text (Erin's) and can redo her change on top of it.
    assert any("Version 6" in c.text for c in calls)
    assert "Version 6" in (await ask(person)).text
    calls = await rita.send(NEW_ANSWER.format(n=7), "Preview")
    await rita.tap(last(calls, "Preview"), "Publish", "revision 2")
    assert "Version 7" in (await ask(person)).text
    assert db_rows(bot.config, "SELECT rev, base_rev, author_id, status FROM revisions ORDER BY rev") == [
        (1, 0, EDITOR, "published"), (2, 1, REVIEWER, "published"),
    ]


async def test_history_and_revert(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    erin, rita, person = Person(bot, EDITOR), Person(bot, REVIEWER), Person(bot, PERSON)
    original = (await ask(person)).text
    await publish_edit(erin, NEW_ANSWER.format(n=8))
    await publish_edit(rita, NEW_ANSWER.format(n=9))
    calls = await erin.send(f"/kb_history {ENTRY}", "History of entry")
    history = last(calls, "History of entry").text
    assert "2: published · Rita" in history and "1: published · Erin" in history and "0: bundled" in history
    assert "UTC" in history
    calls = await erin.send(f"/kb_revert {ENTRY} 1", "Only reviewers")
    assert "Version 9" in (await ask(person)).text
    await rita.send(f"/kb_revert {ENTRY} 1", "back to revision 1")
    assert "Version 8" in (await ask(person)).text
    await rita.send(f"/kb_revert {ENTRY} 0", "back to revision 0")
    assert (await ask(person)).text == original
    calls = await rita.send(f"/kb_revert {ENTRY} 99", "has no revision 99")


# --- referral directory -------------------------------------------------------------------------------------------


async def test_referral_edit_needs_a_source_url_and_a_date(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    mod, person = Person(bot, EDITOR), Person(bot, PERSON)
    calls = await mod.send("/referral_edit DE", "Pick the field")
    assert "Where to get help: Germany" in calls[0].text  # the card as it is now
    calls = await mod.tap(last(calls, "Pick the field"), "Emergency number", "Send the new value")
    assert "110" in last(calls, "Send the new value").text
    calls = await mod.send("+49 1", "Not saved yet")  # not a German number
    assert "not a valid number" in last(calls, "Not saved yet").text
    await mod.send("112", "source URL")
    calls = await mod.send("-", "A source URL is required")
    calls = await mod.send("the police website", "http(s) URL")
    await mod.send("https://www.bundesregierung.de/notruf", "date you verified")
    calls = await mod.send("2999-01-01", "in the future")
    calls = await mod.send("today", "Preview")
    assert "Call 112" in calls[0].text
    await mod.tap(last(calls, "Preview"), "Publish", "Published")
    await person.send("/region DE", "Region set")
    calls = await person.send("/hotline", REFERRAL)
    assert "Call 112" in last(calls, REFERRAL).text
    (content,) = db_rows(bot.config, "SELECT content FROM revisions WHERE kind = 'region' AND key = 'DE'")[0]
    assert '"emergency_source": "https://www.bundesregierung.de/notruf"' in content


async def test_referral_edit_without_a_source_changes_nothing(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    mod = Person(bot, REVIEWER)
    calls = await mod.send("/referral_edit de", "Pick the field")
    calls = await mod.tap(last(calls, "Pick the field"), "phone", "Send the new value")
    await mod.send("116 006", "source URL")
    await mod.send("no source, trust me", "http(s) URL")
    await mod.send("/kb_cancel", "Cancelled")
    assert db_rows(bot.config, "SELECT COUNT(*) FROM revisions") == [(0,)]
    assert "Call 110" in bot.engine.hotline_reply("DE").text


# --- stale, stats -------------------------------------------------------------------------------------------------


async def test_kb_stale_lists_old_entries_and_regions(start: Start, bot_config: Config,
                                                      bundled_engine: Engine) -> None:
    config = moderated(bot_config, stale_after_days=180)
    old_entry = {**bundled_engine.knowledge.get("how-to-report").to_data(), "reviewed": "2020-01-02"}
    regions = {r["code"]: r for r in bundled_engine.referrals.to_data()["regions"]}
    old_region = {**regions["FR"], "verified": "2020-03-04"}
    async with Store(config.database_path) as store:  # published before the bot starts
        author = {"author_id": REVIEWER, "author_name": "Rita", "publish": True, "base_rev": 0}
        await store.propose("entry", "how-to-report", old_entry, **author)
        await store.propose("region", "FR", old_region, **author)
    bot = await start(config)
    calls = await Person(bot, EDITOR).send("/kb_stale", "Due for a re-check")
    text = last(calls, "Due for a re-check").text
    assert "how-to-report: reviewed 2020-01-02" in text and "FR: oldest check 2020-03-04" in text
    assert ENTRY not in text and "DE:" not in text


async def test_stats_count_without_any_text(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    person, mod = Person(bot, PERSON), Person(bot, REVIEWER)
    canaries = ("canaryfallback qwxz blorb", "I am being trafficked and he will hurt me, canaryurgent")
    answer = await ask(person)  # served
    await ask(person, canaries[0])  # fell back
    await ask(person, canaries[1])  # urgent
    await person.send("/hotline", REFERRAL)  # referral card
    assert answer.button_data()[-2:] == [f"v:u:{ENTRY}", f"v:d:{ENTRY}"]
    bot.server.press(PERSON, int(answer.result["message_id"]), f"v:u:{ENTRY}")
    edited = await bot.server.wait_for("editMessageReplyMarkup", chat_id=PERSON)
    assert not any(d.startswith("v:") for d in edited.button_data())  # one vote per answer
    calls = await mod.send("/kb_stats", "Usage in the last 30")
    text = last(calls, "Usage in the last").text
    assert "Answers served: 1 · fell back: 1 · urgent: 1 · hotline cards: 1 · 👍 1 · 👎 0" in text
    assert f"({ENTRY}): served 1 · 👍 1 · 👎 0" in text
    # Counts only: no question text and no user id of a person anywhere in the database files.
    await bot.stop()
    data = b"".join(p.read_bytes() for p in Path(bot.config.database_path).parent.iterdir() if p.is_file())
    for canary in (b"canaryfallback", b"canaryurgent", b"qwxz", b"hurt me"):
        assert canary not in data
    assert db_rows(bot.config, "SELECT COUNT(*) FROM revisions") == [(0,)]
    columns = {row[1] for t in ("daily_counts", "daily_votes")
               for row in db_rows(bot.config, f"PRAGMA table_info({t})")}
    assert columns == {"day", "event", "entry_id", "n", "up", "down"}


# --- a broken database --------------------------------------------------------------------------------------------


async def test_corrupt_database_at_start_people_are_still_answered(start: Start, bot_config: Config,
                                                                   fake_api: FakeBotAPI) -> None:
    config = moderated(bot_config)
    config.database_path.parent.mkdir(parents=True)
    garbage = b"this is not a database " * 100
    config.database_path.write_bytes(garbage)
    bot = await start(config)
    warning = await fake_api.wait_for("sendMessage", chat_id=EDITOR)
    assert "without its moderation database" in warning.text
    answer = await ask(Person(bot, PERSON))
    assert "International law describes it" in answer.text and REFERRAL in answer.text
    assert not any(d.startswith("v:") for d in answer.button_data())  # nothing to count votes in
    mod = Person(bot, REVIEWER)
    for command in (f"/kb_edit {ENTRY}", "/kb_new", "/referral_edit DE", "/kb_pending", "/kb_stats",
                    f"/kb_revert {ENTRY} 0"):
        await mod.send(command, "Editing is unavailable")
    await mod.send("/kb", "Editing is unavailable")
    await mod.send(f"/kb_show {ENTRY}", "Phrasings")  # reading still works
    assert config.database_path.read_bytes() == garbage  # never touched


# --- browsing -----------------------------------------------------------------------------------------------------


async def test_kb_list_pages_and_search(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    mod = Person(bot, EDITOR)
    calls = await mod.send("/kb_list", "page 1 of")
    page = last(calls, "page 1 of")
    assert len([d for d in page.button_data() if d.startswith("m:show:")]) == 8
    calls = await mod.tap(page, "Next", "page 2 of")
    assert last(calls, "page 2 of").method == "editMessageText"
    calls = await mod.send("/kb_list smuggling", "mentioning 'smuggling'")
    found = last(calls, "mentioning")
    assert "m:show:trafficking-vs-smuggling" in found.button_data()
    calls = await mod.tap(found, "smuggling", "Phrasings")
    await mod.send("/kb_list zzzqqq", "No entry mentions")


async def test_kb_show_in_a_language_previews_what_people_of_that_language_see(start: Start,
                                                                                 bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    mod = Person(bot, EDITOR)
    translated = bot.engine.knowledge.translation(ENTRY, "uk")
    assert translated is not None
    calls = await mod.send(f"/kb_show {ENTRY} uk", "Phrasings")
    assert translated.title in last(calls, "Phrasings").text
    preview = bot.engine.entry_reply(ENTRY, None, "uk").plain
    assert any(c.text == preview for c in calls)  # exactly the Ukrainian card, referral labels included


async def test_kb_stale_lists_translations_older_than_their_english_entry(start: Start, bot_config: Config,
                                                                          bundled_engine: Engine) -> None:
    config = moderated(bot_config)
    newer = {**bundled_engine.knowledge.get("how-to-report").to_data(), "reviewed": "2026-11-30"}
    async with Store(config.database_path) as store:
        author = {"author_id": REVIEWER, "author_name": "Rita", "publish": True, "base_rev": 0}
        await store.propose("entry", "how-to-report", newer, **author)
    bot = await start(config)
    calls = await Person(bot, EDITOR).send("/kb_stale", "Due for a re-check")
    text = last(calls, "Due for a re-check").text
    for lang in bundled_engine.knowledge.content_languages():
        assert f"how-to-report ({lang}): follows the English of" in text
        assert f"/kb_edit how-to-report {lang}" in text  # each line leads to the edit of that translation
    assert f"{ENTRY} (uk)" not in text
    # Editing the translation reviews it against the English in effect: it leaves the list.
    mod = Person(bot, EDITOR)
    await mod.send("/kb_edit how-to-report uk", "Send the new uk answer")
    calls = await mod.send(bundled_engine.knowledge.translation("how-to-report", "uk").answer, "Preview")
    await mod.tap(last(calls, "Preview"), "Publish", "Published")
    text = last(await mod.send("/kb_stale", "Due for a re-check"), "Due for a re-check").text
    assert "how-to-report (uk)" not in text and "how-to-report (es)" in text


# --- translations ---------------------------------------------------------------------------------------------------

ES_REFERRAL = "¿En peligro ahora mismo?"  # the first line of the Spanish referral block
ES_ANSWER = ("**La trata con fines de explotación sexual** es explotar sexualmente a alguien para sacar provecho, "
             "con fuerza, engaño o coerción; con menores de 18 años no hace falta ningún medio. Versión {n}.")  # no new figure


async def test_kb_edit_in_a_language_previews_publishes_and_reverts_that_translation(
    start: Start, bot_config: Config, bundled_engine: Engine
) -> None:
    bot = await start(moderated(bot_config))
    erin, rita, person = Person(bot, EDITOR), Person(bot, REVIEWER), Person(bot, PERSON)
    spanish = bundled_engine.knowledge.translation(ENTRY, "es")
    english = bundled_engine.knowledge.get(ENTRY)
    assert spanish is not None and english is not None
    asked = spanish.questions[0]
    before = last(await person.send(asked, ES_REFERRAL), ES_REFERRAL).text
    calls = await erin.send(f"/kb_edit {ENTRY} es", "Send the new es answer")
    # The current Spanish card exactly as a person writing in Spanish sees it, and the English it must follow.
    assert any(c.text == bundled_engine.entry_reply(ENTRY, None, "es").plain for c in calls)
    assert "International law describes it" in last(calls, "Send the new es answer").text
    # The loader's rules: the English figures (18), no phone numbers.
    calls = await erin.send("La trata es explotar a alguien. Versión sin cifras.", "Not saved yet")
    assert "figures differ from the English answer (missing: 18" in last(calls, "Not saved yet").text
    calls = await erin.send(ES_ANSWER.format(n="uno") + " Llama al +34 600 000 000.", "Not saved yet")
    assert "phone number" in last(calls, "Not saved yet").text
    calls = await erin.send(ES_ANSWER.format(n="uno"), "Preview")
    preview = calls[0]
    assert "Versión uno" in preview.text
    assert "<b>La trata con fines de explotación sexual</b>" in preview.params["text"]
    # Spanish interface and referral labels, as people writing in Spanish get them; no vote row.
    card = bundled_engine.entry_reply(ENTRY, None, "es").plain
    assert preview.text.endswith(card[card.index(ES_REFERRAL):])  # the whole Spanish referral block, last
    assert REFERRAL not in preview.text and not any(d.startswith("v:") for d in preview.button_data())
    calls = await erin.tap(last(calls, "Preview"), "Publish", "Published")
    assert "revision 1 of es translation of 'what-is-sex-trafficking'" in last(calls, "Published").text
    # What the preview showed is what a person writing in Spanish now gets; English readers see no change.
    assert bot.engine.entry_reply(ENTRY, None, "es").plain == preview.text
    after = last(await person.send(asked, "Versión uno"), "Versión uno").text
    assert after != before and ES_REFERRAL in after
    assert "Version" not in (await ask(person)).text
    # Only the answer changed, so the models in service are the ones already trained (nothing was retrained).
    assert bot.engine.models is bundled_engine.models and bot.engine.version == 1
    [(kind, key, content)] = db_rows(bot.config, "SELECT kind, key, content FROM revisions")
    assert (kind, key) == ("translation", f"es:{ENTRY}")
    stored = __import__("json").loads(content)
    assert stored["reviewed"] == __import__("datetime").date.today().isoformat()
    assert stored["source_reviewed"] == english.reviewed and stored["questions"] == list(spanish.questions)
    # History and revert, per language.
    calls = await erin.send(f"/kb_history {ENTRY} es", "History of es translation")
    history = last(calls, "History of es translation").text
    assert "1: published · Erin" in history and "0: bundled YAML" in history
    await erin.send(f"/kb_revert {ENTRY} es 0", "Only reviewers")
    await rita.send(f"/kb_revert {ENTRY} es 0", "back to revision 0")
    assert last(await person.send(asked, ES_REFERRAL), ES_REFERRAL).text == before
    await rita.send(f"/kb_revert {ENTRY} es 7", "has no revision 7")
    await erin.send(f"/kb_edit {ENTRY} xx", "There is no language 'xx'")
    assert db_rows(bot.config, "SELECT rev, status FROM revisions ORDER BY rev") == [(1, "published"),
                                                                                      (2, "published")]


async def test_a_translation_edit_waits_for_another_reviewer(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config, require_review=True))
    editor, reviewer = Person(bot, EDITOR), Person(bot, REVIEWER)
    await editor.send(f"/kb_edit {ENTRY} es", "Send the new es answer")
    calls = await editor.send(ES_ANSWER.format(n="dos"), "Preview")
    await editor.tap(last(calls, "Preview"), "Submit", "Submitted")
    await reviewer._until(0, "submitted revision 1 of es translation")
    assert "Versión dos" not in bot.engine.entry_reply(ENTRY, None, "es").plain  # not live yet
    calls = await reviewer.send("/kb_pending", "Revision 1 of es translation")
    item = last(calls, "Revision 1 of es translation")
    assert "Versión dos" in item.text and "reviewed: not reviewed →" in item.text
    await reviewer.tap(item, "Approve", "Approved")
    await editor._until(0, "was approved by Rita")
    assert "Versión dos" in bot.engine.entry_reply(ENTRY, None, "es").plain
    assert db_rows(bot.config, "SELECT author_id, reviewer_id, status FROM revisions") == [
        (EDITOR, REVIEWER, "published")
    ]


async def test_kb_phrase_in_a_language_changes_that_translations_phrasings_by_the_loaders_rules(
    start: Start, bot_config: Config, bundled_engine: Engine
) -> None:
    # Review on, and the change is rejected: a published phrasing would retrain the models (slow), and publishing
    # itself is the path every revision kind shares (tested above with answers).
    bot = await start(moderated(bot_config, require_review=True))
    erin, rob = Person(bot, EDITOR), Person(bot, REVIEWER2)
    spanish = bundled_engine.knowledge.translation(ENTRY, "es")
    other = bundled_engine.knowledge.translation("how-to-report", "es")
    assert spanish is not None and other is not None
    calls = await erin.send(f"/kb_phrase {ENTRY} es", "Question phrasings of the es translation")
    assert spanish.questions[0] in last(calls, "Question phrasings").text and "At least 8" in last(calls, "At least").text
    minus = "\n".join(f"- {n}" for n in range(len(spanish.questions), 7, -1))  # down to 7 phrasings
    calls = await erin.send(minus, "Not saved yet")
    assert "at least 8 needed" in last(calls, "Not saved yet").text
    calls = await erin.send(f"+ {other.questions[0]}", "Not saved yet")
    assert "is also a question of 'how-to-report'" in last(calls, "Not saved yet").text
    calls = await erin.send("+ oye que significa trata sexual exactamente", "after your change")
    await erin.tap(last(calls, "after your change"), "Submit", "Submitted")
    calls = await rob.send("/kb_pending", "Revision 1 of es translation")
    assert "+ question: oye que significa trata sexual exactamente" in last(calls, "Revision 1 of es").text
    await rob.tap(last(calls, "Revision 1 of es"), "Reject", "Rejected")
    assert bot.engine.knowledge.translation(ENTRY, "es") == spanish  # nothing went live
    [(kind, key, status)] = db_rows(bot.config, "SELECT kind, key, status FROM revisions")
    assert (kind, key, status) == ("translation", f"es:{ENTRY}", "rejected")


async def test_the_translation_preview_is_that_languages_card_for_the_moderators_region(
    start: Start, bot_config: Config, bundled_engine: Engine
) -> None:
    bot = await start(moderated(bot_config))
    mod = Person(bot, EDITOR)
    await mod.send("/region UA", "Region set: Ukraine")
    ukrainian = bundled_engine.knowledge.translation(ENTRY, "uk")
    assert ukrainian is not None
    await mod.send(f"/kb_edit {ENTRY} uk", "Send the new uk answer")
    calls = await mod.send(ukrainian.answer, "Preview")
    card = bundled_engine.entry_reply(ENTRY, "UA", "uk").plain
    # The Ukrainian card for Ukraine, word for word: Ukrainian labels, the directory's Ukrainian notes and numbers.
    assert calls[0].text == card and "Регіон: Україна" in card
    await mod.tap(last(calls, "Preview"), "Cancel", "Cancelled")
    assert db_rows(bot.config, "SELECT COUNT(*) FROM revisions") == [(0,)]


async def test_two_moderators_editing_one_translation_lose_nothing(start: Start, bot_config: Config) -> None:
    bot = await start(moderated(bot_config))
    erin, rita = Person(bot, EDITOR), Person(bot, REVIEWER)
    await erin.send(f"/kb_edit {ENTRY} es", "Send the new es answer")
    await rita.send(f"/kb_edit {ENTRY} es", "Send the new es answer")
    erin_preview = last(await erin.send(ES_ANSWER.format(n="tres"), "Preview"), "Preview")
    rita_preview = last(await rita.send(ES_ANSWER.format(n="cuatro"), "Preview"), "Preview")
    await erin.tap(erin_preview, "Publish", "Published")
    calls = await rita.tap(rita_preview, "Publish", "changed meanwhile")
    assert any("Versión tres" in c.text for c in calls)  # the newer Spanish card is shown
    calls = await rita.send(ES_ANSWER.format(n="cuatro"), "Preview")
    await rita.tap(last(calls, "Preview"), "Publish", "revision 2")
    assert "Versión cuatro" in bot.engine.entry_reply(ENTRY, None, "es").plain
    assert db_rows(bot.config, "SELECT rev, base_rev, author_id FROM revisions ORDER BY rev") == [
        (1, 0, EDITOR), (2, 1, REVIEWER),
    ]
