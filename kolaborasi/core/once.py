"""Exactly-once HTML forms. Every form that creates something renders a one-time key
(``{% load once %}{% once_key %}``, a hidden field); its view is wrapped in
:func:`exactly_once` and, when it has created something, names the page that shows it
with :func:`created` (or :func:`created_redirect`). The first submission with a key
records it in the same transaction as what it created; a later submission with the same
key — the browser retrying after a timeout, a double click, the back button — is sent to
that page with a note instead of creating a second one.

The key is claimed (inserted) before the view runs: a second submission racing the first
waits on the unique index until the first commits and then finds the key taken. A
submission that created nothing (the form had errors, the need no longer fitted) gives
its key back, so correcting the form and sending it again works. A POST without a key
(an old page, a script) is served as before.

A view whose preparation is slow is not wrapped whole: it prepares first and hands the
writing part to :func:`guarded`, so no transaction is open while it prepares."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SubmissionKey
from .refusal import refuse

FIELD = "submission_key"
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_RESULT = "_kolaborasi_once_result"


def new_key() -> str:
    return secrets.token_urlsafe(18)


def created(request: HttpRequest, url: str) -> None:
    """Say that this submission created something, shown at ``url``."""
    setattr(request, _RESULT, url)


def created_redirect(request: HttpRequest, url: str) -> HttpResponseRedirect:
    created(request, url)
    return HttpResponseRedirect(url)


def exactly_once(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a view that creates something from a POSTed form (see the module's doc)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return guarded(request, lambda: view(request, *args, **kwargs))

    return wrapped


def guarded(request: HttpRequest, action: Callable[[], HttpResponse]) -> HttpResponse:
    """Run ``action`` — the part of a view that writes — exactly once for the POSTed
    key, in one transaction with the key's record. A view with slow preparation (an
    uploaded photo to check and re-encode) does it first and calls this with what is
    left: the write transaction, and on SQLite the database's single write lock, is
    then held only while the rows are written, never while a photo waits for its turn."""
    key = request.POST.get(FIELD, "") if request.method == "POST" else ""
    if not key or not request.user.is_authenticated:
        return action()
    if not _KEY.fullmatch(key):
        return refuse(
            request,
            400,
            _("Formulir ini membawa kunci pengiriman yang tidak sah."),
            next_step=_("Muat ulang halaman formulir, lalu kirim lagi."),
        )
    user_id = int(request.user.pk)
    with transaction.atomic():
        claim = _claim(request, user_id, key)
        if claim is None:
            return _replay(request, user_id, key)
        response = action()
        result = getattr(request, _RESULT, None)
        if result is None:
            claim.delete()  # nothing was created: the key may be used again
        else:
            SubmissionKey.objects.filter(pk=claim.pk).update(result_url=result[:500])
    return response


def _claim(request: HttpRequest, user_id: int, key: str) -> SubmissionKey | None:
    try:
        with transaction.atomic():
            return SubmissionKey.objects.create(user_id=user_id, key=key, path=request.path[:300])
    except IntegrityError:
        return None


def _replay(request: HttpRequest, user_id: int, key: str) -> HttpResponse:
    row = SubmissionKey.objects.filter(user_id=user_id, key=key).first()
    messages.info(request, _("Formulir ini sudah terkirim sebelumnya; tidak ada yang dibuat dua kali."))
    return HttpResponseRedirect(row.result_url if row is not None and row.result_url else request.path)


# Other apps' one-time records that expire by the same rule as the form keys (each has a
# ``created_at``): the pledges API's ``Idempotency-Key`` answers. An app adds its own
# from its AppConfig.ready, so core names no app above it.
_EXPIRE_WITH_KEYS: list[type[Model]] = []


def expire_with_keys(model: type[Model]) -> None:
    """Have ``keys_expire`` remove ``model``'s rows by the same rule as the form keys."""
    if model not in _EXPIRE_WITH_KEYS:
        _EXPIRE_WITH_KEYS.append(model)


def keys_expire(*, now: dt.datetime | None = None) -> int:
    """Remove form keys and the records registered with ``expire_with_keys`` (API
    ``Idempotency-Key`` records) older than ``IDEMPOTENCY_KEY_TTL_HOURS``; returns how
    many. Run by the worker."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    removed = 0
    expiring: list[type[Model]] = [SubmissionKey, *_EXPIRE_WITH_KEYS]
    for model in expiring:
        count, _n = model._default_manager.filter(created_at__lt=cutoff).delete()
        removed += count
    return removed
