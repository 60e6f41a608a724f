"""handlers.kbchat (the moderators' conversation) and bot.kb without Telegram: pure helpers, then the service over a real Store in tmp_path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from telegram import Chat, Message, MessageEntity

from bot.config import Config, ModerationConfig, Moderator, Role
from bot.engine import Engine, LiveEngine
from bot.kb.content import entry_problems, region_problems, search_entries, stale_items
from bot.replies import ReplyKind
from bot.store import Store
from bot.usage import stats_event
from handlers.kbchat import (
    ANOTHER,
    CANCEL,
    FIELD,
    NOT_MODERATOR,
    PUBLISH,
    UNAVAILABLE,
    Draft,
    Flow,
    Moderation,
    ModerationError,
    Session,
    Sessions,
    Step,
    change_phrasings,
    describe_change,
    field_holder,
    format_stats,
    region_fields,
)
from handlers.moderation import callback_data, light_markup, markup

EDITOR, REVIEWER, REVIEWER2, PERSON = 1001, 2002, 3003, 4242
ENTRY = "what-is-sex-trafficking"
ANSWER = "A new answer about **trafficking**, version {n}."


# --- pure helpers -------------------------------------------------------------------------------------------------


def test_sessions_expire_after_the_timeout() -> None:
    now = [0.0]
    sessions = Sessions(ttl=60, clock=lambda: now[0])
    sessions.put(EDITOR, Session(Flow.EDIT, Step.ANSWER, Draft("entry", ENTRY, 0, {})))
    assert sessions.awaiting_text(EDITOR) and not sessions.awaiting_text(REVIEWER)
    now[0] = 59
    assert sessions.get(EDITOR) is not None
    sessions.put(EDITOR, sessions.get(EDITOR))  # used again: the timeout starts again
    now[0] = 118
    assert sessions.awaiting_text(EDITOR)
    now[0] = 200
    assert sessions.get(EDITOR) is None and len(sessions) == 0


def test_sessions_waiting_for_a_button_do_not_take_text() -> None:
    sessions = Sessions()
    sessions.put(EDITOR, Session(Flow.NEW, Step.CATEGORY, Draft("entry", "x", 0, {})))
    sessions.put(REVIEWER, Session(Flow.REGION, Step.FIELD, Draft("region", "DE", 0, {})))
    assert not sessions.awaiting_text(EDITOR) and not sessions.awaiting_text(REVIEWER)


def test_change_phrasings() -> None:
    questions = ["what is it", "define it", "meaning of it"]
    assert change_phrasings(questions, "+ what does it mean") == [*questions, "what does it mean"]
    assert change_phrasings(questions, "- 2") == ["what is it", "meaning of it"]
    assert change_phrasings(questions, "-  What is IT?") == ["define it", "meaning of it"]  # normalised
    for bad in ("what is it", "+", "- not there", ""):
        with pytest.raises(ModerationError):
            change_phrasings(questions, bad)


def test_entry_problems_use_the_kb_validate_rules(bundled_engine: Engine) -> None:
    knowledge = bundled_engine.knowledge
    good = knowledge.get(ENTRY).to_data()
    assert entry_problems(good, knowledge) == []
    assert any("phone number" in p for p in entry_problems({**good, "answer": "Call 0800 123 4567"}, knowledge))
    assert any("at most 80" in p for p in entry_problems({**good, "title": "x" * 81}, knowledge))
    other = knowledge.get("how-to-report").questions[0]
    shared = entry_problems({**good, "questions": [*good["questions"], other]}, knowledge)
    assert any("how-to-report" in p for p in shared)
    assert any("does not exist" in p for p in entry_problems({**good, "related": ["nope"]}, knowledge))


def test_entry_problems_of_a_new_entry_step_by_step(bundled_engine: Engine) -> None:
    knowledge = bundled_engine.knowledge
    assert entry_problems({"id": "new-one"}, knowledge, frozenset({"id"})) == []
    assert entry_problems({"id": "New One"}, knowledge, frozenset({"id"}))
    assert entry_problems({"id": "new-one"}, knowledge)  # everything asked: the rest is missing


def test_region_problems_and_fields(bundled_engine: Engine) -> None:
    referrals = bundled_engine.referrals
    regions = {r["code"]: r for r in referrals.to_data()["regions"]}
    de = regions["DE"]
    assert region_problems(de, referrals) == []
    assert any("http(s) URL" in p for p in region_problems({**de, "emergency_source": "a website"}, referrals))
    paths = [path for path, _ in region_fields(de)]
    assert paths[0] == "emergency" and "h0.phone" in paths and "a.how_to_report" in paths
    holder, key, source = field_holder(de, "h1.web")
    assert holder is de["hotlines"][1] and key == "web" and source == "source"
    with pytest.raises(ModerationError):
        field_holder(de, "h9.phone")


def test_describe_change_shows_what_a_reviewer_decides_on() -> None:
    old = {"title": "T", "questions": ["a", "b"], "answer": "old text", "reviewed": "2026-01-01"}
    new = {"title": "T2", "questions": ["a", "c"], "answer": "new text", "reviewed": "2026-02-02"}
    text = describe_change("entry", old, new)
    assert "+ question: c" in text and "− question: b" in text and "title: T → T2" in text
    assert "New answer:\nnew text" in text and "old text" not in text
    region = describe_change("region", {"emergency": "110", "hotlines": [{"phone": "1"}]},
                             {"emergency": "112", "hotlines": [{"phone": "1"}]})
    assert region == "emergency: 110 → 112"


def test_stale_items(bundled_engine: Engine) -> None:
    knowledge, referrals = bundled_engine.knowledge, bundled_engine.referrals
    assert stale_items(knowledge, referrals, date(2026, 11, 28), 180) == ([], [])
    entries, regions = stale_items(knowledge, referrals, date(2027, 12, 1), 180)
    assert len(entries) == len(knowledge.entries) and len(regions) == len(referrals)


def test_stats_event_and_format(bundled_engine: Engine) -> None:
    assert stats_event(bundled_engine.entry_reply(ENTRY)) == ("served", ENTRY)
    assert stats_event(bundled_engine.hotline_reply()) == ("referral", None)
    assert stats_event(bundled_engine.respond("qwxz blorb")) == ("fallback", None)
    assert stats_event(bundled_engine.help_reply()) is None
    assert stats_event(bundled_engine.error_reply()) is None
    zero = {"served": 0, "fallback": 0, "urgent": 0, "referral": 0, "up": 0, "down": 0}
    stats = {**zero, "served": 3, "up": 1, "days": {"2026-11-28": {**zero, "served": 3, "up": 1}},
             "entries": {ENTRY: {**zero, "served": 3, "up": 1}}}
    text = format_stats(stats, 7, {ENTRY: "What sex trafficking is"})
    assert "last 7 day(s)" in text and "2026-11-28: served 3" in text
    assert f"What sex trafficking is ({ENTRY}): served 3 · 👍 1 · 👎 0" in text


def test_search_entries(bundled_engine: Engine) -> None:
    assert [e.id for e in search_entries(bundled_engine.knowledge, "smuggling")][:3]
    assert len(search_entries(bundled_engine.knowledge, "")) == len(bundled_engine.knowledge.entries)
    assert search_entries(bundled_engine.knowledge, "zzzqqq") == []


def test_buttons_map_to_short_callback_data() -> None:
    from bot.replies import Button

    assert callback_data(PUBLISH) == "m:publish"
    assert callback_data("mod:show:" + "x" * 80) is None
    buttons = [Button("✅ Publish", PUBLISH), Button("Cancel", CANCEL), Button("A long entry title here", "mod:show:a")]
    keyboard = markup(buttons)
    assert [[b.text for b in row] for row in keyboard.inline_keyboard] == [
        ["✅ Publish", "Cancel"], ["A long entry title here"]
    ]


def test_light_markup_turns_telegram_bold_back_into_stars() -> None:
    text = "Hi 👋 bold here and there"
    entities = [MessageEntity(MessageEntity.BOLD, offset=6, length=4), MessageEntity(MessageEntity.ITALIC, 0, 2)]
    message = Message(1, None, Chat(1, "private"), text=text, entities=entities)  # type: ignore[arg-type]
    assert light_markup(message) == "Hi 👋 **bold** here and there"  # 👋 is two UTF-16 units
    assert light_markup(Message(1, None, Chat(1, "private"), text="plain")) == "plain"  # type: ignore[arg-type]


# --- the service over a real store ---------------------------------------------------------------------------------


def config_with(tmp_path: Path, *, require_review: bool = False) -> Config:
    return replace(
        Config(),
        database_path=tmp_path / "awarebot.sqlite3",
        moderation=ModerationConfig(require_review=require_review, moderators=(
            Moderator(EDITOR, "Erin", Role.EDITOR), Moderator(REVIEWER, "Rita", Role.REVIEWER),
            Moderator(REVIEWER2, "Rob", Role.REVIEWER),
        )),
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "awarebot.sqlite3") as s:
        yield s


def service(config: Config, engine: Engine, store: Store | None) -> Moderation:
    return Moderation(config, LiveEngine(engine), lambda: store)


async def edit(svc: Moderation, user_id: int, text: str) -> str:
    await svc.start_edit(user_id, ENTRY, None)
    said = await svc.text(user_id, text, None)
    assert said.preview is not None, said.body
    return (await svc.press(user_id, PUBLISH, None)).body


async def test_people_who_are_not_moderators_change_nothing(tmp_path: Path, bundled_engine: Engine,
                                                            store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    for said in (
        await svc.menu(PERSON), await svc.start_edit(PERSON, ENTRY, None), await svc.start_new(PERSON),
        await svc.text(PERSON, "hello", None), await svc.press(PERSON, PUBLISH, None),
        await svc.approve(PERSON, 1), await svc.reject(PERSON, 1), await svc.revert(PERSON, ENTRY, "0"),
        await svc.start_region(PERSON, "DE", None), await svc.stats(PERSON), await svc.stale(PERSON),
        (await svc.pending(PERSON))[0],
    ):
        assert said.body == NOT_MODERATOR
    assert await store.history("entry", ENTRY) == [] and len(svc.sessions) == 0


async def test_publishing_swaps_the_live_engine(tmp_path: Path, bundled_engine: Engine, store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    before = svc.live.current
    body = await edit(svc, EDITOR, ANSWER.format(n=1))
    assert "Published as revision 1" in body
    after = svc.live.current
    assert after is not before and after.version == before.version + 1
    assert "version 1" in after.entry_reply(ENTRY).text and "version 1" not in before.entry_reply(ENTRY).text
    assert after.respond("what is sex trafficking").entry_id == ENTRY


async def test_previews_leave_the_live_engine_alone(tmp_path: Path, bundled_engine: Engine, store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    await svc.start_edit(EDITOR, ENTRY, "DE")
    said = await svc.text(EDITOR, ANSWER.format(n=2), "DE")
    assert said.preview is not None and said.preview.kind is ReplyKind.ANSWER
    assert "version 2" in said.preview.text and "Call 110" in said.preview.text  # the moderator's region
    assert svc.live.current is bundled_engine


async def test_four_eyes_in_the_service(tmp_path: Path, bundled_engine: Engine, store: Store) -> None:
    svc = service(config_with(tmp_path, require_review=True), bundled_engine, store)
    body = await edit(svc, REVIEWER, ANSWER.format(n=3))
    assert "Submitted as revision 1" in body
    (revision,) = await store.pending()
    assert "another reviewer" in (await svc.approve(REVIEWER, revision.id)).body
    assert "Only reviewers" in (await svc.approve(EDITOR, revision.id)).body
    assert "Only reviewers" in (await svc.reject(EDITOR, revision.id)).body
    said = await svc.approve(REVIEWER2, revision.id)
    assert "Approved" in said.body and said.notices[0].user_id == REVIEWER
    assert "version 3" in svc.live.current.entry_reply(ENTRY).text
    assert "already published" in (await svc.approve(REVIEWER2, revision.id)).body


async def test_submitting_for_review_tells_the_other_reviewers(tmp_path: Path, bundled_engine: Engine,
                                                               store: Store) -> None:
    svc = service(config_with(tmp_path, require_review=True), bundled_engine, store)
    await svc.start_edit(REVIEWER, ENTRY, None)
    await svc.text(REVIEWER, ANSWER.format(n=4), None)
    said = await svc.press(REVIEWER, PUBLISH, None)
    assert [n.user_id for n in said.notices] == [REVIEWER2]
    assert svc.live.current is bundled_engine  # nothing live before review


async def test_an_outdated_pending_change_cannot_be_approved(tmp_path: Path, bundled_engine: Engine,
                                                             store: Store) -> None:
    svc = service(config_with(tmp_path, require_review=True), bundled_engine, store)
    await edit(svc, EDITOR, ANSWER.format(n=5))
    await edit(svc, REVIEWER, ANSWER.format(n=6))
    first, second = await store.pending()
    assert "Approved" in (await svc.approve(REVIEWER2, first.id)).body
    assert "was published after this change" in (await svc.approve(REVIEWER2, second.id)).body
    assert "can't be approved any more" in (await svc.pending(REVIEWER2))[1].body


async def test_a_conflict_shows_the_newer_text_and_the_redo_publishes(tmp_path: Path, bundled_engine: Engine,
                                                                      store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    await svc.start_edit(EDITOR, ENTRY, None)
    await svc.text(EDITOR, ANSWER.format(n=7), None)
    assert "Published" in await edit(svc, REVIEWER, ANSWER.format(n=8))
    said = await svc.press(EDITOR, PUBLISH, None)
    assert "changed meanwhile" in said.body and said.preview is not None and "version 8" in said.preview.text
    said = await svc.text(EDITOR, ANSWER.format(n=7), None)
    assert "Published as revision 2" in (await svc.press(EDITOR, PUBLISH, None)).body
    assert [(r.rev, r.base_rev) for r in await store.history("entry", ENTRY)] == [(1, 0), (2, 1)]


async def test_concurrent_publishes_end_with_the_latest_engine(tmp_path: Path, bundled_engine: Engine,
                                                               store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    for user_id, entry_id in ((EDITOR, ENTRY), (REVIEWER, "how-to-report")):
        await svc.start_edit(user_id, entry_id, None)
        await svc.text(user_id, ANSWER.format(n=entry_id), None)
    results = await asyncio.gather(svc.press(EDITOR, PUBLISH, None), svc.press(REVIEWER, PUBLISH, None))
    assert all("Published" in r.body for r in results)
    engine = svc.live.current
    assert f"version {ENTRY}" in engine.entry_reply(ENTRY).text
    assert "version how-to-report" in engine.entry_reply("how-to-report").text
    assert engine.version == 2


async def test_revert_that_would_break_the_knowledge_is_refused(tmp_path: Path, small_engine: Engine,
                                                                small_knowledge_dir: Path, store: Store) -> None:
    # Three publishes that retrain: on the small knowledge folder (the rule under test does not need all 40 entries).
    svc = service(replace(config_with(tmp_path), knowledge_dir=small_knowledge_dir), small_engine, store)
    phrasing = "is this the quokka question"
    await svc.start_phrase(REVIEWER, ENTRY, f"+ {phrasing}", None)
    assert "Published" in (await svc.press(REVIEWER, PUBLISH, None)).body  # ENTRY rev 1 has the phrasing
    await svc.start_phrase(REVIEWER, ENTRY, "- " + phrasing, None)
    await svc.press(REVIEWER, PUBLISH, None)  # rev 2 drops it ...
    await svc.start_phrase(REVIEWER, "how-to-report", f"+ {phrasing}", None)
    await svc.press(REVIEWER, PUBLISH, None)  # ... and another entry takes it
    said = await svc.revert(REVIEWER, ENTRY, "1")
    assert "Nothing was published" in said.body and "quokka" in said.body
    assert [r.rev for r in await store.history("entry", ENTRY)] == [1, 2]


async def test_region_flow_requires_source_and_date(tmp_path: Path, bundled_engine: Engine, store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    said = await svc.start_region(EDITOR, "de", None)
    assert said.preview is not None and any(b.action == f"{FIELD}h0.phone" for b in said.buttons)
    assert "Send the new value" in (await svc.press(EDITOR, f"{FIELD}h0.sms", None)).body
    assert "source URL" in (await svc.text(EDITOR, "116 016", None)).body
    assert "required" in (await svc.text(EDITOR, "-", None)).body
    assert "http(s) URL" in (await svc.text(EDITOR, "ftp://x", None)).body
    assert "date you verified" in (await svc.text(EDITOR, "https://example.org/sms", None)).body
    assert "YYYY-MM-DD" in (await svc.text(EDITOR, "yesterday", None)).body
    said = await svc.text(EDITOR, "2026-11-01", None)
    assert said.preview is not None and "text 116 016" in said.preview.text
    assert any(b.action == ANOTHER for b in said.buttons)
    assert "Published" in (await svc.press(EDITOR, PUBLISH, None)).body
    (revision,) = await store.history("region", "DE")
    hotline = revision.content["hotlines"][0]
    assert (hotline["sms"], hotline["source"], hotline["verified"]) == (
        "116 016", "https://example.org/sms", "2026-11-01"
    )
    assert "source_date" not in hotline  # it dated the old source


async def test_without_a_database_editing_is_unavailable(tmp_path: Path, bundled_engine: Engine) -> None:
    svc = service(config_with(tmp_path), bundled_engine, None)
    for said in (await svc.start_edit(EDITOR, ENTRY, None), await svc.start_new(REVIEWER),
                 await svc.stats(REVIEWER), await svc.history(EDITOR, ENTRY), (await svc.pending(EDITOR))[0]):
        assert said.body == UNAVAILABLE
    assert UNAVAILABLE in (await svc.menu(EDITOR)).body
    assert [n.user_id for n in svc.startup_notices()] == [EDITOR, REVIEWER, REVIEWER2]
    assert "Phrasings" in (await svc.show(EDITOR, ENTRY, None)).body


async def test_history_of_an_unknown_key(tmp_path: Path, bundled_engine: Engine, store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    assert "no entry" in (await svc.history(EDITOR, "nope")).body
    assert "no region" in (await svc.history(EDITOR, "ZZ")).body
    assert "History of region DE" in (await svc.history(EDITOR, "DE")).body


async def test_commands_without_their_argument_say_how(tmp_path: Path, bundled_engine: Engine, store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    for said in (await svc.start_edit(EDITOR, "", None), await svc.show(EDITOR, "", None),
                 await svc.start_phrase(EDITOR, "", "", None), await svc.history(EDITOR, "")):
        assert said.body.startswith("Which entry?")
    assert (await svc.start_region(EDITOR, "", None)).body.startswith("Which region?")
    assert "Usage: /kb_revert" in (await svc.revert(REVIEWER, "", "")).body


async def test_region_edit_shows_moderators_the_provenance(tmp_path: Path, bundled_engine: Engine,
                                                           store: Store) -> None:
    svc = service(config_with(tmp_path), bundled_engine, store)
    said = await svc.start_region(EDITOR, "PH", None)
    assert "Provenance" in said.body and "2011 source" in said.body  # for the moderator ...
    assert said.preview is not None and "2011 source" not in said.preview.text  # ... not in the people's card
