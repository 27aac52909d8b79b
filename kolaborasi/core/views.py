import hmac

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kolaborasi.core import health, money
from kolaborasi.core import metrics as site_metrics
from kolaborasi.core.authority import site_authority
from kolaborasi.core.errors import NotFound
from kolaborasi.core.models import SiteAuthority


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


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, every migration is applied and a worker beat within
    two minutes; otherwise 503 naming what is not ready (kolaborasi.core.health)."""
    ready, checks = health.readiness()
    body = {"status": "ok" if ready else "not ready", "checks": checks}
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = str(settings.DB_RETRY_AFTER)
    return response


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (kolaborasi.core.metrics) for a scraper that sends
    ``Authorization: Bearer METRICS_TOKEN``. Without METRICS_TOKEN the page does not
    exist (404); a missing or wrong token gets a bare 401 that says nothing more."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        refused = HttpResponse("401 Unauthorized\n", status=401, content_type="text/plain; charset=utf-8")
        refused["WWW-Authenticate"] = "Bearer"
        return refused
    body, content_type = site_metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def money_preview(request: HttpRequest) -> HttpResponse:
    """The amount a money box holds, read back as the server reads it (htmx fragment):
    "Rp50.000.000", or the reason it cannot be read."""
    typed = str(next(iter(request.GET.values()), ""))[:40]
    text, ok = money.preview(typed) if typed.strip() else ("", True)
    return HttpResponse(text if ok else f'<span class="error">{escape(text)}</span>')


def authority_logo(request: HttpRequest) -> HttpResponse:
    """The issuing authority's logo (a PNG re-encoded on upload), or 404."""
    logo = SiteAuthority.objects.filter(pk=1).values_list("logo_png", flat=True).first()
    if not logo:
        raise Http404
    response = HttpResponse(bytes(logo), content_type="image/png")
    response["Cache-Control"] = "public, max-age=300"
    return response


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy policy the issuing authority wrote (404 until it has)."""
    authority = site_authority()
    if authority is None or not authority.privacy_policy.strip():
        raise NotFound(_("Penyelenggara situs ini belum menulis kebijakan privasinya."))
    return TemplateResponse(request, "core/privacy.html", {"authority": authority})
