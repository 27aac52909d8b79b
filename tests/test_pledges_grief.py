"""The grief script: one fresh, self-registered individual donor tries to hold the whole
programme (every need's full remaining quantity, parked far in the future), then within
the horizon. It is refused at the documented limits, everyone else can still pledge,
and an operator's suspension gives back at once whatever it did manage to hold — the
needs' counters, the public totals and the audit chain all stay right."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.pledges.models import OrganisationHold, Pledge, PledgeStatus
from kolaborasi.pledges.selectors import hold_counts_recomputed, needs_with_drift
from kolaborasi.stats import tally
from kolaborasi.targets.models import Need
from tests.personas import auth, login
from tests.pledges_support import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("verified_dina")]

URL = "/api/v1/pledges"


def _post(client: Client, token: str, need: Need, quantity: int, planned: dt.date) -> Any:
    body = {
        "target": need.target_id,
        "aid_type": "sembako",
        "quantity": quantity,
        "planned_delivery": planned.isoformat(),
    }
    return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_one_account_cannot_hold_the_programme(client: Client, personas, run_cli) -> None:  # type: ignore[no-untyped-def]
    out, _err = run_cli("org", "create", "--name", "Akun Baru", "--kind", "donor", "--subtype", "individual")
    created = json.loads(out.strip().splitlines()[-1])
    attacker_id, token = created["id"], created["token"]
    needs = list(
        Need.objects.filter(aid_type__slug="sembako", quantity__gt=20).order_by("-quantity", "pk")[:40]
    )
    held_before = {n.pk: n.held for n in needs}

    # 1. Everything, parked until 9999: refused before anything is held.
    far = dt.date(9999, 12, 31)
    latest = today() + dt.timedelta(days=settings.PLEDGE_HORIZON_DAYS)
    for need in needs:
        r = _post(client, token, need, need.remaining, far)
        assert r.status_code == 422, r.content
        assert latest.isoformat() in r.json()["detail"]
    assert not Pledge.objects.filter(organisation_id=attacker_id).exists()

    # 2. Everything, within the horizon, following every hint of what is still allowed.
    planned = latest
    for need in needs:
        quantity = need.remaining
        while quantity > 0:
            r = _post(client, token, need, quantity, planned)
            if r.status_code == 201:
                break
            assert r.status_code == 409, r.content
            body = r.json()
            assert body["reason"] in ("total", "need_share") and "detail" in body
            quantity = body["allowed"]
    held = dict(Pledge.objects.filter(organisation_id=attacker_id).values_list("need_id", "quantity"))
    assert sum(held.values()) == settings.HOLD_LIMIT_SMALL  # the documented total, exactly
    for need in needs:
        assert held.get(need.pk, 0) * 100 <= need.quantity * settings.HOLD_NEED_SHARE_SMALL + 100
    assert OrganisationHold.objects.get(pk=attacker_id).held == settings.HOLD_LIMIT_SMALL
    r = _post(client, token, needs[-1], 1, planned)
    assert r.status_code == 409 and r.json()["allowed"] == 0 and r.json()["reason"] == "total"

    # 3. Every other donor can still pledge to the very same needs.
    dina = personas["dina"]
    for need in needs[:10]:
        r = client.post(
            URL,
            {
                "target": need.target_id,
                "aid_type": "sembako",
                "quantity": 5,
                "planned_delivery": today().isoformat(),
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=auth(dina)["HTTP_AUTHORIZATION"],
        )
        assert r.status_code == 201, r.content

    # 4. The operator suspends the account from the operators' page.
    oki = Client()
    login(oki, personas["oki"].user)
    page = f"/komitmen/organisasi/{attacker_id}/"
    assert oki.get(page).status_code == 200
    r = oki.post(page, {"action": "suspend", "reason": "Menahan kebutuhan tanpa menyalurkan"})
    assert r.status_code == 302
    attacker_pledges = Pledge.objects.filter(organisation_id=attacker_id)
    assert set(attacker_pledges.values_list("status", flat=True)) == {PledgeStatus.CANCELLED}
    assert all(p.released == p.quantity for p in attacker_pledges)
    for need in Need.objects.filter(pk__in=held_before):
        dina_units = 5 if need.pk in {n.pk for n in needs[:10]} else 0
        assert need.held == held_before[need.pk] + dina_units
    assert needs_with_drift([n.pk for n in needs]) == []
    assert OrganisationHold.objects.get(pk=attacker_id).held == 0
    assert attacker_id not in hold_counts_recomputed()
    tally.fold()
    out, _err = run_cli("stats", "check")
    assert "sesuai" in out
    run_cli("audit", "verify")  # raises CommandError when a link is broken
    assert AuditEvent.objects.filter(action="organisation.suspended", object_id=str(attacker_id)).count() == 1
    cancels = AuditEvent.objects.filter(action="pledge.cancelled", object_type="pledges.pledge")
    assert cancels.filter(
        object_id__in=[str(pk) for pk in attacker_pledges.values_list("pk", flat=True)]
    ).count() == len(held)

    # 5. A suspended account cannot pledge again; its token still reads.
    r = _post(client, token, needs[0], 1, planned)
    assert r.status_code == 403 and "ditangguhkan" in r.json()["detail"]
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
