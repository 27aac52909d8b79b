"""Input the database cannot store is refused at the edge.

Why here and not in each form or schema: a NUL byte or a lone surrogate can arrive in
any part of any request — the path, a query parameter a list page passes to a
``LIKE`` search, a form field, a multipart field name or file name, a JSON string
(also as the escape ``\\u0000``), a header such as ``Idempotency-Key`` — and PostgreSQL
answers each of them with an error deep inside a query: a 500, a traceback in the log,
sometimes after part of the work was done. One check before any view runs covers every
route, present and future, and guarantees that nothing was written. The characters are
those of ``kolaborasi.core.text.UNSTORABLE`` (the API schema documents the same class).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from .refusal import refuse, wants_json
from .text import UNSTORABLE, has_unstorable

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class _Refused(Exception):
    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def _shown(name: str) -> str:
    """A field name as it can be shown back (without the offending characters)."""
    return UNSTORABLE.sub("", name)[:60]


def _check_pairs(pairs: Iterable[tuple[str, list[str]]], where: str) -> None:
    for key, values in pairs:
        if has_unstorable(key):
            raise _Refused(where % {"name": _shown(key)})
        for value in values:
            if isinstance(value, str) and has_unstorable(value):
                raise _Refused(where % {"name": _shown(key)})


def _json_strings(value: object) -> Iterator[str]:
    """Every string in a decoded JSON document, keys included, without recursion (a
    deeply nested body must not exhaust the stack here)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, sub in item.items():
                yield key
                stack.append(sub)
        elif isinstance(item, list):
            stack.extend(item)


def _check_body(request: HttpRequest) -> None:
    content_type = request.content_type or ""
    if content_type in _FORM_TYPES:
        if wants_json(request):
            # The API may read the raw body of any request (a JSON parameter of a
            # multipart request): read it before the form parser consumes the stream,
            # so both stay available. Bounded by DATA_UPLOAD_MAX_MEMORY_SIZE.
            request.body  # noqa: B018 (read for its side effect)
        _check_pairs(request.POST.lists(), _("kolom formulir '%(name)s'"))
        for field, files in request.FILES.lists():
            if has_unstorable(field):
                raise _Refused(_("kolom formulir '%(name)s'") % {"name": _shown(field)})
            for upload in files:
                if has_unstorable(upload.name or ""):
                    raise _Refused(_("nama berkas di kolom '%(name)s'") % {"name": _shown(field)})
        return
    body = request.body
    if not body:
        return
    # Any other body may be read as JSON by the API whatever its declared type. A raw
    # NUL byte is never valid text; an escape (\u0000, \ud800) only matters once decoded,
    # so only bodies that contain one are decoded here.
    if b"\x00" in body:
        raise _Refused(_("isi permintaan"))
    if b"\\u" not in body:
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the view answers it as such (nothing here can be stored)
    if any(has_unstorable(s) for s in _json_strings(document)):
        raise _Refused(_("isi JSON"))


def _check(request: HttpRequest) -> None:
    if has_unstorable(request.path_info):
        raise _Refused(_("alamat halaman"))
    _check_pairs(request.GET.lists(), _("parameter '%(name)s'"))
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and has_unstorable(value):
            raise _Refused(_("header %(name)s") % {"name": key[5:].replace("_", "-").title()})
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        _check_body(request)


class CleanInputMiddleware:
    """Refuse requests carrying characters the database cannot store: 400 with a page,
    or 422 with a JSON ``detail`` under /api/ (the API's status for bad input)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            _check(request)
        except _Refused as refused:
            return refuse(
                request,
                422 if wants_json(request) else 400,
                _(
                    "Permintaan ditolak: %(where)s memuat karakter yang tidak dapat disimpan "
                    "(karakter NUL atau surrogate tunggal)."
                )
                % {"where": refused.where},
                next_step=_("Hapus karakter itu dari isian atau alamat, lalu kirim lagi."),
            )
        except RequestDataTooBig:
            return refuse(
                request,
                413,
                _("Isi permintaan terlalu besar."),
                next_step=_("Kirim data yang lebih kecil, atau bagi menjadi beberapa kiriman."),
            )
        except (MultiPartParserError, SuspiciousOperation):
            return refuse(
                request,
                422 if wants_json(request) else 400,
                _("Isi formulir tidak dapat dibaca."),
                next_step=_("Muat ulang halaman, isi formulir lagi, lalu kirim."),
            )
        return self.get_response(request)
