"""POST /api/v1/pledges/{id}/confirm: the receiving side, never the deliverer."""

import pytest
from django.core.exceptions import PermissionDenied

from kolaborasi.accounts.models import Membership
from kolaborasi.audit.models import AuditEvent
from kolaborasi.pledges import confirmation, services
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import make_pledge, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def confirm(client, persona, pledge):
    return client.post(f"/api/v1/pledges/{pledge.pk}/confirm", **auth(persona))


def test_coordinator_confirms_delivered_units(client, personas):
    pledge = make_pledge(personas["dina"], quantity=5, delivered=5)
    r = confirm(client, personas["ratna"], pledge)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "confirmed" and r.json()["confirmed"] == 5
    need = Need.objects.get(pk=pledge.need_id)
    assert need.confirmed == 5
    assert AuditEvent.objects.filter(action="pledge.confirmed", object_id=str(pledge.pk)).exists()
    # Nothing more to confirm → 409, nothing changes.
    assert confirm(client, personas["oki"], pledge).status_code == 409
    assert needs_with_drift([need.pk]) == []


def test_partial_confirmation_keeps_status_delivered(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=5, delivered=2)
    r = confirm(client, personas["oki"], pledge)
    assert r.status_code == 200 and r.json()["status"] == "delivered" and r.json()["confirmed"] == 2
    services.delivery_record(
        actor=dina.user, organisation=dina.organisation, pledge=pledge, quantity=3, delivered_on=today()
    )
    assert confirm(client, personas["ratna"], pledge).json()["status"] == "confirmed"


def test_nothing_delivered_yet_is_409(client, personas):
    pledge = make_pledge(personas["dina"], quantity=5)
    r = confirm(client, personas["ratna"], pledge)
    assert r.status_code == 409
    assert Pledge.objects.get(pk=pledge.pk).confirmed == 0


def test_deliverer_never_confirms_even_as_operator_member(personas):
    """A user in both the delivering organisation and an operator organisation still
    cannot confirm the delivery."""
    dina, oki = personas["dina"], personas["oki"]
    Membership.objects.create(user=dina.user, organisation=oki.organisation, role="member")
    pledge = make_pledge(dina, quantity=2, delivered=2)
    with pytest.raises(PermissionDenied):
        confirmation.pledge_confirm(actor=dina.user, organisation=oki.organisation, pledge=pledge)
    assert Pledge.objects.get(pk=pledge.pk).confirmed == 0
