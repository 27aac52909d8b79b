"""Throttles: how often one client, address or organisation may do something.

Counting is django-ratelimit's (fixed windows per key, rates such as ``"10/h"``), kept in
the ``throttle`` cache alias so that every worker and app server shares one count:
Redis when ``REDIS_URL`` is set, otherwise a table in the database
(kolaborasi.core.counters). Every limit is a setting, ``THROTTLE_RATES[name]``, read on
each request. Over the limit the answer is 429 with ``Retry-After`` through
:func:`kolaborasi.core.refusal.refuse`, and the request does nothing else.

Two ways to use it: the :func:`throttle` decorator on a page view, or :func:`check` at
the top of an API operation (which raises :class:`Throttled`; the API turns that into
the same 429). :func:`peek` and :func:`count` serve throttles that count failures only
(logins, API tokens): look before the work, count after a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from . import metrics
from .client import client_key
from .refusal import refuse

type KeyFunc = Callable[[HttpRequest], str | None]


class Throttled(Exception):
    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(f"throttle {name}: retry after {retry_after} s")
        self.name = name
        self.retry_after = retry_after


def _usage(request: HttpRequest, name: str, value: str, *, increment: bool) -> tuple[int, int, int] | None:
    """(count, limit, seconds until the window ends), or None when throttles are off."""
    rate = settings.THROTTLE_RATES[name]
    usage = get_usage(
        request,
        group=f"kol:{name}",
        key=lambda _group, _request: value,
        rate=rate,
        method=ALL,
        increment=increment,
    )
    if usage is None:
        return None
    return int(usage["count"]), int(usage["limit"]), max(1, int(usage["time_left"]))


def check(request: HttpRequest, name: str, value: str | None) -> None:
    """Count this request under ``value``; raise Throttled if it is over the limit.
    ``value`` None (no key, e.g. no organisation yet) counts nothing."""
    if value is None:
        return
    usage = _usage(request, name, value, increment=True)
    if usage is not None:
        count, limit, left = usage
        if count > limit:
            metrics.throttled(name)
            raise Throttled(name, left)


def peek(request: HttpRequest, name: str, value: str | None) -> None:
    """Raise Throttled if ``value`` has already used up its limit; count nothing."""
    if value is None:
        return
    usage = _usage(request, name, value, increment=False)
    if usage is not None:
        count, limit, left = usage
        if count >= limit:
            metrics.throttled(name)
            raise Throttled(name, left)


def count(request: HttpRequest, name: str, value: str | None) -> None:
    """Count one event (e.g. a failure) under ``value`` without refusing anything."""
    if value is not None:
        _usage(request, name, value, increment=True)


# --- keys --------------------------------------------------------------------------------


def by_client(request: HttpRequest) -> str:
    return client_key(request)


def by_post_email(request: HttpRequest) -> str | None:
    """The e-mail address typed into the form, so that one inbox cannot be flooded from
    many addresses; None when the field is empty."""
    email = request.POST.get("email", "").strip().lower()
    return f"email:{email}" if email else None


def by_organisation(organisation: Any) -> str:
    """An API caller's organisation (``request.auth``)."""
    return f"org:{organisation.pk}"


# --- answers -----------------------------------------------------------------------------


def refusal(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """The 429 for ``exc``: what happened and what to do, with Retry-After."""
    return refuse(
        request,
        429,
        _message(exc.name),
        next_step=_next_step(exc.name),
        retry_after=exc.retry_after,
    )


def _message(name: str) -> str:
    messages = {
        "login": _("Terlalu banyak percobaan masuk yang gagal dari alamat Anda."),
        "register": _("Terlalu banyak pendaftaran akun dari alamat Anda."),
        "verify_resend": _("Terlalu banyak permintaan tautan verifikasi."),
        "verify_resend_email": _("Terlalu banyak permintaan tautan verifikasi untuk alamat e-mail ini."),
        "password_reset": _("Terlalu banyak permintaan atur ulang kata sandi."),
        "password_reset_email": _("Terlalu banyak permintaan atur ulang kata sandi untuk alamat e-mail ini."),
        "token_failures": _("Terlalu banyak permintaan dengan token API yang salah dari alamat Anda."),
        "evidence": _("Organisasi Anda mengunggah terlalu banyak foto bukti dalam waktu singkat."),
        "pledges": _("Organisasi Anda membuat terlalu banyak komitmen dalam waktu singkat."),
        "donations": _("Organisasi Anda mencatat terlalu banyak donasi dalam waktu singkat."),
        "exports": _("Terlalu banyak unduhan data dari alamat Anda."),
        "report_pdf": _("Terlalu banyak unduhan laporan PDF dari alamat Anda."),
        "map": _("Terlalu banyak permintaan data peta dari alamat Anda."),
        "places": _("Terlalu banyak pencarian wilayah dari alamat Anda."),
    }
    return messages.get(name, _("Terlalu banyak permintaan dalam waktu singkat."))


def _next_step(name: str) -> str:
    if name in ("verify_resend", "verify_resend_email", "password_reset", "password_reset_email"):
        return _("E-mail yang sudah dikirim tetap berlaku: periksa kotak masuk dan folder spam Anda.")
    if name == "login":
        return _("Tunggu sampai waktunya habis. Lupa kata sandi? Atur ulang lewat e-mail.")
    if name == "token_failures":
        return _(
            "Periksa token yang dikirim dalam header Authorization, lalu coba lagi setelah waktunya habis."
        )
    if name in ("evidence", "pledges", "donations"):
        return _("Tunggu sebentar, lalu kirim lagi; yang sudah tercatat tidak hilang.")
    if name in ("exports", "report_pdf", "map"):
        return _(
            "Data ini diperbarui beberapa detik sekali; simpan unduhan yang sudah ada dan coba lagi nanti."
        )
    return _("Tunggu sebentar, lalu coba lagi.")


def throttle(name: str, key: KeyFunc, *, methods: tuple[str, ...] = ("POST",)) -> Callable[[Any], Any]:
    """Page-view decorator: requests with one of ``methods`` count under ``key(request)``;
    over ``THROTTLE_RATES[name]`` they get the 429 page and the view never runs."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                try:
                    check(request, name, key(request))
                except Throttled as exc:
                    return refusal(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def throttle_failures(
    name: str, key: KeyFunc, *, methods: tuple[str, ...] = ("POST",)
) -> Callable[[Any], Any]:
    """Page-view decorator for throttles that count failures (with :func:`count`, where
    the failure is known): once ``key(request)`` has used up its limit, requests get
    the 429 page without running the view; successes never count."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                try:
                    peek(request, name, key(request))
                except Throttled as exc:
                    return refusal(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
