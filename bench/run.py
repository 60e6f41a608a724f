"""The whole benchmark in one process: quality on the held-out sets, leave-one-set-out on the dev sets, latency
against knowledge size, end to end, start-up."""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bot.text
from bench import DEV_EXAMPLES, EXAMPLES_DIR, HELDOUT_DIR
from bench.latency import growth_exponent, measure
from bench.machine import load_average, machine_info
from bench.quality import compare, evaluate, tune_cutoff
from bench.sets import LabelledSet, check_entries, examples_set, heldout_sets, load_set
from bench.synth import synthetic_knowledge
from bench.systems import Awarebot, BM25Baseline, RapidfuzzBaseline, bm25_available
from bot.config import load_config
from bot.engine import Engine

# Leave-one-set-out rotates over these dev sets (knowledge/examples, one author each); the rest of the examples
# (other languages, the hand-written en.yaml) always stay in training.
LOSO_SETS = ("en-devset", "en-holdout", "en-quality-stress", "en-safety-stress", "en-safety-stress-2")


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
    sets: list[Path] = field(default_factory=list)  # extra labelled sets, measured beside tests/heldout/*
    sizes: tuple[int, ...] | None = None
    quality: bool = True
    latency: bool = True
    startup: bool = True
    e2e: bool = True
    loso: bool = True
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
        smalltalk=labelled.smalltalk[:limit],
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
    """The dev set (for the baselines' cutoffs), and every held-out set plus the extra ones, named apart."""
    notes: list[str] = []
    dev = examples_set(DEV_EXAMPLES, "en-devset")
    sets = heldout_sets(HELDOUT_DIR)
    if not sets:
        notes.append(f"no held-out sets in {HELDOUT_DIR}")
    names = {s.name for s in sets}
    for path in options.sets:
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
            per_system[system.name] = evaluate(system, labelled)
            log(f"  quality {labelled.name:<8} {system.name:<9} {time.perf_counter() - started:.1f}s")
        verdicts = {
            name: compare(per_system["awarebot"], scores) for name, scores in per_system.items() if name != "awarebot"
        }
        results[labelled.name] = {
            "path": labelled.path,
            "lang": labelled.lang,
            "sizes": labelled.sizes(),
            "tuning_set": False,
            "systems": per_system,
            "awarebot_vs": verdicts,
        }
    return {
        "sets": results,
        "baseline_cutoffs": tuning,
        "systems": [s.name for s in systems],
        "notes": notes,
    }


def run_loso(engine: Engine, cutoffs: dict[str, float], options: Options) -> dict:
    """Leave one dev set out: train on every example but one author's set, test on that set, rotate. The baselines
    (which never train on examples) are measured on the same held-out fold. Old cached models are reused when the
    same fold was trained before (the disk cache is keyed by the training data)."""
    import shutil
    import tempfile

    from bot.engine import load_folder

    log = options.log
    folds: dict = {}
    limit = options.profile.per_kind_limit
    names = [n for n in LOSO_SETS if (EXAMPLES_DIR / f"{n}.yaml").is_file()]
    if limit is not None:
        names = names[:1]
    for name in names:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "knowledge"
            shutil.copytree(load_config(env={}).knowledge_dir, folder)
            (folder / "examples" / f"{name}.yaml").unlink()
            knowledge, referrals = load_folder(folder)
        fold_engine = Engine.build(knowledge, referrals, engine.matching, engine.default_region)
        labelled = _limited(examples_set(EXAMPLES_DIR / f"{name}.yaml"), limit)
        per_system = {"awarebot": evaluate(Awarebot(fold_engine), labelled)}
        for baseline in (RapidfuzzBaseline(engine.knowledge),) + (
            (BM25Baseline(engine.knowledge),) if options.bm25 and bm25_available() else ()
        ):
            baseline.cutoff = cutoffs.get(baseline.name, 0.0)
            per_system[baseline.name] = evaluate(baseline, labelled)
        folds[name] = {"sizes": labelled.sizes(), "systems": per_system,
                       "train_s": round(fold_engine.models.info.get("seconds", 0.0), 1)}
        log(f"  leave out {name:<20} {time.perf_counter() - started:.1f}s")
    return {"folds": folds}


def _queries() -> list[str]:
    texts = [t for s in heldout_sets(HELDOUT_DIR) for t in s.texts()]
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
    engine = base if size == 0 else Engine.build(knowledge, base.referrals, base.matching, base.default_region)
    build_s = time.perf_counter() - started
    models = engine.models
    build = {
        "size": n_entries,
        "phrasings": phrasings,
        "vocabulary": models.info.get("features"),
        "intent_model": models.info.get("intent_model"),
        "intent_weights": models.info.get("intent_weights"),
        "synthetic": size != 0,
        "generate_s": round(generated_s, 3) if size else None,
        "awarebot_build_s": round(build_s, 3) if size else None,
        "awarebot_train_s": models.info.get("seconds"),
        "awarebot_index_mb": round(_rss_mb() - rss_before, 1) if size else None,
    }
    reset = _reset_awarebot(engine)
    systems: list[tuple[str, str, Callable[[str], object], Callable[[], None] | None]] = [
        ("awarebot", "engine.respond", lambda q: engine.respond(q, "US"), reset),
        ("awarebot", "models.predict", lambda q: models.predict(q), reset),
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
    log(f"  knowledge of {n_entries} entries ({phrasings} phrasings, {models.info.get('features')} features)"
        + (f": awarebot's engine built in {build_s:.1f}s (models {models.info.get('intent_model')})" if size else ""))
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
        "urgent_threshold": engine.matching.urgent_threshold,
        "unsure_threshold": engine.matching.unsure_threshold,
        "models": engine.models.info,
        "load_s_in_process": round(time.perf_counter() - started, 3),
    }
    cutoffs: dict[str, float] = {}
    if options.quality:
        log("quality")
        results["quality"] = run_quality(engine, options)
        cutoffs = {k: v["cutoff"] for k, v in results["quality"]["baseline_cutoffs"].items()}
    if options.loso:
        log("leave one set out")
        results["loso"] = run_loso(engine, cutoffs, options)
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
