"""Failed API token authentication is throttled per client address
(THROTTLE_TOKEN_FAILURES, 20 per 10 minutes): the first 20 failures answer 401, later
ones 429 with Retry-After. Only failures count, so a valid token keeps working."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kolaborasi.pledges.models import Pledge
from tests.pledges_support import pledge_body, ratna_need
from tests.throttle_support import assert_throttled

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "one_window")]
URL = "/api/v1/pledges"


def _post(client: Client, token: str, **meta: Any):  # type: ignore[no-untyped-def]
    return client.post(
        URL,
        pledge_body(ratna_need(), 1),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **meta,
    )


def test_wrong_tokens_at_the_documented_rate(personas) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for n in range(20):
        assert _post(client, f"tebakan-{n}").status_code == 401, n
    assert_throttled(_post(client, "tebakan-lagi"), api=True)
    # No header at all is a failure too.
    assert client.get(URL).status_code == 429
    assert not Pledge.objects.exists()
    # A valid token from the same address still works; another address still gets 401.
    assert _post(client, personas["dina"].token).status_code == 201
    assert _post(Client(), "tebakan", REMOTE_ADDR="198.51.100.5").status_code == 401
