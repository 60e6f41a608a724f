"""Per-language quality on the held-out sets (tests/heldout/<lang>.yaml; never trained or tuned on).

Each line is asked as a person's first message (no language prior, no region), so detection is measured too.
Columns: answers top-1, referral, urgent recall, near-miss false alarms, off-topic rejected, and "reply in the asked
language" (every line of the set: the reply's language is the set's language, or English for a language awarebot has
no content in). Targets are the issue's (answers >= 0.85, referral >= 0.90, urgent recall >= 0.95, language >= 0.95);
rows marked met or missed plainly.

Run: .venv/bin/python -m bench.languages [--out bench/results] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from bench.quality import Score
from bench.sets import HELDOUT_DIR, LabelledSet, load_set
from bot.config import Config
from bot.engine import Engine
from bot.replies import Reply, ReplyKind

TARGETS: dict[str, float] = {"answers_top1": 0.85, "referral": 0.90, "urgent_recall": 0.95, "reply_language": 0.95}
COLUMNS = (
    ("answers_top1", "answers top-1"),
    ("referral", "referral"),
    ("urgent_recall", "urgent recall"),
    ("near_miss_false_alarms", "near-miss false alarms"),
    ("off_topic_rejected", "off-topic rejected"),
    ("reply_language", "reply in the asked language"),
)
LOWER_IS_BETTER = {"near_miss_false_alarms"}


def evaluate_language(engine: Engine, labelled: LabelledSet, limit: int | None = None) -> dict[str, dict]:
    """{metric: Score.to_json()} for one held-out set. `limit` keeps the first N lines of each kind (smoke runs)."""
    spoken = engine.languages()
    expected_lang = labelled.lang if labelled.lang in spoken else "en"
    replies: dict[str, Reply] = {}

    def reply(text: str) -> Reply:
        found = replies.get(text)
        if found is None:
            found = replies[text] = engine.respond(text)
        return found

    def cut(items: tuple) -> tuple:  # type: ignore[type-arg]
        return items if limit is None else items[:limit]

    checks: dict[str, list[tuple[str, Callable[[Reply], bool]]]] = {
        "answers_top1": [(t, lambda r, e=e: r.kind is ReplyKind.ANSWER and r.entry_id == e)
                         for t, e in cut(labelled.answers)],
        "referral": [(t, lambda r: r.kind is ReplyKind.REFERRAL) for t in cut(labelled.referral)],
        "urgent_recall": [(t, lambda r: r.kind is ReplyKind.URGENT) for t in cut(labelled.urgent)],
        "near_miss_false_alarms": [(t, lambda r: r.kind is ReplyKind.URGENT) for t, _ in cut(labelled.near_miss)],
        "off_topic_rejected": [(t, lambda r: r.kind in (ReplyKind.FALLBACK, ReplyKind.SMALLTALK))
                               for t in cut(labelled.off_topic)],
    }
    every_line = [t for items in checks.values() for t, _ in items]
    checks["reply_language"] = [(t, lambda r: r.lang == expected_lang) for t in dict.fromkeys(every_line)]
    out: dict[str, dict] = {}
    for metric, items in checks.items():
        score = Score(0, len(items))
        for text, ok in items:
            score.hits += int(ok(reply(text)))
        out[metric] = score.to_json()
    return out


def language_sets(folder: Path = HELDOUT_DIR) -> list[LabelledSet]:
    """The per-language held-out sets: every tests/heldout/*.yaml whose `lang` is not English."""
    sets = [load_set(path) for path in sorted(folder.glob("*.yaml"))]
    return [s for s in sets if s.lang != "en"]


def run_languages(engine: Engine, limit: int | None = None) -> dict:
    """{set name: {lang, metrics}} for every per-language held-out set."""
    return {
        labelled.name: {"lang": labelled.lang, "metrics": evaluate_language(engine, labelled, limit)}
        for labelled in language_sets()
    }


def _cell(metric: str, score: dict) -> str:
    value = score["value"]
    if value is None:
        return "—"
    text = f"{value:.1%} ({score['hits']}/{score['n']})"
    target = TARGETS.get(metric)
    if target is not None:
        text += " met" if value >= target else " **missed**"
    return text


def markdown(results: dict) -> str:
    """The per-language table, targets marked met or missed."""
    head = "| set | lang | " + " | ".join(label for _, label in COLUMNS) + " |"
    rule = "| --- | --- | " + " | ".join("---" for _ in COLUMNS) + " |"
    rows = [
        f"| {name} | {row['lang']} | " + " | ".join(_cell(m, row["metrics"][m]) for m, _ in COLUMNS) + " |"
        for name, row in results.items()
    ]
    targets = ", ".join(f"{label} >= {TARGETS[m]:.0%}" for m, label in COLUMNS if m in TARGETS)
    return "\n".join([
        "## Per language (held-out, first message, no priors)", "",
        f"Targets: {targets}. Near-miss false alarms: lower is better. Sets: tests/heldout/*.yaml (never trained "
        "or tuned on).", "", head, rule, *rows, "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.languages", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--limit", type=int, help="first N lines of each kind (a quick look, not a measurement)")
    args = parser.parse_args(argv)
    engine = Engine.load(Config())
    started = time.perf_counter()
    results = run_languages(engine, args.limit)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "languages.json").write_text(json.dumps(
        {"limit": args.limit, "seconds": round(time.perf_counter() - started, 1), "sets": results}, indent=1
    ), encoding="utf-8")
    table = markdown(results)
    (args.out / "languages.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
