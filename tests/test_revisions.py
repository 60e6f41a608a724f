"""bot.kb.revisions: the one revision service behind Telegram moderation and `awarebot kb`, over a real Store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Config, ModerationConfig, Moderator, Role
from bot.engine import Engine, LiveEngine
from bot.kb.revisions import (
    AlreadyDecided,
    Author,
    InvalidChange,
    NoSuchRevision,
    NotBundled,
    NotPublished,
    RevisionService,
    SelfApproval,
    UnknownItem,
)
from bot.store import Conflict, Store
from handlers.kbchat import Moderation

ENTRY = "what-is-sex-trafficking"
ERIN, RITA = Author(1, "Erin"), Author(2, "Rita")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "db.sqlite3") as s:
        yield s


def changed(service_content: dict, n: int) -> dict:
    return {**service_content, "answer": f"A changed answer about trafficking, number {n}.\n"}


async def test_publish_checks_the_whole_swaps_the_engine_and_refuses_stale_bases(
    bundled_engine: Engine, store: Store
) -> None:
    live = LiveEngine(bundled_engine)
    service = RevisionService(Config(), lambda: store, live)
    rev, content = await service.current("entry", ENTRY)  # type: ignore[misc]
    assert rev == 0
    first = await service.propose("entry", ENTRY, changed(content, 1), base_rev=0, author=ERIN, publish=True)
    assert first.rev == 1 and "number 1" in live.current.entry_reply(ENTRY).text
    with pytest.raises(Conflict):  # made from revision 0, but 1 was published since
        await service.propose("entry", ENTRY, changed(content, 2), base_rev=0, author=ERIN, publish=True)
    with pytest.raises(InvalidChange) as caught:
        await service.propose("entry", ENTRY, {**content, "questions": []}, base_rev=1, author=ERIN, publish=True)
    assert caught.value.problems and (await service.head("entry", ENTRY)).rev == 1  # type: ignore[union-attr]


async def test_review_needs_another_reviewer_and_happens_once(bundled_engine: Engine, store: Store) -> None:
    service = RevisionService(Config(), lambda: store, LiveEngine(bundled_engine))
    _, content = await service.current("entry", ENTRY)  # type: ignore[misc]
    pending = await service.propose("entry", ENTRY, changed(content, 1), base_rev=0, author=RITA, publish=False)
    with pytest.raises(SelfApproval):
        await service.approve(pending.id, RITA)
    approved = await service.approve(pending.id, ERIN)
    assert approved.rev == pending.rev
    with pytest.raises(AlreadyDecided):
        await service.approve(pending.id, ERIN)
    with pytest.raises(AlreadyDecided):
        await service.reject(pending.id, ERIN)


async def test_revert_rules_are_the_same_for_every_front_end(bundled_engine: Engine, store: Store) -> None:
    service = RevisionService(Config(), lambda: store, LiveEngine(bundled_engine))
    _, content = await service.current("entry", ENTRY)  # type: ignore[misc]
    await service.propose("entry", ENTRY, changed(content, 1), base_rev=0, author=ERIN, publish=True)
    pending = await service.propose("entry", ENTRY, changed(content, 2), base_rev=1, author=ERIN, publish=False)
    with pytest.raises(NotPublished):
        await service.revert("entry", ENTRY, pending.rev, RITA)
    with pytest.raises(NoSuchRevision) as missing:
        await service.revert("entry", ENTRY, 9, RITA)
    assert missing.value.known == [0, 1, 2]
    with pytest.raises(UnknownItem):
        await service.revert("entry", "no-such-entry", 0, RITA)
    assert await service.revert("entry", ENTRY, 1, RITA) is None  # already in effect: nothing written
    back = await service.revert("entry", ENTRY, 0, RITA)
    assert back is not None and back.rev == 3
    assert service.live is not None and service.live.current.entry_reply(ENTRY).text == \
        bundled_engine.entry_reply(ENTRY).text


async def test_revert_to_the_bundled_yaml_of_a_new_entry_is_refused(small_engine: Engine, small_knowledge_dir: Path,
                                                                    store: Store) -> None:
    # Publishing a new entry retrains: on the small knowledge folder.
    service = RevisionService(replace(Config(), knowledge_dir=small_knowledge_dir), lambda: store,
                              LiveEngine(small_engine))
    _, content = await service.current("entry", ENTRY)  # type: ignore[misc]
    questions = [f"a quokka question number {n}" for n in range(1, 9)]
    new = {**changed(content, 1), "id": "brand-new-entry", "title": "A quokka test entry", "questions": questions}
    await service.propose("entry", "brand-new-entry", new, base_rev=0, author=ERIN, publish=True)
    with pytest.raises(NotBundled):
        await service.revert("entry", "brand-new-entry", 0, RITA)


async def test_telegram_moderation_writes_through_the_same_service(tmp_path: Path, bundled_engine: Engine,
                                                                   store: Store) -> None:
    config = replace(Config(), moderation=ModerationConfig(require_review=False, moderators=(
        Moderator(2, "Rita", Role.REVIEWER),)))
    moderation = Moderation(config, LiveEngine(bundled_engine), lambda: store)
    said = await moderation.revert(2, ENTRY, "0")
    assert "already has the content of revision 0" in said.body  # the service's no-op rule, in chat words
    assert await store.history("entry", ENTRY) == []


async def test_training_examples_are_a_revision_kind_with_preview_review_and_revert(
    tmp_path: Path, bundled_engine: Engine, store: Store
) -> None:
    """'This kind of message should be urgent': drafted in chat, previewed, published (the models retrained), in
    the history, and reverted — the same path as answers."""
    from handlers.kbchat import PUBLISH

    config = replace(Config(), moderation=ModerationConfig(require_review=False, moderators=(
        Moderator(2, "Rita", Role.REVIEWER),)))
    live = LiveEngine(bundled_engine)
    moderation = Moderation(config, live, lambda: store)
    line = "the boss keeps our papers in his safe and we sleep locked in the workshop"
    said = await moderation.start_examples(2, "en", "urgent", f"+ {line}", None)
    assert "Examples en.urgent after your change" in said.body
    today = bundled_engine.respond(line, None).kind.value
    assert f": {today}" in said.body and "→ urgent" in said.body  # the preview: today, and once learned
    assert "Publish" in said.buttons[0].label
    published = await moderation.press(2, PUBLISH, None)
    assert "Published as revision 1 of examples en.urgent" in published.body
    assert line in live.current.knowledge.examples[("en", "urgent")]
    assert live.current.version == bundled_engine.version + 1

    history = await moderation.history(2, "en.urgent")
    assert "History of examples en.urgent" in history.body and "Rita" in history.body
    reverted = await moderation.revert(2, "en.urgent", "0")
    assert "back to revision 0" in reverted.body
    assert line not in live.current.knowledge.examples[("en", "urgent")]


async def test_an_example_that_repeats_another_label_is_refused(bundled_engine: Engine, store: Store) -> None:
    config = replace(Config(), moderation=ModerationConfig(require_review=False, moderators=(
        Moderator(2, "Rita", Role.REVIEWER),)))
    moderation = Moderation(config, LiveEngine(bundled_engine), lambda: store)
    taken = bundled_engine.knowledge.examples[("en", "urgent")][0]
    said = await moderation.start_examples(2, "en", "off_topic", f"+ {taken}", None)
    assert "Not saved yet" in said.body and "also labelled 'urgent'" in said.body
    said = await moderation.start_examples(2, "en", "answer:no-such-entry", "+ a line", None)
    assert "no entry with the id" in said.body


async def test_a_translation_revision_passes_the_loaders_rules_against_the_english_in_effect(
    bundled_engine: Engine, store: Store
) -> None:
    """No live engine here: check() and the store only, so nothing is rebuilt or retrained."""
    from bot.kb.content import edited_translation, translation_key

    service = RevisionService(Config(), lambda: store)
    key = translation_key("es", ENTRY)
    rev, spanish = await service.current("translation", key)  # type: ignore[misc]
    assert rev == 0 and spanish["id"] == ENTRY
    english = bundled_engine.knowledge.entries[ENTRY]
    other = bundled_engine.knowledge.translation("how-to-report", "es")
    assert other is not None

    async def refused(content: dict) -> list[str]:
        with pytest.raises(InvalidChange) as caught:
            await service.propose("translation", key, content, base_rev=0, author=ERIN, publish=True)
        return [p.message for p in caught.value.problems]

    assert any("figures differ" in m for m in await refused({**spanish, "answer": "Sin cifras.\n"}))
    assert any("phone number" in m for m in await refused({**spanish, "answer": spanish["answer"] + " +34 600 000 000"}))
    assert any("unknown field 'category'" in m for m in await refused({**spanish, "category": "basics"}))
    assert any("not a translation of the entry" in m for m in await refused({**spanish, "id": "how-to-report"}))
    shared = {**spanish, "questions": [*spanish["questions"], other.questions[0]]}
    assert any("is also a question of 'how-to-report'" in m for m in await refused(shared))
    assert await service.history("translation", key) == []  # nothing refused was written

    # An English correction with a new figure: the published translation follows the older English text, so it
    # stays valid (and stale); a translation reviewed against the new English must carry its figures.
    await service.propose("entry", ENTRY, {**english.to_data(), "answer": english.answer + " 2027.\n",
                                           "reviewed": "2026-11-30"}, base_rev=0, author=ERIN, publish=True)
    knowledge, _ = await service.effective()
    assert [t.id for t in knowledge.stale_translations() if t.lang == "es" and t.id == ENTRY] == [ENTRY]
    newer = knowledge.entries[ENTRY]
    today = __import__("datetime").date(2026, 11, 30)
    assert any("missing: 2027" in m for m in await refused(edited_translation(spanish, newer, today)))
    fixed = edited_translation(spanish, newer, today, answer=spanish["answer"].strip() + " 2027.")
    assert (fixed["reviewed"], fixed["source_reviewed"]) == ("2026-11-30", "2026-11-30")
    published = await service.propose("translation", key, fixed, base_rev=0, author=ERIN, publish=True)
    knowledge, _ = await service.effective()
    assert published.rev == 1 and knowledge.translation(ENTRY, "es").answer.endswith("2027.")  # type: ignore[union-attr]
    assert ENTRY not in [t.id for t in knowledge.stale_translations() if t.lang == "es"]
    back = await service.revert("translation", key, 0, RITA)
    assert back is not None and (await service.current("translation", key))[1] == spanish  # type: ignore[index]
