"""Public read answers that may be a few seconds old, and say so.

The busiest public reads (the stats, the targets list, the finder) are the same question
asked by thousands of visitors. Each answer is kept in Django's cache (local memory per
process, or Redis shared by every app server) under a key made of its parameters:

- younger than ``FRESH_SECONDS`` (2 s): served as is;
- older: one request recomputes it while concurrent requests keep getting the previous
  answer (no stampede of identical queries);
- older than ``MAX_AGE_SECONDS`` (4.5 s, from the moment its rows were read): never
  served; every request then computes.

So a committed write shows in every such answer within 4.5 s, however long one
computation takes. Errors (404, 422) are never cached: they are raised by ``compute``.
"""

from __future__ import annotations

import hashlib
import math
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection, transaction

FRESH_SECONDS: float = 2.0
MAX_AGE_SECONDS: float = 4.5


def cache_key(namespace: str, *parts: object) -> str:
    raw = "|".join(str(part) for part in parts)
    return f"{namespace}:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached[T](key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or a cached result of it no older than the rules above."""
    entry = cache.get(key)
    if entry is not None:
        born, value = entry
        age = clock.time() - born
        if age < FRESH_SECONDS:
            return value  # type: ignore[no-any-return]
        if age < MAX_AGE_SECONDS and not cache.add(key + ":refresh", 1, timeout=10):
            return value  # type: ignore[no-any-return]  # another request is refreshing it
    try:
        born = clock.time()  # before reading: the result includes every earlier commit
        with _one_core():
            value = compute()
        cache.set(key, (born, value), timeout=math.ceil(MAX_AGE_SECONDS) + 1)
    finally:
        cache.delete(key + ":refresh")
    return value


@contextmanager
def _one_core() -> Iterator[None]:
    """On PostgreSQL, compute without parallel workers. A national figure scans about a
    second of rows whether or not the scan is split (measured on the 2-core benchmark
    machine), but split it takes every core for that second, and every visitor being
    answered from the cache meanwhile waits: one core for the recomputation, the rest
    for them."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield
