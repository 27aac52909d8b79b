"""A database that cannot serve a request right now — saturated (no connection free in
the pool within ``DB_POOL_TIMEOUT``, or the server's ``max_connections`` reached), down,
restarting, or locked (PostgreSQL's ``lock_timeout``, SQLite's busy timeout) — is
answered **503 with Retry-After**, never 500: the person or client learns that nothing
was done and when to try again. The app recovers by itself: a broken connection is not
given back to the pool, and the next request asks for a fresh one.

One rule, three callers: :class:`kolaborasi.core.error_pages.RefusalMiddleware` (an
HTML view raised), the API's exception handler (``kolaborasi.api``), and the 500
handler (a middleware raised before any view ran)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .refusal import refuse

logger = logging.getLogger(__name__)

# SQLite reports a missing table or a syntax error as OperationalError too: those are
# bugs (a 500), not a busy database.
_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "database or disk is full")


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot serve now (as opposed to a bug)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        text = str(cause).lower()
        return any(word in text for word in _SQLITE_UNAVAILABLE)
    return True


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 + Retry-After: JSON under /api/, otherwise a page that needs no database (no
    user, no issuing authority read for the layout)."""
    _log(exc)
    message = _("Basis data sedang sibuk atau tidak dapat dihubungi; permintaan Anda belum diproses.")
    next_step = _("Tidak ada yang tersimpan. Kirim ulang sebentar lagi.")
    try:
        response = refuse(
            request,
            503,
            message,
            next_step=next_step,
            retry_after=settings.DB_RETRY_AFTER,
            page_context={"user": AnonymousUser(), "authority": None},
        )
    except Exception:
        lang = get_language() or "id"
        head = f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>503</title>'
        body = f"{head}<p>{message} {next_step}</p>"
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(settings.DB_RETRY_AFTER)
    # Logged below, once a second at most: not one traceback per refused request.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


_lock = threading.Lock()
_state = {"count": 0, "last": 0.0}


def _log(exc: BaseException) -> None:
    now = time.monotonic()
    with _lock:
        _state["count"] += 1
        if now - _state["last"] < 1.0:
            return
        count, _state["count"], _state["last"] = _state["count"], 0, now
    logger.warning(
        "database unavailable: %d request(s) answered 503 (%s: %s)", count, type(exc).__name__, exc
    )
