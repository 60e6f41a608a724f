"""Real PostgreSQL and Redis servers for the tests: started on 127.0.0.1 in a temporary folder, stopped afterwards.

Nothing is mocked at this layer. A missing server binary is a test failure with the package to install named (a
skipped test is a failed one); `.ci/run` installs the Debian packages `postgresql` and `redis-server` when missing.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server runs as the `postgres` user
(created by the Debian package) or, failing that, `nobody`, in a folder that user owns. Both servers are tuned for
tests only: PostgreSQL without fsync, Redis without persistence (`save ""`, `appendonly no`, as the README says to
run it in production too).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

STARTUP_TIMEOUT = 30.0  # seconds; a cold initdb on a busy 2-core machine takes ~2 s


class ServerMissing(RuntimeError):
    """A server binary is not installed; the message names the Debian package."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, process: subprocess.Popen[bytes], name: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} at start: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} within {STARTUP_TIMEOUT:.0f} s")


def _postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian's `postgresql` package keeps the server binaries off PATH.
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise ServerMissing(
        f"PostgreSQL's `{name}` is not installed: the distributed-mode tests need a real server. "
        "Install the Debian package 'postgresql' (apt-get install -y postgresql; .ci/run does this)."
    )


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The user to run PostgreSQL as when we are root (it refuses root); None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


class PostgresServer:
    """A throw-away PostgreSQL cluster: `start()`, `stop()` (fast shutdown), `start()` again on the same data.

    `url` is a libpq URL for the superuser `awarebot` (trust authentication on 127.0.0.1 only).
    """

    def __init__(self) -> None:
        self.initdb = _postgres_bin("initdb")
        self.postgres = _postgres_bin("postgres")
        self.isready = _postgres_bin("pg_isready")
        self.user = _unprivileged_user()
        self.root = Path(tempfile.mkdtemp(prefix="awarebot-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._run([self.initdb, "-D", str(self.data), "-U", "awarebot", "--auth=trust", "-E", "UTF8",
                   "--no-sync", "--locale=C"])

    @property
    def url(self) -> str:
        return f"postgresql://awarebot@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://awarebot@127.0.0.1:{self.port}/{database}"

    def _popen_args(self) -> dict[str, object]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(args, capture_output=True, cwd=self.root, check=False, **self._popen_args())  # type: ignore[call-overload]
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def start(self) -> None:
        """Start the server (again) and wait until it accepts connections on 127.0.0.1:`port`."""
        if self.process is not None and self.process.poll() is None:
            return
        out = open(self.log, "ab")  # noqa: SIM115 - the server writes to it until stop()
        try:
            self.process = subprocess.Popen(  # type: ignore[call-overload]
                [self.postgres, "-D", str(self.data), "-p", str(self.port), "-h", "127.0.0.1",
                 "-k", str(self.root), "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB"],
                stdout=out, stderr=subprocess.STDOUT, cwd=self.root, **self._popen_args(),
            )
        finally:
            out.close()
        _wait_port(self.port, self.process, "postgres", self.log)
        # Listening is not accepting: right after start it answers "the database system is starting up".
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while subprocess.run([self.isready, "-q", "-h", "127.0.0.1", "-p", str(self.port), "-d", "postgres",
                              "-U", "awarebot"], check=False).returncode != 0:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"postgres did not accept connections: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Fast shutdown (SIGINT: active connections are closed), waiting for the process to end."""
        _stop(self.process, signal.SIGINT, 20)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    """Send `sig` to a running server and wait up to `timeout` seconds, then kill it."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    """A throw-away redis-server on 127.0.0.1 without persistence; `start()`, `stop()`, `start()` again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerMissing(
                "`redis-server` is not installed: the distributed-mode tests need a real server. Install the "
                "Debian package 'redis-server' (apt-get install -y redis-server; .ci/run does this)."
            )
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="awarebot-redis-"))
        self.log = self.root / "redis.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        out = open(self.log, "ab")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.root), "--daemonize", "no"],
                stdout=out, stderr=subprocess.STDOUT, cwd=self.root,
            )
        finally:
            out.close()
        _wait_port(self.port, self.process, "redis-server", self.log)

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM, 10)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
