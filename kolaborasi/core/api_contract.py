"""The API's contract for errors, in one place.

Every refusal of the API is JSON ``{"detail": "..."}`` (plus a few fields where they help,
e.g. ``remaining`` on a pledge that does not fit). A view refuses by raising one of the
application's errors (``kolaborasi.core.errors``): :class:`ContractAPI` turns each into
its status and body in one place, so no router translates exceptions itself. Some
refusals can come from anywhere before a view runs — input the database cannot store,
a throttle, an overloaded server, a bad or expired token — and are documented here once
for every operation by :class:`ContractAPI`, instead of in each router. Routers list
only the statuses their own views answer, with :func:`errors`.

Free-text parameters carry :data:`TEXT_PATTERN`: requests with a NUL byte (or a lone
surrogate, which cannot be encoded) are refused before the view, so a schema that
allowed them would promise something the API does not keep.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict

from kolaborasi.core.errors import AppError, Forbidden, NotFound

# No NUL anywhere; JSON Schema and Python regexes both read the \u escape.
TEXT_PATTERN = r"^[^\u0000]*$"
# Region codes: 31 / 31.74 / 31.74.01 / 31.74.01.1001 / 31.74.01.1001.005.
REGION_CODE_PATTERN = r"^[0-9]+(\.[0-9]+)*$"
REGION_CODE_MAX = 24
# Aid types are data (operators add them), so they are a documented string, not an enum.
AID_TYPE_PATTERN = r"^[-a-zA-Z0-9_]+$"
AID_TYPE_MAX = 40
AID_TYPE_DESCRIPTION = (
    "slug of an active aid type (see GET /api/v1/aid-types); the defaults are "
    "`sembako`, `siap-saji` and `lebaran`"
)
# Ids are 64-bit in both databases; larger numbers are a 422, not a driver overflow.
MAX_ID = 2**63 - 1


def _json_integer(value: Any) -> Any:
    # JSON has one number type: to JSON Schema ``1.0`` is the integer 1, so it is accepted
    # as 1. Strings, booleans and fractions are refused, as JSON Schema refuses them.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Input should be a valid integer")
    return value


def planning_dates(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a planned delivery date: JSON Schema has no bounds for
    dates, so the window (today up to ``PLEDGE_HORIZON_DAYS`` ahead) is stated as the list
    of its dates, rebuilt with the schema every day. A date outside it is a 422."""
    today = timezone.localdate()
    days = range(settings.PLEDGE_HORIZON_DAYS + 1)
    dates = [(today + dt.timedelta(days=d)).isoformat() for d in days]
    # An optional date is ``anyOf: [date, null]``: the window bounds the date branch only.
    branches = [b for b in schema.get("anyOf", []) if b.get("format") == "date"] or [schema]
    for branch in branches:
        branch["enum"] = dates


# An integer as JSON Schema means it: 1 and 1.0, never "1", true or 1.5. Put it after the
# field's bounds in ``Annotated[int, Field(ge=..., le=...), JSON_INTEGER]``: placed before
# them, pydantic writes the bounds into the schema as ``ge``/``le``, which no client reads.
JSON_INTEGER = BeforeValidator(_json_integer)


class ErrorOut(Schema):
    """Every refusal: one sentence saying what happened and what to do next."""

    model_config = ConfigDict(extra="allow")
    detail: str


class InvalidOut(ErrorOut):
    """422: the field errors, when the request's shape was wrong."""

    errors: list[dict[str, Any]] | None = None


class RetryLaterOut(ErrorOut):
    """429 / 503: come back after ``retry_after`` seconds (also the Retry-After header)."""

    retry_after: int | None = None


DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    400: "The body is not valid JSON (or not the documented media type)",
    401: "No token, or the token is unknown, expired or revoked",
    403: "The token's organisation may not do this (its kind, its token's scope, or a suspension)",
    404: "Not found, or not visible to this organisation (an id in the path, or a thing the body names)",
    409: "Well formed, but the current state refuses it (e.g. the need's remaining quantity, a hold "
    "cap, a pledge no longer live, the balance)",
    422: "Invalid input: a field out of its bounds or window, a rule between fields, or text the "
    "database cannot store (NUL bytes, lone surrogates)",
    429: "Too many requests: wait `Retry-After` seconds",
    503: "The server is overloaded: nothing was done; retry after `Retry-After` seconds",
}

_RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def errors(*codes: int) -> dict[int, Any]:
    """The error statuses a view answers itself, as ninja ``response=`` entries."""
    return {code: ErrorOut for code in codes}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json_response(code: int, model: type[BaseModel]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": _ref(model)}},
    }
    if code in (429, 503):
        answer["headers"] = _RETRY_AFTER_HEADER
    return answer


class ContractAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI schema documents the statuses every operation can get
    from outside its view: 422 (clean input, and ninja's own validation), 429 (throttles),
    503 (load shedding), 400 (a body that is not JSON) on operations with a body, 401 on
    operations behind a token and 403 on writes behind one (scope, suspension).

    It is also the one place where an application error becomes an answer: an
    :class:`~kolaborasi.core.errors.AppError` is its ``status`` with ``{"detail": ...}``
    and the error's extra fields; Django's ``PermissionDenied`` is a 403."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exception_handler(AppError)(self._app_error)
        self.exception_handler(PermissionDenied)(self._forbidden)
        self.exception_handler(Http404)(self._not_found)

    def _app_error(self, request: HttpRequest, exc: AppError) -> HttpResponse:
        return self.create_response(request, {"detail": exc.detail, **exc.extra()}, status=exc.status)

    def _forbidden(self, request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        detail = str(exc) or str(Forbidden.default_message)
        return self.create_response(request, {"detail": detail}, status=403)

    def _not_found(self, request: HttpRequest, exc: Http404) -> HttpResponse:
        # Django's own text ("No Region matches the given query.", ninja's "Not Found") is
        # English for developers; the client reads the sentence in its language.
        return self.create_response(request, {"detail": str(NotFound.default_message)}, status=404)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        # Building the schema takes about a second of CPU and its result never changes
        # while the process runs: an anonymous client must not be able to buy that
        # second with every request.
        key = path_prefix if path_prefix is not None else repr(sorted((path_params or {}).items()))
        # Some bounds are dates counted from today (see planning_dates): a new day, a new schema.
        key = f"{timezone.localdate()}:{key}"
        cache: dict[str, Any] = self.__dict__.setdefault("_contract_schemas", {})
        if key not in cache:
            cache[key] = self._contract_schema(path_prefix=path_prefix, path_params=path_params)
        return cache[key]

    def _contract_schema(self, *, path_prefix: str | None, path_params: Any) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorOut, InvalidOut, RetryLaterOut):
            components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for methods in schema["paths"].values():
            for method, operation in methods.items():
                _document(method, operation)
        return schema


def _document(method: str, operation: dict[str, Any]) -> None:
    responses = {str(code): answer for code, answer in operation.get("responses", {}).items()}
    shared: dict[int, type[BaseModel]] = {422: InvalidOut, 429: RetryLaterOut, 503: RetryLaterOut}
    if "requestBody" in operation:
        shared[400] = ErrorOut
    if operation.get("security"):
        shared[401] = ErrorOut
        if method.lower() != "get":
            shared[403] = ErrorOut
    for status, model in shared.items():
        # A view's own, richer answer for the same status (e.g. 422 with fields) stays.
        responses.setdefault(str(status), _json_response(status, model))
    for key, answer in responses.items():
        # Errors say what they mean here, not just the reason phrase; a success keeps
        # a description its operation gave it.
        if int(key) in DESCRIPTIONS and (int(key) >= 400 or answer.get("description") in (None, "", "OK")):
            answer["description"] = DESCRIPTIONS[int(key)]
    operation["responses"] = dict(sorted(responses.items()))
