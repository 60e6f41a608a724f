"""`awarebot run --workers N`: N webhook workers as child processes on consecutive ports, behind your proxy.

Each child is a plain `awarebot run --port P` (the same config file), so running N of them by hand (or with
systemd) is the same thing. This parent only starts them, restarts one that dies (after `RESTART_DELAY` seconds;
Telegram redelivers what it was handling to the others meanwhile) and, on SIGTERM or SIGINT, passes the signal on
and waits for every child to finish the updates it is answering.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0  # seconds before a dead worker is started again
STOP_TIMEOUT = 30.0  # seconds a worker may take to finish its updates after SIGTERM


def worker_command(config_path: Path | None, port: int, health_port: int = 0) -> list[str]:
    """The command line of one worker: this Python, this package, the same config, its own port (and health port)."""
    command = [sys.executable, "-m", "bot"]
    if config_path is not None:
        command += ["--config", str(config_path)]
    return [*command, "run", "--port", str(port), "--health-port", str(health_port)]


def supervise(config_path: Path | None, first_port: int, workers: int, first_health_port: int = 0) -> int:
    """Run `workers` workers on ports first_port, first_port + 1, … (health checks on first_health_port + i when
    it is not 0); returns 0 after a clean stop."""
    ports = [first_port + i for i in range(workers)]
    health = {port: (first_health_port + i if first_health_port else 0) for i, port in enumerate(ports)}
    children: dict[int, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for port in ports:
        children[port] = subprocess.Popen(worker_command(config_path, port, health[port]))
        log.info("worker on port %d started (pid %d)", port, children[port].pid)
    while not stopping:
        time.sleep(0.2)
        for port, child in list(children.items()):
            code = child.poll()
            if code is not None and not stopping:
                log.warning("worker on port %d ended (exit %d); restarting it in %.0f s", port, code, RESTART_DELAY)
                time.sleep(RESTART_DELAY)
                if not stopping:
                    children[port] = subprocess.Popen(worker_command(config_path, port, health[port]))
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    log.info("all workers stopped")
    return 0
