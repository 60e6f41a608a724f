"""awarebot's benchmark: quality against two baselines, matching speed against knowledge size, end-to-end Telegram
throughput against a bare echo bot, start-up time and peak memory. Run with `make bench` or `python -m bench`
(`--quick` for a small, fast run; `--set FILE` for an extra labelled set). Results go to bench/results/.

Everything runs in one process on one core, except start-up, which is measured in fresh subprocesses."""

from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DATA_DIR = BENCH_DIR / "data"
EXAMPLES_DIR = REPO_DIR / "knowledge" / "examples"
HELDOUT_DIR = REPO_DIR / "tests" / "heldout"
# The dev set the baselines' cutoffs are tuned on (converted from tests/data/devset.yaml; training data now).
DEV_EXAMPLES = EXAMPLES_DIR / "en-devset.yaml"
