"""Start-up time to ready (knowledge loaded and validated, models read from the warm disk cache) and peak RSS, each run in a fresh
`python -c` subprocess. Time is taken from just before the parent spawns the child (so the interpreter's own start
and every import count) to the moment the child has its engine; the child's in-process times are reported too."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ENGINE_CHILD = r"""
import json, resource, time
t0 = time.monotonic()
from bot.config import load_config
from bot.engine import Engine
t1 = time.monotonic()
engine = Engine.load(load_config(env={}))
t2 = time.monotonic()
cpu = time.process_time()
engine.respond("what is sex trafficking", "US")
t3 = time.monotonic()
print(json.dumps({"cpu_to_ready": cpu, "t_start": t0, "t_imported": t1, "t_ready": t2, "t_first_reply": t3,
                  "entries": len(engine.knowledge.entries),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "vmhwm_kb": next((int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")), None)}))
"""

# The whole bot as `awarebot start` assembles it, up to (not including) the first network call: the engine plus
# python-telegram-bot and the handlers, with the Application built.
BOT_CHILD = r"""
import json, resource, time
t0 = time.monotonic()
from bot.config import load_config, TelegramConfig
from bot.engine import Engine, LiveEngine
from handlers.app import build_application
from dataclasses import replace
t1 = time.monotonic()
config = replace(load_config(env={}), telegram=TelegramConfig(token="123456:bench"))
engine = Engine.load(config)
app = build_application(config, LiveEngine(engine))
t2 = time.monotonic()
cpu = time.process_time()
engine.respond("what is sex trafficking", "US")
t3 = time.monotonic()
print(json.dumps({"cpu_to_ready": cpu, "t_start": t0, "t_imported": t1, "t_ready": t2, "t_first_reply": t3,
                  "entries": len(engine.knowledge.entries),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "vmhwm_kb": next((int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")), None)}))
"""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # A deployed bot runs from compiled bytecode; this workplace sets PYTHONDONTWRITEBYTECODE, which would make
    # every start recompile the project's modules. The untimed first run writes the bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


# On Linux a process's ru_maxrss survives execve: a child spawned straight from this (large) process would report
# the benchmark's own peak. A shell that forks before running Python gives the child a clean account.
_LAUNCH = '"$0" -c "$1"; exit $?'


def _run_once(code: str, cwd: str) -> dict:
    spawned = time.monotonic()
    done = subprocess.run(
        ["/bin/sh", "-c", _LAUNCH, sys.executable, code], cwd=cwd, env=_child_env(), capture_output=True,
        text=True, timeout=120,
    )
    ended = time.monotonic()
    if done.returncode != 0:
        raise RuntimeError(f"start-up child failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "spawn_to_ready_s": data["t_ready"] - spawned,
        "cpu_to_ready_s": data["cpu_to_ready"],
        "interpreter_s": data["t_start"] - spawned,
        "imports_s": data["t_imported"] - data["t_start"],
        "load_and_build_s": data["t_ready"] - data["t_imported"],
        "first_reply_ms": (data["t_first_reply"] - data["t_ready"]) * 1000,
        "process_total_s": ended - spawned,
        "peak_rss_mb": data["maxrss_kb"] / 1024,
        "vmhwm_mb": data["vmhwm_kb"] / 1024 if data.get("vmhwm_kb") else None,
        "entries": data["entries"],
    }


def measure_startup(runs: int = 5, *, bot: bool = True, warmup: bool = True, fresh_cache: bool = True) -> dict:
    """Median (and worst) of `runs` timed starts after one untimed start (`warmup`); the same for the whole bot
    if asked. `fresh_cache`: the children get a model cache of their own, empty at first (the untimed start is
    then the cold build); otherwise they share the machine's."""
    out: dict = {"runs": runs}
    variants = [("engine", ENGINE_CHILD)]
    if bot:
        variants.append(("bot", BOT_CHILD))
    with tempfile.TemporaryDirectory(prefix="awarebot-bench-") as cwd:  # no config.toml from the repo
        # A model cache of its own, empty at first: the untimed first start is the cold build (it trains and
        # caches), the timed ones read the cache as a deployed bot does.
        saved = os.environ.get("XDG_CACHE_HOME")
        if fresh_cache:
            os.environ["XDG_CACHE_HOME"] = cwd
        try:
            _measure_variants(out, variants, runs, warmup, cwd)
        finally:
            if saved is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = saved
    return out


def _measure_variants(out: dict, variants: list[tuple[str, str]], runs: int, warmup: bool, cwd: str) -> None:
    for name, code in variants:
        try:
            first = _run_once(code, cwd) if warmup else None
            timed = [_run_once(code, cwd) for _ in range(runs)]
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
            out[name] = {"error": str(exc)[-500:]}
            continue
        summary = {
            key: round(statistics.median(r[key] for r in timed), 4)
            for key in timed[0]
            if key != "entries" and timed[0][key] is not None
        }
        summary["worst_spawn_to_ready_s"] = round(max(r["spawn_to_ready_s"] for r in timed), 4)
        summary["peak_rss_mb_max"] = round(max(r["peak_rss_mb"] for r in timed), 2)
        if first is not None:
            summary["first_run_spawn_to_ready_s"] = round(first["spawn_to_ready_s"], 4)
        summary["entries"] = timed[0]["entries"]
        out[name] = summary
