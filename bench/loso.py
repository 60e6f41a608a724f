"""Pooled leave-one-set-out figures of awarebot on the English training example sets (issue 8's measuring stick
while tuning models and data; never the held-out sets). Each listed set is removed from the knowledge, the models
are trained on the rest, and the set's items are answered; hits and counts are pooled over every fold.

Usage: python -m bench.loso [SET ...]   (default: LOSO_SETS plus the en-voices sets)
--dump=FILE also writes each item's p(urgent), rule, top intent and confidence (for sweeping decision rules).
Prints one JSON object: {metric: {"value", "hits", "n"}} pooled, and per fold.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import EXAMPLES_DIR
from bench.quality import evaluate
from bench.run import LOSO_SETS
from bench.sets import examples_set
from bench.systems import Awarebot

DEFAULT_SETS = LOSO_SETS + ("en-voices", "en-voices-a", "en-voices-b")


def pooled(names: list[str], predictions: list[dict] | None = None) -> dict:
    """{"pooled": {metric: score}, "folds": {set: {metric: score}}} over leave-one-set-out folds."""
    from bot.config import load_config
    from bot.engine import MAX_MATCH_CHARS, Engine, load_folder
    from bot.safety import strong_rule
    from bot.text import normalize

    config = load_config(env={})
    totals: dict[str, list[int]] = {}
    folds: dict[str, dict] = {}
    for name in names:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "knowledge"
            shutil.copytree(config.knowledge_dir, folder)
            (folder / "examples" / f"{name}.yaml").unlink()
            knowledge, referrals = load_folder(folder)
        engine = Engine.build(knowledge, referrals, config.matching, config.default_region)
        labelled = examples_set(EXAMPLES_DIR / f"{name}.yaml")
        scores = evaluate(Awarebot(engine), labelled)
        if predictions is not None:
            for kind, items in (("urgent", labelled.urgent), ("near_miss", [t for t, _ in labelled.near_miss]),
                                ("answers", [t for t, _ in labelled.answers]), ("off_topic", labelled.off_topic),
                                ("smalltalk", labelled.smalltalk), ("referral", labelled.referral)):
                for text in items:
                    p = engine.models.predict(text, text[:MAX_MATCH_CHARS])
                    predictions.append({"set": name, "kind": kind, "urgent": p.urgent, "intent": p.intent,
                                        "confidence": p.confidence, "rule": bool(strong_rule(text, normalize(text), learned=True)),
                                        "entry": p.intent in knowledge.entries})
        folds[name] = {m: s["value"] for m, s in scores.items()}
        for metric, s in scores.items():
            t = totals.setdefault(metric, [0, 0])
            t[0] += s["hits"]
            t[1] += s["n"]
        print(f"  {name:<20} {time.perf_counter() - started:.1f}s", file=sys.stderr)
    out = {m: {"value": round(h / n, 4) if n else None, "hits": h, "n": n} for m, (h, n) in totals.items()}
    return {"pooled": out, "folds": folds}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--dump=")]
    dump = next((a.removeprefix("--dump=") for a in sys.argv[1:] if a.startswith("--dump=")), None)
    rows: list[dict] | None = [] if dump else None
    result = pooled(args or list(DEFAULT_SETS), rows)
    if dump:  # per-item model outputs (training data only) for sweeping decision rules offline
        Path(dump).write_text(json.dumps(rows))
    print(json.dumps(result, indent=1))
