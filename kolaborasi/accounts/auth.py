"""API authentication: ``Authorization: Bearer TOKEN`` → ``request.auth`` is the
token's Organisation (and ``request.api_token`` the ApiToken row)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from .models import ApiToken, Organisation
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
                message="Token API diperlukan: kirim 'Authorization: Bearer TOKEN' (API token required)."
            )
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise AuthenticationError(
                message="Header Authorization harus berbentuk 'Bearer TOKEN' "
                "(malformed Authorization header; expected 'Bearer TOKEN')."
            )
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Organisation:
        row = ApiToken.objects.select_related("organisation").filter(key_hash=token_hash(token)).first()
        if row is None:
            raise AuthenticationError(message="Token API tidak dikenal (unknown API token).")
        if row.revoked_at is not None:
            raise AuthenticationError(message="Token API sudah dicabut (API token revoked).")
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.api_token = row  # type: ignore[attr-defined]
        return row.organisation


token_auth = TokenAuth()
