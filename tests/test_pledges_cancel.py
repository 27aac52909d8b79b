"""POST /api/v1/pledges/{id}/cancel: releases what is undelivered."""

import pytest

from kolaborasi.audit.models import AuditEvent
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import make_pledge, ratna_need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def cancel(client, persona, pledge):
    return client.post(f"/api/v1/pledges/{pledge.pk}/cancel", **auth(persona))


@pytest.mark.parametrize("who", ["dina", "oki"])
def test_cancel_releases_undelivered(client, personas, who):
    need = ratna_need()
    pledge = make_pledge(personas["dina"], need, quantity=5, delivered=2)
    assert Need.objects.get(pk=need.pk).held == 5
    r = cancel(client, personas[who], pledge)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled" and r.json()["released"] == 3 and r.json()["delivered"] == 2
    need.refresh_from_db()
    assert (need.held, need.delivered, need.remaining) == (2, 2, need.quantity - 2)
    event = AuditEvent.objects.get(action="pledge.cancelled", object_id=str(pledge.pk))
    assert event.before is not None and event.after is not None
    assert event.before["status"] == "delivered" and event.after["status"] == "cancelled"
    assert needs_with_drift([need.pk]) == []
    # Twice → 409 (the pledge's state refuses it) and nothing more is released.
    assert cancel(client, personas["dina"], pledge).status_code == 409
    assert Need.objects.get(pk=need.pk).held == 2


def test_fully_delivered_cannot_be_cancelled(client, personas):
    pledge = make_pledge(personas["dina"], quantity=3, delivered=3)
    assert cancel(client, personas["dina"], pledge).status_code == 409
    assert Pledge.objects.get(pk=pledge.pk).status == "delivered"
