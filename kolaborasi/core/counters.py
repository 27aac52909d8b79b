"""The throttles' shared counters in the database, for sites without Redis.

A Django cache backend (the ``throttle`` alias) that holds whole numbers only. Django's
own DatabaseCache increments by reading the value and writing it back, so two workers
counting at once both write the same number and a limit of 5 lets 6 or more through;
here every change is one statement that the database applies atomically:

* ``add`` inserts the counter, or replaces it if it has expired, and reports whether it
  did (``INSERT … ON CONFLICT DO UPDATE … WHERE expired RETURNING``);
* ``incr`` is ``UPDATE … SET hits = hits + n … RETURNING hits``.

Both work on SQLite (3.35 or newer) and PostgreSQL, need no server beyond the database,
and the table is created by ``migrate``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import connections, router

from .models import ThrottleCounter

# About one write in this many also deletes the expired counters.
SWEEP_EVERY = 500
# "Never expires", in Unix seconds (year 2286): the column is a plain number.
FOREVER = 1e10


class CounterCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self.sweep_every = int(options.get("SWEEP_EVERY", SWEEP_EVERY))
        meta = ThrottleCounter._meta
        self._table = meta.db_table
        self._columns = tuple(str(meta.get_field(n).column) for n in ("slot", "hits", "expires"))  # type: ignore[union-attr]

    # --- plumbing ------------------------------------------------------------------
    def _sql(self, template: str, alias: str) -> str:
        quote = connections[alias].ops.quote_name
        slot, hits, expires = (quote(c) for c in self._columns)
        return template.format(t=quote(self._table), slot=slot, hits=hits, expires=expires)

    def _run(self, template: str, params: list[Any], *, write: bool) -> list[tuple[Any, ...]]:
        alias = router.db_for_write(ThrottleCounter) if write else router.db_for_read(ThrottleCounter)
        with connections[alias].cursor() as cursor:
            cursor.execute(self._sql(template, alias), params)
            return cursor.fetchall() if cursor.description else []

    def _expiry(self, timeout: Any) -> float:
        at = self.get_backend_timeout(timeout)  # already a point in time (Unix seconds)
        return FOREVER if at is None else float(at)

    @staticmethod
    def _whole(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"the throttle store holds whole numbers only, not {type(value).__name__}")
        return value

    def _maybe_sweep(self) -> None:
        if self.sweep_every > 0 and random.randrange(self.sweep_every) == 0:
            self._run("DELETE FROM {t} WHERE {expires} <= %s", [time.time()], write=True)

    # --- the cache API ---------------------------------------------------------------
    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        slot = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "INSERT INTO {t} ({slot}, {hits}, {expires}) VALUES (%s, %s, %s)"
            " ON CONFLICT ({slot}) DO UPDATE SET {hits} = excluded.{hits}, {expires} = excluded.{expires}"
            " WHERE {t}.{expires} <= %s RETURNING {hits}",
            [slot, self._whole(value), self._expiry(timeout), time.time()],
            write=True,
        )
        self._maybe_sweep()
        return bool(rows)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        slot = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "SELECT {hits} FROM {t} WHERE {slot} = %s AND {expires} > %s", [slot, time.time()], write=False
        )
        return rows[0][0] if rows else default

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        slot = self.make_and_validate_key(key, version=version)
        self._run(
            "INSERT INTO {t} ({slot}, {hits}, {expires}) VALUES (%s, %s, %s)"
            " ON CONFLICT ({slot}) DO UPDATE SET {hits} = excluded.{hits}, {expires} = excluded.{expires}",
            [slot, self._whole(value), self._expiry(timeout)],
            write=True,
        )
        self._maybe_sweep()

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        slot = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "UPDATE {t} SET {hits} = {hits} + %s WHERE {slot} = %s AND {expires} > %s RETURNING {hits}",
            [self._whole(delta), slot, time.time()],
            write=True,
        )
        if not rows:
            raise ValueError(f"Key '{key}' not found")
        return int(rows[0][0])

    def decr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return self.incr(key, -self._whole(delta), version=version)

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        slot = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "UPDATE {t} SET {expires} = %s WHERE {slot} = %s AND {expires} > %s RETURNING {hits}",
            [self._expiry(timeout), slot, time.time()],
            write=True,
        )
        return bool(rows)

    def delete(self, key: str, version: int | None = None) -> bool:
        slot = self.make_and_validate_key(key, version=version)
        return bool(self._run("DELETE FROM {t} WHERE {slot} = %s RETURNING {hits}", [slot], write=True))

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self.get(key, version=version) is not None

    def clear(self) -> None:
        self._run("DELETE FROM {t}", [], write=True)
