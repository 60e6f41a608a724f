"""The learned models: the numpy analyzer equals scikit-learn's, the disk cache round-trips, a changed knowledge
retrains, and training is deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot import models as models_module
from bot.config import bundled_knowledge_dir
from bot.knowledge import Knowledge, load_knowledge
from bot.models import model_text, models_for
from bot.training import _vectorizers, features_of

TEXTS = [
    "He took my passport and I can't leave!!",
    "what is sex traf\u200bficking",
    "they lo\u00adcked me in",
    "Мене привезли нібито на роботу, забрали документи",
    "นายจ้างยึดพาสปอร์ตของฉัน",
    "老板把我的护照收走了",
    "a  b   c x",
    "😭😭 pls he locked the door again 🔒",
    "Épouse, café — naïve résumé",
    "",
    "ab",
]


def test_numpy_analyzer_equals_scikit_learn() -> None:
    """The serving vector of any text equals scikit-learn's TF-IDF (char_wb 2-5 | word 1-2) to float precision."""
    from scipy import sparse

    corpus = [model_text(t) for t in TEXTS[:6]] + [model_text(q) for q in ("how do traffickers recruit", "is it a crime")]
    char, word = _vectorizers()
    char.fit(corpus)
    word.fit(corpus)
    features = features_of(char, word)
    probes = [model_text(t) for t in TEXTS] + ["traffickers recruit crime passport", "unseen words only zzqx"]
    expected = sparse.hstack([char.transform(probes), word.transform(probes)]).toarray()
    for row, text in enumerate(probes):
        got = np.zeros(features.size)
        columns, values = features.vector(text)
        np.add.at(got, columns, values)
        np.testing.assert_allclose(got, expected[row], rtol=1e-5, atol=1e-6, err_msg=repr(text))


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(bundled_knowledge_dir())


def test_warm_cache_gives_identical_predictions(knowledge: Knowledge, tmp_path: Path) -> None:
    trained = models_for(knowledge, tmp_path)  # memo or trained; written to tmp_path either way when trained
    models_module.save(trained, tmp_path)
    loaded = models_module.load(tmp_path, trained.key)
    assert loaded is not None and loaded is not trained
    for text in TEXTS + ["what is trafficking", "hotline number", "hello there"]:
        a, b = trained.predict(text), loaded.predict(text)
        assert a.urgent == pytest.approx(b.urgent, abs=1e-9)
        assert [label for label, _ in a.intents] == [label for label, _ in b.intents]
        np.testing.assert_allclose([p for _, p in a.intents], [p for _, p in b.intents], atol=1e-9)


def test_a_changed_knowledge_changes_the_key_and_retrains(knowledge: Knowledge, tmp_path: Path) -> None:
    base = models_for(knowledge, tmp_path)
    changed = knowledge.with_examples({("en", "urgent"): (*knowledge.examples[("en", "urgent")],
                                                           "the van is back and they are taking us somewhere")})
    retrained = models_for(changed, tmp_path)
    assert retrained.key != base.key
    assert (tmp_path / f"{retrained.key}.npz").is_file()
    # The same knowledge again comes from memory or disk: same key, same object or an equal one.
    assert models_for(changed, tmp_path).key == retrained.key


def test_an_unreadable_cache_file_is_trained_again(knowledge: Knowledge, tmp_path: Path) -> None:
    base = models_for(knowledge, None)
    (tmp_path / f"{base.key}.npz").write_bytes(b"not a numpy file")
    assert models_module.load(tmp_path, base.key) is None


def test_probabilities_are_calibrated_shapes(knowledge: Knowledge) -> None:
    models = models_for(knowledge, None)
    prediction = models.predict("what are the signs of trafficking", top=5)
    assert 0.0 <= prediction.urgent <= 1.0
    assert len(prediction.intents) == 5 and prediction.intents[0][1] >= prediction.intents[-1][1]
    probabilities = models.intent.probabilities(*models.features.vector(model_text("signs")))
    assert probabilities.sum() == pytest.approx(1.0)
    assert models.info["temperature"] > 0


