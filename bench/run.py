"""The whole benchmark in one process: quality, matching latency against knowledge size, end to end, start-up."""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bot.text
from bench import DEFAULT_BLIND, TESTS_DATA
from bench.latency import growth_exponent, measure
from bench.machine import load_average, machine_info
from bench.quality import compare, evaluate, tune_cutoff
from bench.sets import LabelledSet, check_entries, load_set
from bench.synth import synthetic_knowledge
from bench.systems import Awarebot, BM25Baseline, RapidfuzzBaseline, bm25_available
from bot.config import load_config
from bot.engine import Engine
from bot.matching import Matcher

DEVSET = TESTS_DATA / "devset.yaml"
HOLDOUT = TESTS_DATA / "holdout.yaml"


@dataclass(frozen=True)
class Profile:
    """How much work a run does."""

    name: str
    sizes: tuple[int, ...]  # knowledge sizes; 0 means the bundled knowledge as it is
    passes: dict[int, int]  # first-pass repetitions per size (caches cleared before each)
    budget_s: dict[int, float]  # seconds of first-pass sampling per system and size
    warm_budget_s: dict[int, float]  # seconds of repeat sampling
    min_samples: dict[int, int]
    startup_runs: int
    e2e_updates: int
    e2e_rounds: int
    per_kind_limit: int | None = None  # cap on items per kind in quality sets (quick runs only)


FULL = Profile(
    name="full",
    sizes=(0, 1000, 10000),
    passes={0: 5, 1000: 1, 10000: 1},
    budget_s={0: 3.0, 1000: 4.0, 10000: 5.0},
    warm_budget_s={0: 1.5, 1000: 2.0, 10000: 2.5},
    min_samples={0: 200, 1000: 100, 10000: 100},
    startup_runs=5,
    e2e_updates=300,
    e2e_rounds=5,
)
QUICK = Profile(
    name="quick",
    sizes=(0, 120),
    passes={0: 1, 120: 1},
    budget_s={0: 0.03, 120: 0.03},
    warm_budget_s={0: 0.01, 120: 0.01},
    min_samples={0: 5, 120: 5},
    startup_runs=1,
    e2e_updates=20,
    e2e_rounds=1,
    per_kind_limit=8,
)


@dataclass
class Options:
    profile: Profile = FULL
    sets: list[Path] = field(default_factory=list)  # extra labelled sets; the blind set when empty and present
    sizes: tuple[int, ...] | None = None
    quality: bool = True
    latency: bool = True
    startup: bool = True
    e2e: bool = True
    bm25: bool = True
    startup_bot: bool = True  # also time the whole bot's start (python-telegram-bot imported, Application built)
    log: Callable[[str], None] = print


