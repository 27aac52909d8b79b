"""Loaded by pytest before Django (``-p tests.env``): the suite runs with development
defaults (no TLS redirect, no manifest static storage) unless the caller says otherwise."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DEBUG", "1")
# The test process's own threads (concurrency tests) each keep a connection for the whole
# test: a bounded pool would make them wait for one another. The servers the tests start
# use the pool where it is under test (tests/test_core_database_unavailable.py).
os.environ.setdefault("DB_POOL", "0")


def _own_redis_database() -> None:
    """With REDIS_URL, each pytest-xdist worker uses its own Redis database (the URL's,
    plus the worker's number): the tests clear the cache, and a clear empties the whole
    database another worker's test is counting or caching in."""
    url, worker = os.environ.get("REDIS_URL", ""), os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker[2:])
    os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{database}"))


_own_redis_database()
