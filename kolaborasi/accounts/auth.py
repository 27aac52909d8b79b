"""API authentication: ``Authorization: Bearer TOKEN`` → ``request.auth`` is the
token's Organisation (and ``request.api_token_id`` the ApiToken row's id).

Every token has an expiry and a scope. Which scope a request needs is decided here, in
one table (:data:`WRITE_SCOPES`), from the method and the path: reads need ``read``
(every token has it), pledge writes ``pledge``, donation and plan writes ``funds``;
a write this table does not know needs every scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from kolaborasi.core import throttle
from kolaborasi.core.sql import table

from .models import ApiToken, Organisation, TokenScope
from .services import token_hash

# last_used_at is refreshed at most this often, so a busy client does not turn every
# read into a write on the token row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """Bearer-token auth for organisations. Every failure is a 401 with a ``detail``
    saying what was wrong (missing header, not a Bearer header, unknown or revoked
    token); it does not fall through to other auth methods."""

    def __call__(self, request: HttpRequest) -> Any:
        value = request.headers.get(self.header, "")
        if not value.strip():
            raise AuthenticationError(
                message=gettext("Token API diperlukan: kirim 'Authorization: Bearer TOKEN'.")
            )
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise AuthenticationError(message=gettext("Header Authorization harus berbentuk 'Bearer TOKEN'."))
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Organisation:
        # One raw query for the organisation and its token's state: every API write pays
        # for this lookup, and the ORM's query building cost three times the query.
        now = timezone.now()
        adapt = connection.ops.adapt_datetimefield_value
        cutoff = adapt(now - LAST_USED_RESOLUTION)
        found = list(Organisation.objects.raw(_BY_TOKEN, [adapt(now), cutoff, token_hash(token)]))
        if not found:
            raise AuthenticationError(message=gettext("Token API tidak dikenal."))
        organisation = found[0]
        # The raw query's extra columns, set on the instance by Django.
        token_id, revoked, expired, stale, scopes = (
            getattr(organisation, f"token_{n}") for n in ("id", "revoked", "expired", "stale", "scopes")
        )
        if revoked:
            raise AuthenticationError(
                message=gettext("Token API sudah dicabut; buat token baru di halaman organisasi.")
            )
        if expired:
            raise AuthenticationError(
                message=gettext("Token API sudah kedaluwarsa; buat token baru di halaman organisasi.")
            )
        needed = required_scopes(request)
        missing = [s for s in needed if s not in scopes.split()]
        if missing:
            raise HttpError(
                403,
                gettext(
                    "Token API ini tidak punya cakupan %(missing)s (cakupannya: %(scopes)s); buat token "
                    "dengan cakupan itu."
                )
                % {"missing": ", ".join(missing), "scopes": scopes},
            )
        if stale:
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        request.api_token_id = token_id  # type: ignore[attr-defined]
        return organisation


# Writes under these API paths (after /api/v1/) and the scope they need.
WRITE_SCOPES: dict[str, str] = {
    "pledges": TokenScope.PLEDGE,
    "donations": TokenScope.FUNDS,
    "allocation-plans": TokenScope.FUNDS,
}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def required_scopes(request: HttpRequest) -> list[str]:
    if request.method in _SAFE_METHODS:
        return [TokenScope.READ]
    resource = request.path.removeprefix("/api/v1/").split("/", 1)[0]
    scope = WRITE_SCOPES.get(resource)
    return [scope] if scope else list(TokenScope.values)


# The token's state comes back as booleans computed by the database, so no raw
# column needs converting (SQLite would hand a raw timestamp back as text).
_BY_TOKEN = (
    "SELECT o.*, t.id AS token_id, t.revoked_at IS NOT NULL AS token_revoked,"  # noqa: S608 (names only)
    " t.expires_at <= %s AS token_expired, t.scopes AS token_scopes,"
    " (t.last_used_at IS NULL OR t.last_used_at < %s) AS token_stale"
    f" FROM {table(Organisation)} o JOIN {table(ApiToken)} t ON t.organisation_id = o.id"
    " WHERE t.key_hash = %s"
)


class ThrottledTokenAuth(TokenAuth):
    """Failed authentications count per client address (the ``token_failures``
    throttle); past the limit they are answered 429 instead of 401, which is the signal
    to stop. Only failures count: a valid token is never refused, so one broken client
    behind a shared address does not cut off the others."""

    def __call__(self, request: HttpRequest) -> Any:
        try:
            return super().__call__(request)
        except AuthenticationError:
            throttle.check(request, "token_failures", throttle.by_client(request))
            raise


token_auth = ThrottledTokenAuth()
