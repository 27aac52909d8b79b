"""Shared fixtures; helpers for who acts live in tests/personas.py, the rest in
tests/*_support.py. The test database gets the Jakarta demo once per session (the
registry for DKI, 2,731 synthetic RWs, institutions and boundaries: the reference ones
from ../shared/data when there, stand-in squares otherwise, see tests/boundaries.py);
each test then runs in a transaction that is rolled back."""

from __future__ import annotations

import io
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from pytest_django.plugin import validate_django_db

# Fixtures of the browser tests (browser, page, demo_url), of the throttle tests
# (one_window) and the databases of a test's own (migrated_sqlite, new_postgres), for any
# test module that asks for them by name.
pytest_plugins = ["tests.browser", "tests.throttle_support", "tests.fresh_databases"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow tests first, so that with several workers (``make test``) they
    overlap the rest instead of ending the run alone. pytest-django has already put the
    tests that use the database first and the transactional ones after them (those
    flush the database, demo included); that order stays, except that slow tests which
    use no database at all go before everything, and each group runs its slow tests
    first."""

    def group(item: pytest.Item) -> int:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", ())
        transactional = "transactional_db" in names or "live_server" in names
        if marker is not None:
            transaction, reset_sequences, *_ = validate_django_db(marker)
            transactional = transactional or transaction or reset_sequences
        slow = item.get_closest_marker("slow") is not None
        if transactional:
            return 3 if slow else 4
        if marker is not None or "db" in names:
            return 1 if slow else 2
        return 0 if slow else 5

    items.sort(key=group)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    from kolaborasi.targets.demo import demo_load
    from tests import demo_snapshot
    from tests.boundaries import boundaries_dir

    with django_db_blocker.unblock():
        demo_load(boundaries_dir=boundaries_dir(), log=lambda _msg: None)
        demo_snapshot.SESSION = demo_snapshot.take()
    yield


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[object]:
    """pytest-django's live server, except that on the in-memory SQLite test database
    its request threads take turns. There every thread shares the test's one connection
    (Django passes it as ``connections_override``), and two requests on it at once (a
    page navigation while an HTMX request is still running) can read each other's
    half-done statements: a target the list just showed came back 404. On PostgreSQL
    every thread has its own connection and requests stay concurrent (the pledge race
    depends on that)."""
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.server_class = _NoDelayServer
    if server.thread.connections_override:
        server.thread.server_class = _TurnTakingServer
    server.start()
    yield server
    server.stop()


class _NoDelayServer(ThreadedWSGIServer):
    """The WSGI server sends a response's headers and body in separate writes; with
    Nagle's algorithm the body then waits for the client's delayed ACK, about 40 ms per
    request, which dominated tests that send thousands of requests."""

    def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().finish_request(request, client_address)


class _TurnTakingServer(_NoDelayServer):
    """Runs one request at a time, the whole response included."""

    def set_app(self, application):  # type: ignore[no-untyped-def]
        lock = threading.Lock()

        def one_at_a_time(environ, start_response):  # type: ignore[no-untyped-def]
            with lock:
                result = application(environ, start_response)
                try:
                    body = b"".join(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
            return [body]

        super().set_app(one_at_a_time)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache: the public reads keep answers for a few
    seconds (kolaborasi.core.freshness), and one test's answer must not be another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _own_heavy_dir(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each test keeps its computed exports and work slots in its own folder: a result
    cached under a data version of a rolled-back test must not answer another test."""
    settings.HEAVY_WORK_DIR = tmp_path / "heavy"


@pytest.fixture(autouse=True)
def _own_signing_key(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each test signs the audit chain's head with its own key, made on first use in its
    own folder (as the default var/audit-signing.key is), never with the checkout's."""
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "audit-signing.key"
    settings.AUDIT_SIGNING_KEY_CREATE = True


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    """Each test starts with no throttle counts: the suite makes many requests from
    127.0.0.1 with the production limits. In the database store (no REDIS_URL) the counts
    are rows that each test's rollback or flush removes; in Redis they are cleared here."""
    from django.core.cache import caches

    from kolaborasi.core.counters import CounterCache

    store = caches["throttle"]
    if not isinstance(store, CounterCache):
        store.clear()


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``later(seconds)`` moves the clock of kolaborasi.core.freshness forward, so a test
    can show a cached answer expiring without waiting for it."""
    import time
    from types import SimpleNamespace

    from kolaborasi.core import freshness

    offset = [0.0]
    monkeypatch.setattr(freshness, "clock", SimpleNamespace(time=lambda: time.time() + offset[0]))

    def _advance(seconds: float) -> None:
        offset[0] += seconds

    return _advance


@pytest.fixture
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wall clock of the cached public reads stands still, however long the requests
    of a test take on a busy machine: a cached answer stays fresh
    (kolaborasi.core.freshness), and a computed export keeps its data version, whose
    time bucket would otherwise turn over between two downloads now and then
    (kolaborasi.core.heavy; its waits keep the real clock)."""
    import time
    from types import SimpleNamespace

    from kolaborasi.core import freshness, heavy

    now = time.time()
    monkeypatch.setattr(freshness, "clock", SimpleNamespace(time=lambda: now))
    monkeypatch.setattr(
        heavy, "time", SimpleNamespace(time=lambda: now, monotonic=time.monotonic, sleep=time.sleep)
    )


@pytest.fixture
def run_cli() -> Iterator[object]:
    """Run a `kolaborasi` command in-process; returns (stdout, stderr)."""

    def _run(*args: str) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command(*args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    yield _run


@pytest.fixture
def tmp_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return _write


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def personas(db):  # type: ignore[no-untyped-def]
    """dina (donor), agus (aggregator), ratna (coordinator), oki (operator), luar (outsider)."""
    from tests.personas import make_personas

    return make_personas()


@pytest.fixture
def verified_dina(personas):  # type: ignore[no-untyped-def]
    """The personas, with dina's company verified: tests that pledge whole needs are
    about the need, not about the small tier's hold limits (tests/test_pledges_hold_limits.py
    is)."""
    from kolaborasi.accounts.models import Organisation

    org = personas["dina"].organisation
    Organisation.objects.filter(pk=org.pk).update(verified=True)
    org.verified = True
    return personas


@pytest.fixture
def fast_hasher(settings):  # type: ignore[no-untyped-def]
    """A cheap password hasher, for tests that log people in with their password many
    times (password hashing itself is tested by accounts, with the real hasher)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hold_limits_lifted(settings):  # type: ignore[no-untyped-def]
    """For tests about the public figures, with whole needs pledged by donors of every
    kind: hold limits (tested in tests/test_pledges_hold_limits.py) step aside."""
    settings.HOLD_LIMIT_SMALL = settings.HOLD_LIMIT_VERIFIED = 10**9
    settings.HOLD_NEED_SHARE_SMALL = settings.HOLD_NEED_SHARE_VERIFIED = 100


@pytest.fixture
def admin_client(client, admin_user):  # type: ignore[no-untyped-def]
    """pytest-django's admin client, logged in with the second factor staff must use."""
    from tests.personas import login

    login(client, admin_user)
    return client
