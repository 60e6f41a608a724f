"""Pooled leave-one-set-out figures of awarebot on the English training example sets (issue 8's measuring stick
while tuning models and data; never the held-out sets). Each listed set is removed from the knowledge, the models
are trained on the rest, and the set's items are answered; hits and counts are pooled over every fold.

Usage: python -m bench.loso [SET ...]   (default: LOSO_SETS plus the en-voices sets)
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


def pooled(names: list[str]) -> dict:
    """{"pooled": {metric: score}, "folds": {set: {metric: score}}} over leave-one-set-out folds."""
    from bot.config import load_config
    from bot.engine import Engine, load_folder

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
        scores = evaluate(Awarebot(engine), examples_set(EXAMPLES_DIR / f"{name}.yaml"))
        folds[name] = {m: s["value"] for m, s in scores.items()}
        for metric, s in scores.items():
            t = totals.setdefault(metric, [0, 0])
            t[0] += s["hits"]
            t[1] += s["n"]
        print(f"  {name:<20} {time.perf_counter() - started:.1f}s", file=sys.stderr)
    out = {m: {"value": round(h / n, 4) if n else None, "hits": h, "n": n} for m, (h, n) in totals.items()}
    return {"pooled": out, "folds": folds}


if __name__ == "__main__":
    result = pooled(sys.argv[1:] or list(DEFAULT_SETS))
    print(json.dumps(result, indent=1))
