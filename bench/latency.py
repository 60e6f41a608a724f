"""Per-question latency: wall-clock (what a person waits, including any preemption by other processes) and CPU time
of the calling thread (the work itself, on one core), sampled within a time budget."""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Callable, Sequence

SAMPLE_SEED = 7


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence (p in [0, 100])."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(wall_ns: list[int], cpu_ns: list[int]) -> dict:
    wall = sorted(wall_ns)
    cpu = sorted(cpu_ns)
    n = len(wall)
    total_s = sum(wall) / 1e9
    ms = 1e6
    return {
        "n": n,
        "median_ms": round(percentile(wall, 50) / ms, 5),
        "p90_ms": round(percentile(wall, 90) / ms, 5),
        "p99_ms": round(percentile(wall, 99) / ms, 5),
        "max_ms": round(wall[-1] / ms, 5) if n else None,
        "mean_ms": round(sum(wall) / n / ms, 5) if n else None,
        "qps": round(n / total_s, 1) if total_s else None,
        "cpu_median_ms": round(percentile(cpu, 50) / ms, 5),
        "cpu_p99_ms": round(percentile(cpu, 99) / ms, 5),
        # With fewer than 100 samples the nearest-rank p99 is the maximum.
        "p99_is_max": n < 100,
    }


def sample_order(queries: Sequence[str], seed: int = SAMPLE_SEED) -> list[str]:
    """A fixed shuffle, so a budget-cut run still samples every kind of question."""
    order = list(queries)
    random.Random(seed).shuffle(order)
    return order


def measure(
    fn: Callable[[str], object],
    queries: Sequence[str],
    *,
    passes: int = 1,
    budget_s: float = 5.0,
    min_samples: int = 30,
    reset: Callable[[], None] | None = None,
    warm_budget_s: float = 0.0,
    hard_cap_factor: float = 1.6,
) -> dict:
    """Time `fn` on each question. `reset` (clearing the system's caches) runs before every pass, so the main
    figures are a freshly built system meeting these questions ("first pass"); passes repeat that while the budget
    lasts, and go on past it until `min_samples` are timed, but never past `hard_cap_factor` × the budget (a slow
    system gets fewer samples). With `warm_budget_s`, the questions already timed are asked again with caches as
    they are ("repeat")."""
    order = sample_order(queries)
    wall: list[int] = []
    cpu: list[int] = []
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    fn(order[0])  # one untimed call: first-call costs (lazy imports, allocations) are not a question's
    gc.collect()
    started = time.perf_counter()
    done = 0
    for _ in range(max(1, passes)):
        if reset is not None:
            reset()
        for question in order:
            c0 = cpu_clock()
            t0 = clock()
            fn(question)
            t1 = clock()
            c1 = cpu_clock()
            wall.append(t1 - t0)
            cpu.append(c1 - c0)
            done += 1
            elapsed = time.perf_counter() - started
            if (len(wall) >= min_samples and elapsed > budget_s) or elapsed > budget_s * hard_cap_factor:
                break
        else:
            continue
        break
    result = {"first_pass": summarize(wall, cpu), "seconds": round(time.perf_counter() - started, 2)}
    if warm_budget_s > 0:
        asked = order[: min(done, len(order))]
        w2: list[int] = []
        c2: list[int] = []
        warm_started = time.perf_counter()
        for question in asked:
            c0 = cpu_clock()
            t0 = clock()
            fn(question)
            t1 = clock()
            c1 = cpu_clock()
            w2.append(t1 - t0)
            c2.append(c1 - c0)
            elapsed = time.perf_counter() - warm_started
            if (len(w2) >= min_samples and elapsed > warm_budget_s) or elapsed > warm_budget_s * hard_cap_factor:
                break
        result["repeat"] = summarize(w2, c2)
    return result


def growth_exponent(sizes: Sequence[int], values: Sequence[float]) -> float | None:
    """Least-squares slope of log(value) on log(size): cost ∝ size^k."""
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values) if s > 0 and v and v > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in points) / sxx, 3)
