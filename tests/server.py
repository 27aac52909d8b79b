"""A real multi-worker gunicorn on the PostgreSQL test database, for the tests that
need real server processes (bounded heavy work, memory of hostile uploads, metrics, a
spike). The demo loaded by the session's database set-up is committed there, so the
server sees it. ``production=True`` starts it as `make run` does: our configuration
(kolaborasi/gunicorn_conf.py: the queue-stamping threaded worker, the metrics
directory) with DEBUG off, its var/ in the test's temporary directory."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self) -> list[int]:
        """The master and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [self.process.pid, *(int(p) for p in children.read_text().split())]

    def rss_bytes(self) -> int:
        """Resident memory of the master and every worker, from /proc."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except FileNotFoundError:
                pass  # a worker restarting
        return total


def free_port() -> int:
    """A port for a test server to listen on. Not one the kernel hands out (those also
    serve the outgoing connections of the tests, hundreds at a time): one from a block of
    its own for each pytest-xdist worker, picked at random and free when tried, so that
    the workers of this run never race for one and another run on the machine rarely
    does (``gunicorn`` below tries another port if it lost that race)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 20000 + 200 * (int(worker or 0) % 60)
    for port in random.sample(range(first, first + 200), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{first + 199}")


def database_url() -> str:
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d["PASSWORD"] else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


# DEBUG off needs a key of production strength (the test's own, not a site's).
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-server-key-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
}


@contextmanager
def gunicorn(
    tmp: Path,
    *,
    workers: int = 4,
    threads: int = 4,
    production: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    full_env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "LOG_LEVEL": "INFO",
        "HEAVY_WORK_DIR": str(tmp / "heavy"),
        "MEDIA_ROOT": str(tmp / "media"),
        # This server shares the test database and commits what it writes: throttle
        # counts of 127.0.0.1 would outlive the test and trip later ones. The throttles
        # have their own tests.
        "THROTTLES_ENABLED": "0",
        **(PRODUCTION_ENV if production else {}),
        **({"KOLABORASI_VAR_DIR": str(tmp / "var"), "PYTHONPATH": str(ROOT)} if production else {}),
        **(env or {}),
    }
    if "PROMETHEUS_MULTIPROC_DIR" not in (env or {}):
        full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the configuration's own (var/metrics)
    for attempt in range(3):
        server = _start(tmp, workers, threads, production, full_env)
        try:
            if _ready(server, workers):
                break
        except BaseException:
            _stop(server.process)
            raise
        _stop(server.process)
        if "in use" not in server.log_text() or attempt == 2:
            raise RuntimeError("gunicorn did not start:\n" + server.log_text()[-3000:])
        # Another process took the port between our check and gunicorn's bind.
    try:
        yield server
    finally:
        _stop(server.process)


def _start(tmp: Path, workers: int, threads: int, production: bool, env: dict[str, str]) -> Server:
    port = free_port()
    log = tmp / "server.log"
    cmd = [
        str(GUNICORN),
        *(["-c", "python:kolaborasi.gunicorn_conf", "--threads", str(threads)] if production else []),
        "kolaborasi.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--preload",
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


def _ready(server: Server, workers: int) -> bool:
    """Wait until the server answers with all its workers; False if it exited first."""
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(server.base + "/healthz", timeout=5) as resp:  # noqa: S310
                if resp.status == 200 and len(server.pids()) > workers:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if server.process.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start in time:\n" + server.log_text()[-3000:])
        time.sleep(0.3)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop our own server's process group (it was started in a session of its own)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
