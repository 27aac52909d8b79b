"""The throttles' shared store. Without Redis it is the database (kolaborasi.core.
counters): counts must be exact when many workers count at once, which Django's
DatabaseCache (read, then write back) is not. With REDIS_URL it is Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import RequestFactory
from django.test.utils import override_settings

from kolaborasi.core import throttle
from kolaborasi.core.counters import CounterCache
from kolaborasi.core.models import ThrottleCounter
from tests.throttle_support import rates

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store() -> CounterCache:
    backend = caches["throttle"]
    if not isinstance(backend, CounterCache):
        pytest.skip("the throttle store is Redis here (REDIS_URL)")
    return backend


@pytest.mark.django_db
def test_add_incr_and_expiry(store: CounterCache) -> None:
    assert store.add("k", 1, 60) is True
    assert store.add("k", 1, 60) is False  # a live counter is not replaced
    assert store.incr("k") == 2
    assert store.incr("k", 5) == 7
    assert store.get("k") == 7
    with pytest.raises(ValueError):
        store.incr("missing")
    store.set("old", 9, -1)  # already expired
    assert store.get("old") is None
    assert store.add("old", 1, 60) is True  # an expired counter is replaced
    assert store.get("old") == 1
    with pytest.raises(TypeError):
        store.set("text", "nine")  # type: ignore[arg-type]
    assert store.delete("k") is True and store.get("k") is None
    assert ThrottleCounter.objects.count() == 1


def _file_or_server_database() -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name in ("", ":memory:") or "mode=memory" in name):
        pytest.skip("in-memory SQLite has one shared connection: set SQLITE_TEST_PATH to race on SQLite")


def _race(threads: int, work: object) -> list[BaseException]:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_are_exact(store: CounterCache) -> None:
    _file_or_server_database()
    store.add("shared", 0, 600)

    def work(_i: int) -> None:
        for _ in range(25):
            store.incr("shared")

    assert _race(16, work) == []
    assert store.get("shared") == 16 * 25


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("one_window")
def test_concurrent_requests_let_exactly_the_limit_through(store: CounterCache) -> None:
    """16 threads, 10 attempts each, against a limit of 50 for one key: exactly 50 pass,
    however the attempts interleave (the window's first counts race on ``add``)."""
    _file_or_server_database()
    passed: list[int] = []
    lock = threading.Lock()

    def work(_i: int) -> None:
        request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.3")
        for _ in range(10):
            try:
                throttle.check(request, "exports", "same-client")
            except throttle.Throttled:
                continue
            with lock:
                passed.append(1)

    with rates(exports="50/h"):
        assert _race(16, work) == []
    assert len(passed) == 50


def _settings_in_subprocess(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("THROTTLE_", "TRUSTED_", "REDIS_URL"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['throttle']['BACKEND']); print(settings.THROTTLE_RATES['pledges']); "
            "print(settings.TRUSTED_PROXIES)",
        ],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "kolaborasi.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_settings_choose_the_store_and_refuse_malformed_values() -> None:
    plain = _settings_in_subprocess()
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split() == ["kolaborasi.core.counters.CounterCache", "120/m", "[]"]

    redis = _settings_in_subprocess(
        REDIS_URL="redis://127.0.0.1:6379/14",
        THROTTLE_PLEDGES="5/10m",
        TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8",
    )
    assert redis.returncode == 0, redis.stderr
    lines = redis.stdout.splitlines()
    assert lines[:2] == ["django.core.cache.backends.redis.RedisCache", "5/10m"]
    assert lines[2] == "['127.0.0.1', '10.0.0.0/8']"
    assert _settings_in_subprocess(TRUSTED_PROXIES="2").stdout.split()[-1] == "2"

    for bad in (
        {"THROTTLE_PLEDGES": "banyak"},
        {"THROTTLE_LOGIN": "5/0m"},
        {"TRUSTED_PROXIES": "10.0.0.0/33"},
    ):
        result = _settings_in_subprocess(**bad)
        assert result.returncode != 0, bad
        assert next(iter(bad)) in result.stderr or "does not appear to be an IPv4 or IPv6" in result.stderr


def _redis_url() -> str:
    url = os.environ.get("THROTTLE_TEST_REDIS", "redis://127.0.0.1:6379/14")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        socket.create_connection((host, int(port or 6379)), timeout=1).close()
    except OSError:
        pytest.skip(f"no Redis at {url}")
    return url


@pytest.mark.usefixtures("one_window")
def test_redis_store_lets_exactly_the_limit_through() -> None:
    """The same race with the store in Redis, as when REDIS_URL is set."""
    url = _redis_url()
    caches_setting = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"throttle-test-{os.getpid()}-{time.monotonic_ns()}",
        },
    }
    passed: list[int] = []
    lock = threading.Lock()

    def work(_i: int) -> None:
        request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.4")
        for _ in range(10):
            try:
                throttle.check(request, "exports", "same-client")
            except throttle.Throttled:
                continue
            with lock:
                passed.append(1)

    # A fresh key prefix instead of clearing: clearing a Redis cache empties its whole
    # database. The counts expire by themselves.
    with override_settings(CACHES=caches_setting), rates(exports="50/h"):
        assert _race(16, work) == []
    assert len(passed) == 50
