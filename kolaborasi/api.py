"""The public API under /api/v1/: one NinjaAPI, one router per feature app."""

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from ninja.errors import ValidationError

from kolaborasi.accounts.api import router as accounts_router
from kolaborasi.audit.api import router as audit_router
from kolaborasi.campaigns.api import router as campaigns_router
from kolaborasi.core import heavy
from kolaborasi.core.api_contract import ContractAPI
from kolaborasi.core.throttle import Throttled, refusal
from kolaborasi.core.unavailable import database_unavailable, is_unavailable
from kolaborasi.funds.api import router as funds_router
from kolaborasi.pledges.api import router as pledges_router
from kolaborasi.regions.api import router as regions_router
from kolaborasi.stats.api import router as stats_router
from kolaborasi.targets.api import router as targets_router

api = ContractAPI(
    title="kolaborasi API",
    version="1",
    description=(
        "Kolaborasi sosial berskala besar: needs, pledges, deliveries and funds. "
        "Public reads need no token; writes use `Authorization: Bearer TOKEN`. "
        'Every refusal is JSON `{"detail": "..."}` (sometimes with more fields); '
        "429 and 503 carry a `Retry-After` header. Text must not contain NUL bytes."
    ),
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with a readable ``detail`` sentence as well as the field-level errors."""
    parts = []
    for error in exc.errors:
        loc = ".".join(str(p) for p in error.get("loc", []) if p not in ("query", "body", "path"))
        parts.append(f"{loc}: {error.get('msg', 'invalid')}" if loc else str(error.get("msg")))
    return api.create_response(
        request, {"detail": "; ".join(parts) or "invalid input", "errors": exc.errors}, status=422
    )


@api.exception_handler(heavy.Busy)
def busy(request: HttpRequest, exc: heavy.Busy) -> HttpResponse:
    """Every slot for heavy work (an export, a photo) is taken: 503 with Retry-After."""
    return heavy.busy_response(request, exc)  # type: ignore[return-value]


@api.exception_handler(DatabaseError)
def database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """The database is saturated, down or locked: 503 with Retry-After (a bug re-raises: 500)."""
    if is_unavailable(exc):
        return database_unavailable(request, exc)
    raise exc


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 with Retry-After and a ``detail`` sentence (kolaborasi.core.throttle)."""
    return refusal(request, exc)


# The audit router first: its /exports/audit.jsonl must match before the open-data
# datasets' /exports/{dataset}.{fmt}.
api.add_router("", audit_router)
api.add_router("", regions_router)
api.add_router("", campaigns_router)
api.add_router("", targets_router)
api.add_router("", accounts_router)
api.add_router("", pledges_router)
api.add_router("", funds_router)
api.add_router("", stats_router)
