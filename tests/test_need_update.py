"""need_update: a coordinator for the RWs it covers, an operator anywhere, with a reason;
lowering below what is held cancels nothing (over-covered, remaining 0, listed)."""

import pytest
from django.core.exceptions import PermissionDenied

from kolaborasi.audit.models import AuditEvent
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.selectors import over_covered_needs
from kolaborasi.targets.models import Need, Target
from kolaborasi.targets.services import NeedUpdateError, need_update
from tests.personas import login
from tests.pledges_support import make_pledge, other_need, ratna_need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def test_coordinator_updates_own_rw(personas):
    ratna = personas["ratna"]
    target = ratna_need().target
    need_update(
        actor=ratna.user,
        organisation=ratna.organisation,
        target=target,
        size=42,
        reason="Pendataan ulang DTKS",
    )
    target.refresh_from_db()
    assert target.size == 42
    assert set(Need.objects.filter(target=target).values_list("quantity", flat=True)) == {42}
    event = AuditEvent.objects.get(action="need.changed", object_id=str(target.pk))
    assert event.after is not None
    assert event.after["reason"] == "Pendataan ulang DTKS" and event.after["size"] == 42


def test_lowering_below_held_over_covers(personas):
    oki = personas["oki"]
    need = ratna_need()
    pledge = make_pledge(personas["dina"], need, quantity=10)
    need_update(actor=oki.user, organisation=oki.organisation, target=need.target, size=4, reason="koreksi")
    need.refresh_from_db()
    assert (need.quantity, need.held, need.remaining, need.over_covered) == (4, 10, 0, True)
    assert Pledge.objects.get(pk=pledge.pk).status == "committed"
    assert need.pk in [n.pk for n in over_covered_needs()]


def test_coordinator_elsewhere_and_donor_refused(personas):
    target = other_need().target
    size = target.size
    for who in ("ratna", "dina"):
        p = personas[who]
        with pytest.raises(PermissionDenied):
            need_update(actor=p.user, organisation=p.organisation, target=target, size=1, reason="x")
    assert Target.objects.get(pk=target.pk).size == size


@pytest.mark.parametrize(
    ("size", "reason", "field"), [(-1, "x", "size"), (5, "  ", "reason"), ("9", "x", "size")]
)
def test_bad_input(personas, size, reason, field):
    oki = personas["oki"]
    target = ratna_need().target
    with pytest.raises(NeedUpdateError) as exc:
        need_update(actor=oki.user, organisation=oki.organisation, target=target, size=size, reason=reason)
    assert exc.value.field == field
    assert not AuditEvent.objects.filter(action="need.changed").exists()


@pytest.mark.parametrize(
    ("who", "expected"), [("ratna", 302), ("oki", 302), ("dina", 403), ("agus", 403), ("luar", 403)]
)
def test_need_page(client, personas, who, expected):
    target = ratna_need().target
    login(client, personas[who])
    assert client.get(f"/komitmen/kebutuhan/{target.pk}/").status_code == (200 if expected == 302 else 403)
    r = client.post(f"/komitmen/kebutuhan/{target.pk}/", {"size": 77, "reason": "Data kelurahan terbaru"})
    assert r.status_code == expected
    assert (Target.objects.get(pk=target.pk).size == 77) is (expected == 302)


def test_need_page_requires_reason(client, personas):
    target = ratna_need().target
    login(client, personas["ratna"])
    r = client.post(f"/komitmen/kebutuhan/{target.pk}/", {"size": 77, "reason": ""})
    assert r.status_code == 200 and "reason" in r.context["form"].errors
    assert Target.objects.get(pk=target.pk).size != 77
