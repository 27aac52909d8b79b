"""Public read answers that may be a few seconds old, and say so.

The busiest public reads (the stats, the targets list, the finder) are the same question
asked by thousands of visitors. Each answer is kept in Django's cache (local memory per
process, or Redis shared by every app server) under a key made of its parameters:

- younger than ``FRESH_SECONDS`` (2 s): served as is;
- older: one request recomputes it while concurrent requests keep getting the previous
  answer (no stampede of identical queries). A computation then has 2.5 s to finish
  before the previous answer expires (a national summary takes ~1 s alone, ~2 s under
  full load on the 2-core benchmark box); refreshing sooner would spend more of the
  machine on recomputing than the visitors gain;
- older than ``MAX_AGE_SECONDS`` (4.5 s, from the moment its rows were read), or
  missing: never served; one request computes it and concurrent ones wait for its
  answer (up to ``WAIT_SECONDS``, then compute themselves).

So a committed write shows in every such answer within 4.5 s, however long one
computation takes. Errors (404, 422) are never cached: they are raised by ``compute``.
"""

from __future__ import annotations

import hashlib
import math
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from time import monotonic, sleep

from django.core.cache import cache
from django.db import DatabaseError, connection

FRESH_SECONDS: float = 2.0
MAX_AGE_SECONDS: float = 4.5
# How long a request waits for another one's computation of a missing or too old answer
# before computing it itself.
WAIT_SECONDS: float = 4.0


def cache_key(namespace: str, *parts: object) -> str:
    raw = "|".join(str(part) for part in parts)
    return f"{namespace}:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached[T](key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or a cached result of it no older than the rules above."""
    flag = key + ":refresh"
    give_up = monotonic() + WAIT_SECONDS
    owner = False
    while True:
        entry = cache.get(key)
        age = clock.time() - entry[0] if entry is not None else None
        if entry is not None and age is not None and age < FRESH_SECONDS:
            return entry[1]  # type: ignore[no-any-return]
        if cache.add(flag, 1, timeout=30):
            owner = True
            break  # this request refreshes it
        if entry is not None and age is not None and age < MAX_AGE_SECONDS:
            return entry[1]  # type: ignore[no-any-return]  # another request is refreshing it
        if monotonic() >= give_up:
            break  # the refreshing request is taking too long: compute here too
        # Missing or too old, and another request is computing it: wait for its answer
        # rather than pile the same scan onto the database (which would only slow both).
        sleep(0.02)
    try:
        born = clock.time()  # before reading: the result includes every earlier commit
        with _one_core():
            value = compute()
        cache.set(key, (born, value), timeout=math.ceil(MAX_AGE_SECONDS) + 1)
    finally:
        if owner:
            cache.delete(flag)
    return value


@contextmanager
def _one_core() -> Iterator[None]:
    """On PostgreSQL, compute without parallel workers. A national figure scans about a
    second of rows whether or not the scan is split (measured on the 2-core benchmark
    machine), but split it takes every core for that second, and every visitor being
    answered from the cache meanwhile waits: one core for the recomputation, the rest
    for them.

    Set for the session and reset after, not in a transaction of its own: the stats'
    fold (``kolaborasi.stats.tally``) must commit before the figures are read, not hold
    its lock until the whole computation ends."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        try:
            yield
        finally:
            # Fails only on a broken connection or an aborted transaction, whose end
            # (a reconnect or the rollback) undoes the SET anyway.
            with suppress(DatabaseError):
                cursor.execute("RESET max_parallel_workers_per_gather")
