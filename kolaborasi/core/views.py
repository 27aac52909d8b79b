from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.views.decorators.cache import never_cache

from kolaborasi.core import money
from kolaborasi.core.selectors import home_summary


def home(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "core/home.html", {"summary": home_summary()})


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "detail": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok"})


def money_preview(request: HttpRequest) -> HttpResponse:
    """The amount a money box holds, read back as the server reads it (htmx fragment):
    "Rp50.000.000", or the reason it cannot be read."""
    typed = str(next(iter(request.GET.values()), ""))[:40]
    text, ok = money.preview(typed) if typed.strip() else ("", True)
    return HttpResponse(text if ok else f'<span class="error">{escape(text)}</span>')
