"""Per-kind quality of a system on a labelled set, and the tuning of a baseline's cutoff on the dev set.

Metrics (each a share of the kind's items, with its count and a 95% Wilson interval):
- answers_top1: the reply is an answer AND its entry is the expected one;
- referral: the reply is a referral (the hotline card);
- urgent_recall: the reply is urgent;
- near_miss_false_alarms: near misses (general questions in urgent words) answered as urgent — lower is better;
- near_miss_top1: near misses answered with the expected entry (informative);
- off_topic_rejection: off-topic lines that fall back;
- smalltalk: greetings, thanks, "are you a bot"… answered with a smalltalk reply;
- referral_block: every reply of the set carries the referral block (the baselines have none).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from bench.sets import LabelledSet
from bench.systems import ANSWER, FALLBACK, Baseline, Decision, System

METRICS = (
    "answers_top1", "referral", "urgent_recall", "near_miss_false_alarms", "near_miss_top1", "off_topic_rejection",
    "smalltalk", "referral_block",
)
LOWER_IS_BETTER = frozenset({"near_miss_false_alarms"})
# The kinds the issue names; near_miss_top1 is shown but not part of "ahead on every kind".
HEADLINE = ("answers_top1", "referral", "urgent_recall", "near_miss_false_alarms", "off_topic_rejection", "smalltalk")
LABELS = {
    "answers_top1": "answers top-1",
    "referral": "referral accuracy",
    "urgent_recall": "urgent recall",
    "near_miss_false_alarms": "near-miss false alarms",
    "near_miss_top1": "near-miss top-1",
    "off_topic_rejection": "off-topic rejection",
    "smalltalk": "smalltalk",
    "referral_block": "referral block on the reply",
}


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a share."""
    if n == 0:
        return (0.0, 0.0)
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Score:
    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    def to_json(self) -> dict:
        low, high = wilson(self.hits, self.n)
        value = self.value
        return {
            "value": None if value is None else round(value, 4),
            "hits": self.hits,
            "n": self.n,
            "ci95": [round(low, 4), round(high, 4)],
        }


def _checks(labelled: LabelledSet) -> dict[str, list[tuple[str, Callable[[Decision], bool]]]]:
    def answered(entry: str) -> Callable[[Decision], bool]:
        return lambda d: d.kind == ANSWER and d.entry_id == entry

    return {
        "answers_top1": [(t, answered(e)) for t, e in labelled.answers],
        "referral": [(t, lambda d: d.kind == "referral") for t in labelled.referral],
        "urgent_recall": [(t, lambda d: d.kind == "urgent") for t in labelled.urgent],
        "near_miss_false_alarms": [(t, lambda d: d.kind == "urgent") for t, _ in labelled.near_miss],
        "near_miss_top1": [(t, answered(e)) for t, e in labelled.near_miss],
        "off_topic_rejection": [(t, lambda d: d.kind == FALLBACK) for t in labelled.off_topic],
        "smalltalk": [(t, lambda d: d.kind == "smalltalk") for t in labelled.smalltalk],
        "referral_block": [(t, lambda d: d.has_referral) for t in dict.fromkeys(labelled.texts())],
    }


def evaluate(system: System, labelled: LabelledSet, *, keep_misses: bool = False) -> dict:
    """{metric: Score.to_json()} plus, when asked, the texts each metric got wrong (never for a blind set)."""
    decisions: dict[str, Decision] = {}
    out: dict = {}
    misses: dict[str, list[dict]] = {}
    for metric, checks in _checks(labelled).items():
        score = Score(0, len(checks))
        for text, ok in checks:
            decision = decisions.get(text)
            if decision is None:
                decision = decisions[text] = system.decide(text)
            flagged = ok(decision)  # for a false-alarm rate, a "hit" is an alarm, and it is the miss
            score.hits += int(flagged)
            wrong = flagged if metric in LOWER_IS_BETTER else not flagged
            if wrong and keep_misses:
                misses.setdefault(metric, []).append(
                    {"text": text, "kind": decision.kind, "entry": decision.entry_id, "score": round(decision.score, 3)}
                )
        out[metric] = score.to_json()
    if keep_misses:
        out["misses"] = misses
    return out


def tuning_objective(scores: dict[str, float]) -> float:
    """What a baseline's cutoff maximises on the dev set: the mean of the three shares a cutoff can move —
    answers top-1, near-miss top-1 and off-topic rejection (a baseline can never be right on referral or urgent)."""
    return (scores["answers_top1"] + scores["near_miss_top1"] + scores["off_topic_rejection"]) / 3


def tune_cutoff(baseline: Baseline, dev: LabelledSet) -> dict:
    """The dev-set cutoff for a baseline: every distinct top score is a candidate; of the cutoffs that tie for the
    best objective the middle one is taken (the one furthest from flipping). Sets `baseline.cutoff`."""
    answers = [(baseline.top(t), e) for t, e in dev.answers]
    near = [(baseline.top(t), e) for t, e in dev.near_miss]
    off = [baseline.top(t) for t in dev.off_topic]
    tops = sorted({s for (_, s), _ in answers} | {s for (_, s), _ in near} | {s for _, s in off} | {0.0})
    # Candidates: each distinct score (a cutoff equal to it keeps it) and just above the highest.
    candidates = tops + [tops[-1] + 1e-6]

    def share(items: list, ok: Callable) -> float:
        return sum(1 for item in items if ok(item)) / len(items) if items else 0.0

    results = []
    for cutoff in candidates:
        scores = {
            "answers_top1": share(answers, lambda x, c=cutoff: x[0][0] == x[1] and x[0][1] >= c),
            "near_miss_top1": share(near, lambda x, c=cutoff: x[0][0] == x[1] and x[0][1] >= c),
            "off_topic_rejection": share(off, lambda x, c=cutoff: x[0] is None or x[1] < c),
        }
        results.append((tuning_objective(scores), cutoff, scores))
    best = max(r[0] for r in results)
    tied = [r for r in results if r[0] >= best - 1e-12]
    chosen = tied[len(tied) // 2]
    baseline.cutoff = chosen[1]
    no_cutoff = results[0]  # the lowest candidate (0): the baseline's ranking alone, nothing rejected
    return {
        "no_cutoff_dev_scores": {k: round(v, 4) for k, v in no_cutoff[2].items()},
        "cutoff": round(chosen[1], 4),
        "objective": round(chosen[0], 4),
        "dev_scores": {k: round(v, 4) for k, v in chosen[2].items()},
        "candidates": len(candidates),
        "tied_range": [round(tied[0][1], 4), round(tied[-1][1], 4)],
    }


def compare(awarebot: dict, baseline: dict) -> dict[str, str]:
    """Per metric: 'ahead', 'tied' or 'behind' (awarebot against one baseline)."""
    verdicts = {}
    for metric in HEADLINE:
        a, b = awarebot[metric]["value"], baseline[metric]["value"]
        if a is None or b is None:
            verdicts[metric] = "n/a"
            continue
        diff = (b - a) if metric in LOWER_IS_BETTER else (a - b)
        verdicts[metric] = "ahead" if diff > 1e-9 else ("tied" if abs(diff) <= 1e-9 else "behind")
    return verdicts
