"""One way to say no. Every refusal that does not come from a view's own form (a
throttle, an overloaded server, input the database cannot store, a lockout) goes
through :func:`refuse`: the API gets JSON with a ``detail`` sentence, a person gets a
page in the site's layout that says what happened and what to do next. It works from
middleware too, before the session or the user are known.

An application error (``kolaborasi.core.errors.AppError``) that a view does not handle
itself — a view re-rendering its form with the field's error does — reaches
``kolaborasi.core.error_pages.RefusalMiddleware``, which answers it with that page: views do not translate
errors into pages one by one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def refuse(
    request: HttpRequest,
    status: int,
    message: str,
    *,
    next_step: str = "",
    title: str = "",
    retry_after: int | None = None,
    extra: dict[str, object] | None = None,
    page_context: dict[str, object] | None = None,
) -> HttpResponse:
    """Answer ``status`` with ``message`` (already translated). ``next_step`` is shown to
    people under the message; ``retry_after`` (seconds) becomes the ``Retry-After``
    header; ``extra`` adds fields to the JSON body (e.g. what is still allowed);
    ``page_context`` overrides what the layout reads (e.g. no user when the database is
    unavailable)."""
    response: HttpResponse
    if wants_json(request):
        body: dict[str, object] = {"detail": str(message)}
        if retry_after is not None:
            body["retry_after"] = retry_after
        body.update(extra or {})
        response = JsonResponse(body, status=status)
    else:
        response = TemplateResponse(
            request,
            "core/refusal.html",
            {
                "title": title or _default_title(status),
                "message": message,
                "next_step": next_step,
                "retry_after": retry_after,
                **(page_context or {}),
            },
            status=status,
        )
        # Rendered now: middleware that answers early has no later phase that would.
        response.render()
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _default_title(status: int) -> str:
    titles = {
        400: _("Permintaan tidak dapat diproses"),
        403: _("Anda tidak memiliki akses"),
        404: _("Halaman tidak ditemukan"),
        405: _("Cara ini tidak dapat dipakai"),
        409: _("Tidak dapat dilakukan sekarang"),
        413: _("Berkas terlalu besar"),
        422: _("Isian belum benar"),
        429: _("Terlalu banyak permintaan"),
        500: _("Terjadi kesalahan"),
        503: _("Layanan sedang penuh"),
    }
    return titles.get(status, _("Permintaan tidak dapat diproses"))
