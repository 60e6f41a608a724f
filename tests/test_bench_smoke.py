"""Smoke test of the benchmark (bench/): it runs end to end on a tiny size and writes its outputs. Fast, no network,
and it needs none of the bench extra's packages (bm25s, matplotlib, psutil): those parts are skipped without them.
The benchmark itself is `make bench`; this only checks that its code works."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # bench/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(REPO))

from bench.__main__ import main  # noqa: E402
from bench.quality import METRICS  # noqa: E402

EXTRAS = ("bm25s", "matplotlib", "psutil")


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _run_quick(out: Path, *extra: str, sizes: str = "0,60") -> dict:
    code = main(["--quick", "--no-e2e", "--no-startup", "--no-loso", "--sizes", sizes, "--out", str(out), *extra])
    assert code == 0
    assert (out / "latest.md").read_text(encoding="utf-8").startswith("# awarebot benchmark")
    return json.loads((out / "latest.json").read_text(encoding="utf-8"))


def _check_core(results: dict, sizes: tuple[int, ...] = (60,)) -> None:
    quality = results["quality"]["sets"]
    assert {"en-blind"} <= set(quality)
    for data in quality.values():
        assert {"awarebot", "rapidfuzz"} <= set(data["systems"])
        for metric in METRICS:
            value = data["systems"]["awarebot"][metric]["value"]
            assert value is None or 0.0 <= value <= 1.0
        # Baselines have no safety router: never urgent.
        assert data["systems"]["rapidfuzz"]["urgent_recall"]["value"] == 0.0
    assert "cutoff" in results["quality"]["baseline_cutoffs"]["rapidfuzz"]
    runs = results["latency"]["runs"]
    measured = {(r["system"], r["function"], r["size"]) for r in runs}
    expected_sizes = [results["engine"]["entries"], *sizes]
    assert results["latency"]["sizes"] == expected_sizes
    for size in expected_sizes:
        for system, function in (("awarebot", "engine.respond"), ("awarebot", "models.predict"),
                                 ("rapidfuzz", "extractOne WRatio")):
            assert (system, function, size) in measured
    for run in runs:
        first = run["first_pass"]
        assert first["n"] >= 1 and 0 < first["median_ms"] <= first["p99_ms"]
    assert {t["name"] for t in results["targets"]} and results["machine"]["cores"] >= 1


def test_quick_run_without_the_bench_extras(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in EXTRAS:  # an import of these now fails, as when the extra is not installed
        monkeypatch.setitem(sys.modules, name, None)
    results = _run_quick(tmp_path)
    _check_core(results)
    assert "bm25" not in results["quality"]["systems"]
    assert not (tmp_path / "latency_vs_size.png").exists()


@pytest.mark.bench_extras  # run by `make bench` (which installs the extra); deselected by `make test`
def test_quick_run_with_the_bench_extras(tmp_path: Path) -> None:
    assert all(_installed(n) for n in EXTRAS), "the bench extra is not installed: pip install -e '.[bench]'"
    results = _run_quick(tmp_path, "--set", str(REPO / "tests" / "heldout" / "en-blind.yaml"), sizes="0")
    _check_core(results, sizes=())
    assert "bm25" in results["quality"]["systems"]
    assert "en-blind+" in results["quality"]["sets"]  # the extra set, named apart from the held-out one
    assert (tmp_path / "latency_vs_size.png").stat().st_size > 0


def test_bad_extra_set_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers: [just text]\n", encoding="utf-8")
    assert main(["--quick", "--no-latency", "--no-e2e", "--no-startup", "--set", str(bad), "--out", str(tmp_path)]) == 2


def test_startup_is_measured_in_a_fresh_process() -> None:
    from bench.startup import measure_startup

    result = measure_startup(1, bot=False, warmup=False, fresh_cache=False)["engine"]
    assert "error" not in result, result
    assert 0 < result["spawn_to_ready_s"] < 60 and 1 < result["peak_rss_mb_max"] < 4096
    assert result["entries"] >= 1


def test_end_to_end_harness_runs() -> None:
    from bench.e2e import measure_e2e

    result = measure_e2e(updates=4, rounds=1, log=lambda _: None, warmup=2, only=("echo", "awarebot"))
    assert "skipped" not in result, result  # the test environment has the harness: unusable is a failure
    assert "error" not in result, result
    assert result["echo"]["updates_per_s"] > 0 and result["awarebot"]["updates_per_s"] > 0
    assert result["ratio"] > 0