def test_training_is_deterministic() -> None:
    """Two fits of the same (small) knowledge give byte-identical models."""
    from bot.knowledge import Entry
    from bot.training import fit

    base = load_knowledge(bundled_knowledge_dir())
    entries = {k: base.entries[k] for k in ("what-is-sex-trafficking", "how-to-report", "recruitment-tactics")}
    small = Knowledge(entries=entries, examples={k: v for k, v in base.examples.items() if k[0] == "en"})
    assert isinstance(next(iter(entries.values())), Entry)
    first = models_module.to_arrays(fit(small.training_phrasings(), small.safety_examples(), "a"))
    second = models_module.to_arrays(fit(small.training_phrasings(), small.safety_examples(), "a"))
    for name, array in first.items():
        if name == "info":
            continue
        np.testing.assert_array_equal(array, second[name], err_msg=name)


def test_hard_negatives_weigh_more_and_repeats_are_one_row() -> None:
    """Near misses and general questions are repeated HARD_NEGATIVE_WEIGHT times in the safety pairs; training
    folds repeats into one row with that weight, so the same text never sits in two folds, and a text repeated
    as a negative gets a lower p(urgent) than the same data without the repeats."""
    from bot.knowledge import HARD_NEGATIVE_WEIGHT
    from bot.training import fit

    base = load_knowledge(bundled_knowledge_dir())
    pairs = base.safety_examples()
    near = next(t for (lang, label), texts in sorted(base.examples.items())
                if lang == "en" and label.startswith("near_miss:") for t in texts)
    assert HARD_NEGATIVE_WEIGHT > 1 and pairs.count((near, False)) == HARD_NEGATIVE_WEIGHT

    urgent = [(t, u) for t, u in pairs if u][:60]
    borderline = "they took my passport years ago, what is that called"
    negatives = [(f"general question number {i} about trafficking", False) for i in range(60)]
    once = urgent + negatives + [(borderline, False)]
    repeated = urgent + negatives + [(borderline, False)] * 8
    intents = [(f"what is trafficking {w}", "a") for w in ("please", "exactly", "really")]
    intents += [(f"how do i report {w}", "b") for w in ("it", "a case", "someone")]
    light, heavy = fit(intents, once, "once"), fit(intents, repeated, "repeated")
    assert heavy.info["safety_examples"] == light.info["safety_examples"] == len(once)
    assert heavy.urgent_probability(borderline) < light.urgent_probability(borderline)


def test_sentence_windows_keep_every_sentence_whole_and_short() -> None:
    from bot.models import sentence_windows

    sentences = [f"Sentence number {i} tells a little more about my week and my work." for i in range(40)]
    text = " ".join(sentences) + "\nhe is outside the door now and has my passport"
    windows = sentence_windows(text, 300)
    assert len(windows) > 5 and all(len(w) <= 300 for w in windows)
    for sentence in sentences + ["he is outside the door now and has my passport"]:
        assert any(sentence in w for w in windows)  # never cut across two windows
    assert sentence_windows("") == []
    assert all(len(w) <= 50 for w in sentence_windows("x" * 120 + " " + "y " * 80, 50))  # no sentence end at all


def test_a_long_message_is_as_urgent_as_its_most_urgent_sentence(bundled_engine) -> None:  # noqa: ANN001
    """Danger in one sentence of a long message is not diluted by the rest (models.WINDOW_CHARS)."""
    models = bundled_engine.models
    danger = "he is outside the door now and has my passport and says I cannot leave."
    filler = "I want to tell you about my week, my work and my family, and how tired I am of everything. " * 30
    alone = models.urgent_probability(danger)
    assert alone >= bundled_engine.matching.urgent_threshold
    assert models.urgent_probability(filler + danger) >= alone - 1e-9
    assert models.predict(filler + danger).urgent >= alone - 1e-9
    # A short message is scored whole, exactly as before.
    columns, values = models.features.vector(model_text(danger))
    assert models.urgent_probability(danger) == models.safety.probability(columns, values)
