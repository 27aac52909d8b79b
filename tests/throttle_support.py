"""Helpers for the throttle tests (tests/test_*_throttle*.py)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test.utils import override_settings


def rates(**changes: str) -> override_settings:
    """Override some THROTTLE_RATES (e.g. ``rates(pledges="3/m")``), keeping the rest."""
    return override_settings(THROTTLE_RATES={**settings.THROTTLE_RATES, **changes})


def assert_throttled(response: object, *, api: bool) -> int:
    """A 429 with a positive Retry-After that says what happened; returns the seconds."""
    assert response.status_code == 429, response.content  # type: ignore[attr-defined]
    seconds = int(response["Retry-After"])  # type: ignore[index]
    assert seconds > 0
    if api:
        body = response.json()  # type: ignore[attr-defined]
        assert body["detail"] and body["retry_after"] == seconds
    else:
        assert "Terlalu banyak" in response.content.decode()  # type: ignore[attr-defined]
    return seconds


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold django-ratelimit's clock still, so that a test's requests all fall into one
    counting window (a window boundary in the middle of a test would start the count
    afresh). The store's own expiry keeps the real clock."""
    import django_ratelimit.core

    frozen = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: frozen))
