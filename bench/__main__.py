"""`python -m bench` — the whole benchmark; `--quick` for a small, fast run; `--set FILE` for extra labelled sets."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench import HELDOUT_DIR, RESULTS_DIR


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, few repetitions, a few items per kind (a smoke run, not a measurement)")
    parser.add_argument("--set", dest="sets", action="append", type=Path, default=[], metavar="FILE",
                        help=f"an extra labelled set (repeatable), measured beside every set in {HELDOUT_DIR}")
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=None,
                        help="knowledge sizes for latency, comma-separated; 0 is the bundled knowledge")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"where to write latest.md/json/png (default {RESULTS_DIR}; a temporary folder with --quick)")
    for part in ("quality", "loso", "latency", "e2e", "startup", "bm25", "plot"):
        parser.add_argument(f"--no-{part}", action="store_true", help=f"skip {part}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # One core, as the targets say: keep numeric libraries from spreading over more threads.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    from bench.report import console_summary, evaluate_targets, plot_latency, to_markdown, write_json, write_text
    from bench.run import FULL, QUICK, Options, run
    from bench.sets import SetError, load_set

    try:  # a bad set is refused before any work
        for path in args.sets:
            load_set(path)
    except SetError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    out = args.out or (Path(tempfile.gettempdir()) / "awarebot-bench-quick" if args.quick else RESULTS_DIR)
    out.mkdir(parents=True, exist_ok=True)
    options = Options(
        profile=QUICK if args.quick else FULL,
        sets=list(args.sets),
        sizes=args.sizes,
        quality=not args.no_quality,
        latency=not args.no_latency,
        e2e=not args.no_e2e,
        loso=not args.no_loso,
        startup=not args.no_startup,
        bm25=not args.no_bm25,
    )
    try:
        results = run(options)
    except SetError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    plot = out / "latency_vs_size.png"
    if not args.no_plot and plot_latency(results, plot):
        results["plot"] = plot.name
    results["targets"] = evaluate_targets(results)
    markdown = to_markdown(results)
    write_text(markdown, out / "latest.md")
    write_json(results, out / "latest.json")
    print()
    print(markdown)
    print("Targets:")
    print(console_summary(results))
    print(f"\nwritten: {out / 'latest.md'}, {out / 'latest.json'}" + (f", {plot}" if "plot" in results else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
