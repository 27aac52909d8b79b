"""Suspending an organisation (operators only): its undelivered holds are released at
once through the same release as a cancel, it cannot pledge, the change is audited, and
it can be lifted again."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.models import AuditEvent
from kolaborasi.pledges.models import OrganisationHold, Pledge, PledgeStatus
from kolaborasi.pledges.selectors import hold_counts_recomputed, needs_with_drift
from tests.personas import auth, login
from tests.pledges_support import make_pledge, other_need, pledge_body, ratna_need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("verified_dina")]


def _page(org: Organisation) -> str:
    return f"/komitmen/organisasi/{org.pk}/"


def _as(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, persona.user)
    return client


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [("oki", 200, 302), ("dina", 403, 403), ("agus", 403, 403), ("ratna", 403, 403), ("luar", 403, 403)],
)
def test_only_operators_can_suspend_and_unsuspend(personas, who, get_status, post_status) -> None:  # type: ignore[no-untyped-def]
    subject = personas["dina"].organisation
    client = _as(personas[who])
    assert client.get(_page(subject)).status_code == get_status
    r = client.post(_page(subject), {"action": "suspend", "reason": "uji"})
    assert r.status_code == post_status
    subject.refresh_from_db()
    assert (subject.suspended_at is not None) == (who == "oki")
    if who != "oki":  # an operator suspends; everyone else still cannot lift it
        _as(personas["oki"]).post(_page(subject), {"action": "suspend", "reason": "uji"})
    r = client.post(_page(subject), {"action": "unsuspend"})
    assert r.status_code == post_status
    subject.refresh_from_db()
    assert (subject.suspended_at is None) == (who == "oki")


def test_anonymous_is_sent_to_login(personas) -> None:  # type: ignore[no-untyped-def]
    r = Client().post(_page(personas["dina"].organisation), {"action": "suspend", "reason": "uji"})
    assert r.status_code == 302 and "/akun/masuk/" in r["Location"]
    assert Organisation.objects.get(pk=personas["dina"].organisation.pk).suspended_at is None


def test_a_reason_is_required(personas) -> None:  # type: ignore[no-untyped-def]
    subject = personas["dina"].organisation
    r = _as(personas["oki"]).post(_page(subject), {"action": "suspend", "reason": ""})
    assert r.status_code == 422
    assert "Alasan" in r.content.decode() or "alasan" in r.content.decode()
    assert Organisation.objects.get(pk=subject.pk).suspended_at is None


def test_suspension_releases_holds_and_blocks_pledges_until_lifted(client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    need, other = ratna_need(), other_need()
    open_pledge = make_pledge(dina, need, quantity=8)
    partly = make_pledge(dina, other, quantity=6, delivered=2)
    agus_pledge = make_pledge(personas["agus"], need, quantity=3)
    need.refresh_from_db()
    held_before = need.held

    r = _as(personas["oki"]).post(_page(dina.organisation), {"action": "suspend", "reason": "Menimbun"})
    assert r.status_code == 302

    open_pledge.refresh_from_db()
    partly.refresh_from_db()
    agus_pledge.refresh_from_db()
    assert (open_pledge.status, open_pledge.released) == (PledgeStatus.CANCELLED, 8)
    assert (partly.status, partly.released, partly.delivered) == (PledgeStatus.CANCELLED, 4, 2)
    assert agus_pledge.status == PledgeStatus.COMMITTED  # other organisations are untouched
    need.refresh_from_db()
    assert need.held == held_before - 8
    assert needs_with_drift([need.pk, other.pk]) == []
    assert OrganisationHold.objects.get(pk=dina.organisation.pk).held == 0
    assert dina.organisation.pk not in hold_counts_recomputed()
    event = AuditEvent.objects.get(action="organisation.suspended", object_id=str(dina.organisation.pk))
    assert (event.after or {})["suspended_reason"] == "Menimbun"
    assert (
        AuditEvent.objects.filter(
            action="pledge.cancelled", object_id__in=[str(open_pledge.pk), str(partly.pk)]
        ).count()
        == 2
    )

    # Suspended: the API and the form refuse, with a sentence saying why.
    r = client.post("/api/v1/pledges", pledge_body(need, 1), content_type="application/json", **auth(dina))
    assert r.status_code == 403 and "ditangguhkan" in r.json()["detail"]
    form = _as(dina).get(f"/komitmen/baru/{need.target_id}/")
    assert form.status_code == 403 and "ditangguhkan" in form.content.decode()
    # Logins and tokens still work for reading.
    assert client.get("/api/v1/pledges", **auth(dina)).status_code == 200
    assert _as(dina).get("/komitmen/").status_code == 200

    r = _as(personas["oki"]).post(_page(dina.organisation), {"action": "unsuspend"})
    assert r.status_code == 302
    assert AuditEvent.objects.filter(
        action="organisation.unsuspended", object_id=str(dina.organisation.pk)
    ).exists()
    r = client.post("/api/v1/pledges", pledge_body(need, 1), content_type="application/json", **auth(dina))
    assert r.status_code == 201
    assert Pledge.objects.get(pk=open_pledge.pk).status == PledgeStatus.CANCELLED  # released stays released
