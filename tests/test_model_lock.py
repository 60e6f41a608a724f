"""Several processes starting on a new knowledge version train it once (bot.models.models_for's cache lock)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import pytest
from filelock import FileLock

from bot import models as models_module
from bot import training
from bot.config import bundled_knowledge_dir
from bot.knowledge import Knowledge, load_knowledge


@functools.cache
def _small() -> Knowledge:
    """Two entries and a few English examples of each label without an entry: a fit in a fraction of a second."""
    base = load_knowledge(bundled_knowledge_dir())
    entries = {k: base.entries[k] for k in ("what-is-sex-trafficking", "how-to-report")}
    examples = {key: texts[:40] for key, texts in base.examples.items()
                if key[0] == "en" and key[1] in ("urgent", "general", "referral", "off_topic")}
    return Knowledge(entries=entries, examples=examples)


def test_a_process_that_finds_another_training_waits_and_reads_its_cache(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    small = _small()
    pairs = (small.training_phrasings(), small.safety_examples(), small.language_examples())
    key = models_module.training_key(pairs[0], pairs[1], training.PARAMS, pairs[2])
    trained = training.fit(pairs[0], pairs[1], key, pairs[2])
    models_module._memo.pop(key, None)

    def must_not_train(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("trained although another process was training the same version")

    monkeypatch.setattr(training, "fit", must_not_train)
    holder = FileLock(tmp_path / f".{key}.lock")  # "another process" is training this version
    holder.acquire()
    got: list[models_module.Models] = []
    waiter = threading.Thread(target=lambda: got.append(models_module.models_for(small, tmp_path)))
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive() and not got  # it waits for the lock instead of training
    models_module.save(trained, tmp_path)  # the other process finishes
    holder.release()
    waiter.join(30)
    assert got and got[0].key == key
    models_module._memo.pop(key, None)


def test_an_unwritable_cache_still_serves_trained_models(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    small = _small()
    models = models_module.models_for(small, blocked / "models")  # cannot create the folder or its lock
    assert models.predict("what is trafficking").intents


def test_the_cache_keeps_only_the_most_recently_used_files(tmp_path: Path) -> None:
    import os

    for age, name in enumerate(["e", "d", "c", "b", "a"]):  # "a" is the oldest
        (tmp_path / f"{name}.npz").write_bytes(b"x")
        (tmp_path / f".{name}.lock").write_bytes(b"")
        os.utime(tmp_path / f"{name}.npz", (1_000_000 - age * 100, 1_000_000 - age * 100))
    models_module.load(tmp_path, "a")  # a read makes "a" the most recently used (unreadable: None, still touched)
    deleted = models_module.prune(tmp_path, keep=2)
    assert sorted(p.name for p in deleted) == ["b.npz", "c.npz", "d.npz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.lock", ".e.lock", "a.npz", "e.npz"]
    assert models_module.CACHE_FILES >= 4  # the live version and what a revert or a second worker needs
