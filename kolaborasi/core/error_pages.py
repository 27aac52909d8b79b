"""The pages a person sees when something is refused or goes wrong: 400, 403, 404, 405,
500 and a failed CSRF check, in the site's layout and the active language, each saying
why in plain words and what to do next (API paths get JSON, see :mod:`.refusal`). 429
and 503 come from the throttles and the load shedding, which call ``refuse`` themselves.

Django calls the handlers named in the root URLconf (``handler400`` ...) and
``CSRF_FAILURE_VIEW``; a view's ``405 Method Not Allowed`` is turned into a page by
:class:`MethodNotAllowedPageMiddleware`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseServerError
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .errors import AppError, Forbidden, NotFound
from .refusal import refuse, wants_json
from .unavailable import database_unavailable, is_unavailable

logger = logging.getLogger(__name__)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refuse(
        request,
        400,
        _("Permintaan ini tidak dapat kami baca."),
        next_step=_("Kembali ke halaman sebelumnya, muat ulang, lalu coba lagi."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The reason a view raised (``PermissionDenied("...")``) is what the person reads;
    the next step depends on who they are: log in, create an organisation, or ask."""
    message = _user_message(exception) or _("Anda tidak memiliki akses ke halaman ini.")
    return refuse(request, 403, message, next_step=_forbidden_next_step(request))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Only our own NotFound's sentence is shown: Django's (a URL that matches nothing,
    # an object that does not exist) is English and meant for developers.
    next_step = format_html(
        '{} <a class="button" href="{}">{}</a> <a class="button secondary" href="{}">{}</a>',
        _("Cari sasaran atau lihat daftarnya:"),
        "/cari/",
        _("Cari"),
        "/daftar/",
        _("Daftar sasaran"),
    )
    message = str(exception.message) if isinstance(exception, NotFound) else ""
    return refuse(
        request,
        404,
        message or _("Halaman atau data yang Anda cari tidak ada, atau sudah dipindahkan."),
        next_step=next_step,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # A middleware (the session, the user) found the database unavailable before any
    # view ran: that is a 503 with Retry-After, not a fault of ours.
    exc = sys.exc_info()[1]
    if is_unavailable(exc):
        assert exc is not None
        return database_unavailable(request, exc)
    message = _("Terjadi kesalahan di server kami. Tidak ada yang perlu Anda ubah.")
    next_step = _("Coba lagi sebentar lagi. Jika terus terjadi, hubungi operator program.")
    try:
        return refuse(request, 500, message, next_step=next_step)
    except Exception:
        # The layout itself failed (e.g. the database is gone): a page that needs nothing.
        logger.exception("the 500 page could not be rendered")
        lang = get_language() or "id"
        head = f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>500</title>'
        body = f"{head}<p>{message} {next_step}</p>"
        return HttpResponseServerError(body)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return refuse(
        request,
        403,
        _(
            "Formulir ini sudah kedaluwarsa, atau peramban Anda menolak cookie dari situs ini, "
            "sehingga kiriman Anda tidak kami terima. Tidak ada yang berubah."
        ),
        title=_("Formulir perlu dimuat ulang"),
        next_step=_("Kembali ke halaman sebelumnya, muat ulang halaman itu, lalu kirim lagi."),
    )


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    response = refuse(
        request,
        405,
        _("Alamat ini tidak dapat dipakai dengan cara itu."),
        next_step=_("Buka halaman lewat tautan atau tombol di situs ini."),
    )
    response["Allow"] = allowed
    return response


class RefusalMiddleware:
    """The one handler of application errors raised by HTML views (``AppError``): the
    refusal page with the error's status and message, and for 403 and 404 the same next
    steps as Django's own refusals. (The API answers them itself, in JSON.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Forbidden):
            return permission_denied(request, exception)
        if isinstance(exception, NotFound):
            return page_not_found(request, exception)
        if isinstance(exception, AppError):
            return refuse(request, exception.status, str(exception.message))
        if is_unavailable(exception):
            return database_unavailable(request, exception)
        return None


class MethodNotAllowedPageMiddleware:
    """A view answering a bare ``405`` (``require_POST`` and friends) gets the site's page
    instead of an empty body; API paths get JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content and not wants_json(request):
            return method_not_allowed(request, response.get("Allow", ""))
        return response


def _user_message(exception: Exception | None) -> str:
    """The sentence a view gave its refusal, when it gave one (our services raise
    ``Forbidden``; a view's ``PermissionDenied`` may carry a translated sentence;
    Django's own carry none)."""
    if isinstance(exception, AppError):
        return str(exception.message)
    reason = exception.args[0] if isinstance(exception, PermissionDenied) and exception.args else None
    if isinstance(reason, str | Promise):
        return str(reason)
    return ""


def _forbidden_next_step(request: HttpRequest) -> str | SafeString:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        login = reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()})
        return format_html(
            '{} <a class="button" href="{}">{}</a>', _("Mungkin Anda perlu masuk dulu."), login, _("Masuk")
        )
    if not user.memberships.exists():
        # The first-steps page: an individual profile there is one click, and the
        # person comes back to the page that refused them.
        start = reverse("accounts:start") + "?" + urlencode({"next": request.get_full_path()})
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            _("Untuk memberi bantuan, daftarkan diri atau organisasi Anda lebih dulu."),
            start,
            _("Pilih cara membantu"),
        )
    return _("Jika menurut Anda ini keliru, hubungi pemilik organisasi Anda atau operator program.")