def _limited(labelled: LabelledSet, limit: int | None) -> LabelledSet:
    if limit is None:
        return labelled
    from dataclasses import replace

    return replace(
        labelled,
        answers=labelled.answers[::max(1, len(labelled.answers) // limit)][:limit],
        referral=labelled.referral[:limit],
        urgent=labelled.urgent[:limit],
        near_miss=labelled.near_miss[:limit],
        off_topic=labelled.off_topic[:limit],
    )


def _rss_mb() -> float:
    try:
        import psutil

        return round(psutil.Process().memory_info().rss / 2**20, 1)
    except ImportError:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return round(int(fh.read().split()[1]) * resource.getpagesize() / 2**20, 1)


def _reset_awarebot(engine: Engine) -> Callable[[], None]:
    def reset() -> None:
        cache = getattr(engine.matcher, "_word_cache", None)
        if cache is not None:
            cache.clear()
        clear = getattr(bot.text.stem, "cache_clear", None)
        if clear is not None:
            clear()

    return reset


def _reset_bm25(baseline: BM25Baseline) -> Callable[[], None]:
    tokenizer = baseline.tokenizer
    saved = {name: dict(getattr(tokenizer, name)) for name in ("word_to_stem", "word_to_id", "stem_to_sid")}

    def reset() -> None:
        for name, value in saved.items():
            setattr(tokenizer, name, dict(value))

    return reset


def load_sets(options: Options) -> tuple[LabelledSet, list[LabelledSet], list[str]]:
    notes: list[str] = []
    dev = load_set(DEVSET, "devset")
    sets = [dev, load_set(HOLDOUT, "holdout")]
    extra = list(options.sets)
    if not extra and DEFAULT_BLIND.is_file():
        extra = [DEFAULT_BLIND]
    elif not extra:
        notes.append(f"no blind set: {DEFAULT_BLIND} does not exist yet")
    names = {s.name for s in sets}
    for path in extra:
        name = Path(path).stem
        while name in names:
            name += "+"
        names.add(name)
        sets.append(load_set(Path(path), name))
    limit = options.profile.per_kind_limit
    return _limited(dev, limit), [_limited(s, limit) for s in sets], notes


def run_quality(engine: Engine, options: Options) -> dict:
    log = options.log
    dev, sets, notes = load_sets(options)
    ids = set(engine.knowledge.entries)
    for labelled in sets:
        missing = check_entries(labelled, ids)
        if missing:
            notes.append(f"{labelled.name}: expected entries not in the knowledge: {', '.join(missing)}")
    systems: list = [Awarebot(engine), RapidfuzzBaseline(engine.knowledge)]
    if options.bm25 and bm25_available():
        systems.append(BM25Baseline(engine.knowledge))
    elif options.bm25:
        notes.append("bm25s is not installed: the BM25 baseline was skipped (pip install -e '.[bench]')")
    tuning = {}
    for system in systems[1:]:
        started = time.perf_counter()
        tuning[system.name] = tune_cutoff(system, dev)
        log(f"  tuned {system.name} cutoff on the dev set: {tuning[system.name]['cutoff']} "
            f"({time.perf_counter() - started:.1f}s)")
    results: dict = {}
    for labelled in sets:
        per_system = {}
        for system in systems:
            started = time.perf_counter()
            keep = labelled.name == "devset" and system.name == "awarebot"
            per_system[system.name] = evaluate(system, labelled, keep_misses=keep)
            log(f"  quality {labelled.name:<8} {system.name:<9} {time.perf_counter() - started:.1f}s")
        verdicts = {
            name: compare(per_system["awarebot"], scores) for name, scores in per_system.items() if name != "awarebot"
        }
        results[labelled.name] = {
            "path": labelled.path,
            "sizes": labelled.sizes(),
            "tuning_set": labelled.name == "devset",
            "systems": per_system,
            "awarebot_vs": verdicts,
        }
    return {
        "sets": results,
        "baseline_cutoffs": tuning,
        "systems": [s.name for s in systems],
        "notes": notes,
    }


def _queries() -> list[str]:
    texts = load_set(DEVSET).texts() + load_set(HOLDOUT).texts()
    return list(dict.fromkeys(texts))  # unique, in order


def _setting(mapping: dict[int, float], size: int, default: float) -> float:
    """A profile's setting for a size: its own, else that of the largest listed size below it."""
    if size in mapping:
        return mapping[size]
    below = [k for k in mapping if k <= size]
    return mapping[max(below)] if below else default


def _latency_at_size(base: Engine, size: int, queries: list[str], cutoffs: dict[str, float],
                     options: Options) -> tuple[dict, list[dict]]:
    log = options.log
    profile = options.profile
    budget = _setting(profile.budget_s, size, 3.0)
    warm = _setting(profile.warm_budget_s, size, 1.0)
    passes = int(_setting(profile.passes, size, 1))
    min_n = int(_setting(profile.min_samples, size, 20))
    started = time.perf_counter()
    knowledge = base.knowledge if size == 0 else synthetic_knowledge(base.knowledge, size)
    generated_s = time.perf_counter() - started
    n_entries = len(knowledge.entries)
    phrasings = sum(len(e.questions) for e in knowledge.entries.values())
    gc.collect()
    rss_before = _rss_mb()
    started = time.perf_counter()
    matcher = base.matcher if size == 0 else Matcher(knowledge)
    matcher_s = time.perf_counter() - started
    engine = base if size == 0 else Engine(
        knowledge=knowledge, referrals=base.referrals, matcher=matcher, matching=base.matching
    )
    build = {
        "size": n_entries,
        "phrasings": phrasings,
        "vocabulary": len(matcher.idf),
        "synthetic": size != 0,
        "generate_s": round(generated_s, 3) if size else None,
        "awarebot_build_s": round(matcher_s, 3) if size else None,
        "awarebot_index_mb": round(_rss_mb() - rss_before, 1) if size else None,
    }
    reset = _reset_awarebot(engine)
    systems: list[tuple[str, str, Callable[[str], object], Callable[[], None] | None]] = [
        ("awarebot", "engine.respond", lambda q: engine.respond(q, "US"), reset),
        ("awarebot", "matcher.rank", lambda q: matcher.rank(q, 3), reset),
    ]
    started = time.perf_counter()
    rapid = RapidfuzzBaseline(knowledge, cutoffs.get("rapidfuzz", 0.0))
    build["rapidfuzz_build_s"] = round(time.perf_counter() - started, 3)
    systems.append(("rapidfuzz", "extractOne WRatio", rapid.decide, None))
    if options.bm25 and bm25_available():
        started = time.perf_counter()
        bm25 = BM25Baseline(knowledge, cutoffs.get("bm25", 0.0))
        build["bm25_build_s"] = round(time.perf_counter() - started, 3)
        systems.append(("bm25", "bm25s get_scores", bm25.decide, _reset_bm25(bm25)))
    build["rss_mb_after_build"] = _rss_mb()
    log(f"  knowledge of {n_entries} entries ({phrasings} phrasings, vocabulary {len(matcher.idf)})"
        + (f": awarebot's matcher built in {matcher_s:.1f}s" if size else ""))
    if size == 0:
        # The harness's own floor: an empty call timed the same way (clock reads, loop, preemption by others).
        systems.append(("control", "no-op", lambda q: None, None))
    runs = []
    for system, function, fn, system_reset in systems:
        result = measure(fn, queries, passes=passes, budget_s=budget, min_samples=min_n, reset=system_reset,
                         warm_budget_s=warm)
        runs.append({"system": system, "function": function, "size": n_entries, **result})
        fp = result["first_pass"]
        log(f"    {system:<9} {function:<18} n={fp['n']:<5} median {fp['median_ms']:8.3f} ms  "
            f"p99 {fp['p99_ms']:8.3f} ms  ({result['seconds']:.1f}s)")
    return build, runs


def run_latency(base: Engine, cutoffs: dict[str, float], options: Options) -> dict:
    sizes = options.sizes or options.profile.sizes
    queries = _queries()
    runs: list[dict] = []
    builds: list[dict] = []
    for size in sizes:
        build, size_runs = _latency_at_size(base, size, queries, cutoffs, options)
        builds.append(build)
        runs.extend(size_runs)
        gc.collect()
    growth = {}
    for system, function in dict.fromkeys((r["system"], r["function"]) for r in runs):
        rows = sorted((r for r in runs if r["system"] == system and r["function"] == function), key=lambda r: r["size"])
        xs = [r["size"] for r in rows]
        med = [r["first_pass"]["median_ms"] for r in rows]
        p99 = [r["first_pass"]["p99_ms"] for r in rows]
        cpu = [r["first_pass"]["cpu_median_ms"] for r in rows]
        growth[f"{system} {function}"] = {
            "system": system,
            "function": function,
            "sizes": xs,
            "median_exponent": growth_exponent(xs, med),
            "p99_exponent": growth_exponent(xs, p99),
            "cpu_median_exponent": growth_exponent(xs, cpu),
            "median_ratio_largest_vs_smallest": round(med[-1] / med[0], 1) if len(med) > 1 and med[0] else None,
        }
    return {
        "queries": len(queries),
        "sizes": [b["size"] for b in builds],
        "builds": builds,
        "runs": runs,
        "growth": growth,
        "load_average_after": load_average(),
    }


def run(options: Options) -> dict:
    log = options.log
    t0 = time.perf_counter()
    results: dict = {"profile": options.profile.name, "machine": machine_info()}
    log(f"awarebot benchmark ({options.profile.name}) on {results['machine']['cpu']}, "
        f"{results['machine']['cores']} cores, load {results['machine']['load_average_at_start']}")
    started = time.perf_counter()
    engine = Engine.load(load_config(env={}))
    results["engine"] = {
        "entries": len(engine.knowledge.entries),
        "answer_threshold": engine.matching.answer_threshold,
        "load_s_in_process": round(time.perf_counter() - started, 3),
    }
    cutoffs: dict[str, float] = {}
    if options.quality:
        log("quality")
        results["quality"] = run_quality(engine, options)
        cutoffs = {k: v["cutoff"] for k, v in results["quality"]["baseline_cutoffs"].items()}
    if options.e2e:  # before the large knowledge sizes: a small, settled heap for both bots
        log("end to end (Telegram)")
        try:
            from bench.e2e import measure_e2e
        except ImportError as exc:
            results["e2e"] = {"skipped": f"cannot import the Telegram harness: {exc}"}
        else:
            results["e2e"] = measure_e2e(
                updates=options.profile.e2e_updates, rounds=options.profile.e2e_rounds, engine=engine, log=log
            )
    if options.latency:
        if not cutoffs:
            dev, _, _ = load_sets(options)
            for baseline in (RapidfuzzBaseline(engine.knowledge),) + (
                (BM25Baseline(engine.knowledge),) if options.bm25 and bm25_available() else ()
            ):
                cutoffs[baseline.name] = tune_cutoff(baseline, dev)["cutoff"]
        log("matching latency")
        results["latency"] = run_latency(engine, cutoffs, options)
    if options.startup:
        log("start-up and memory (fresh subprocesses)")
        from bench.startup import measure_startup

        results["startup"] = measure_startup(options.profile.startup_runs, bot=options.startup_bot)
    results["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["machine"]["load_average_at_end"] = load_average()
    results["duration_s"] = round(time.perf_counter() - t0, 1)
    return results
