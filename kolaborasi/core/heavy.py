"""Bounded heavy work: the open-data exports, the coverage GeoJSON and the weekly PDF
are computed at most once per data version, by at most a few requests at a time.

Why: one national XLSX export takes seconds of CPU and a lot of memory. Six visitors
asking for it at once used to compute it six times, filled every app-server worker and
left ``/healthz`` (and everyone else) waiting. Now:

- **Cached per data version.** A result is written once to a file under
  ``HEAVY_WORK_DIR/cache`` named by its parameters and by ``data_version()``, and every
  later request at that version is served from the file (streamed from disk, whatever
  its size). Files are shared by every worker process of one app server.
- **Bounded.** Computing takes one of ``HEAVY_WORK_SLOTS`` slots: non-blocking
  ``flock`` locks on files under ``HEAVY_WORK_DIR/slots``, shared by every process on
  the machine and released by the kernel if a process dies. With every slot taken the
  request is answered 503 with ``Retry-After`` at once instead of occupying a worker,
  so the other workers stay free for ``/healthz`` and the site. A request whose
  result another request is already computing waits for it only while holding a slot
  itself, so waiting is bounded the same way. Evidence photos use their own pool
  (``IMAGE_WORK_SLOTS``, see ``kolaborasi.pledges.evidence``), with a short wait.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from .refusal import refuse

log = logging.getLogger("kolaborasi.heavy")


class Busy(Exception):
    """Every slot of a pool is taken; try again in ``retry_after`` seconds. ``message``
    (translated) says what the server is busy with, for the 503 answer."""

    def __init__(self, retry_after: int, message: str = "") -> None:
        super().__init__(f"busy, retry after {retry_after} s")
        self.retry_after = retry_after
        self.message = message


def work_dir() -> Path:
    return Path(settings.HEAVY_WORK_DIR)


@contextmanager
def slot(pool: str, size: int, *, wait: float = 0.0, retry_after: int = 5) -> Iterator[None]:
    """Hold one of ``size`` slots of ``pool`` (across every process of this machine);
    raise Busy if none frees up within ``wait`` seconds."""
    folder = work_dir() / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for i in range(max(1, size)):
            fd = os.open(folder / f"{pool}-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() >= deadline:
            raise Busy(retry_after)
        time.sleep(0.05)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def data_version() -> str:
    """A key that changes with every committed write an export or the report can show.

    - The audit chain's head (``AuditHead.seq``): every write the application makes
      through its services, its imports and its admin appends one audit event in the
      same transaction, so the head moves exactly when such a write commits.
    - The stats tally's delta sequence (``stats_tallydelta.id``): a database trigger
      appends a delta for every change of a need's counters, whichever code made it —
      also writes that bypass the services. The sequence is not transactional, so it
      may move for a write that is not yet committed (or rolled back); that costs one
      extra computation, never a stale answer for an audited write.
    - A time bucket of ``HEAVY_CACHE_SECONDS``: the backstop for edits made outside the
      services (straight in the database), which therefore show within that time.

    The key is read before the computation starts, so a result stored under it includes
    every write committed before it (and perhaps later ones, which have moved the key)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM audit_audithead WHERE id = 1")
        row = cursor.fetchone()
        audit = row[0] if row else 0
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence('stats_tallydelta', 'id'))")
        else:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'stats_tallydelta'")
        row = cursor.fetchone()
        deltas = row[0] if row and row[0] is not None else 0
    bucket = int(time.time() // max(1, settings.HEAVY_CACHE_SECONDS))
    return f"{audit}-{deltas}-{bucket}"


def _key(parts: tuple[object, ...]) -> str:
    # The database's name too: two sites (or two test databases) may share a var/.
    raw = "|".join(str(p) for p in (settings.DATABASES["default"]["NAME"], *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached_file(parts: tuple[object, ...], suffix: str, compute: Callable[[IO[bytes]], None]) -> IO[bytes]:
    """The file holding ``compute``'s output for ``parts`` at the current data version,
    open for reading, computed now if needed (raises Busy when no slot is free).
    Exceptions of ``compute`` (e.g. bad parameters) propagate and nothing is stored.

    Returned open: a newer version's computation may delete this file at any moment,
    and an open file stays readable until it is closed."""
    folder = work_dir() / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    key = _key(parts)
    path = folder / f"{key}.{data_version()}{suffix}"
    try:
        return open(path, "rb")  # the response closes it
    except FileNotFoundError:
        pass
    # One computation per key at a time; the others (each holding a slot) wait for its
    # file instead of computing the same thing again.
    with (
        slot("heavy", settings.HEAVY_WORK_SLOTS, retry_after=settings.HEAVY_RETRY_AFTER),
        _exclusive(folder / f"{key}-lock"),
    ):
        try:
            return open(path, "rb")
        except FileNotFoundError:
            pass
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as out:
                compute(out)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        handle = open(path, "rb")  # noqa: SIM115 (the response closes it)
        log.info("heavy: computed %s %s", " ".join(str(p) for p in parts), path.name)
        _prune(folder, key, keep=path)
        return handle


def _prune(folder: Path, key: str, *, keep: Path) -> None:
    """Drop older versions of this result, and any result older than a cache period
    (it can no longer be current), so the folder stays small whatever is asked."""
    too_old = time.time() - 2 * max(1, settings.HEAVY_CACHE_SECONDS)
    for old in folder.iterdir():
        if old == keep or old.name.endswith("-lock"):
            continue
        try:
            if old.name.startswith(key + ".") or old.stat().st_mtime < too_old:
                old.unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # another process pruned it first


def busy_response(request: HttpRequest, exc: Busy) -> HttpResponseBase:
    """503 with Retry-After; the API's exception handler and the pages answer Busy so."""
    return refuse(
        request,
        503,
        exc.message or _("Server sedang menyiapkan unduhan lain dan penuh untuk sementara."),
        next_step=_("Coba lagi dalam %(seconds)s detik.") % {"seconds": exc.retry_after},
        retry_after=exc.retry_after,
    )


def file_response(handle: IO[bytes], *, content_type: str, disposition: str = "") -> HttpResponseBase:
    response = FileResponse(handle, content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    # Browsers ask again every time: the answer changes with the data version.
    response["Cache-Control"] = "no-cache"
    return response
