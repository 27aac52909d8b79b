"""Permission matrix: every funds page × every persona (plus anonymous)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kolaborasi.funds import plans, services
from kolaborasi.funds.models import Donation, DonationStatus
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Target
from tests.personas import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

WHO = ["anon", "dina", "agus", "ratna", "oki", "luar"]
LOGIN = 302  # anonymous users are sent to the login page


def _client(personas, who: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if who != "anon":
        login(client, personas[who])
    return client


# (method, url key, expected status per persona in WHO order)
MATRIX = [
    ("get", "aggregators", [200, 200, 200, 200, 200, 200]),
    ("get", "aggregator", [200, 200, 200, 200, 200, 200]),
    ("get", "not_aggregator", [404, 404, 404, 404, 404, 404]),
    ("get", "target_funding", [200, 200, 200, 200, 200, 200]),
    ("get", "donations", [LOGIN, 200, 200, 200, 200, 403]),
    ("get", "donation_new", [LOGIN, 200, 403, 403, 403, 403]),
    ("post", "donation_confirm", [LOGIN, 403, 302, 404, 404, 403]),
    ("post", "donation_reject", [LOGIN, 403, 302, 404, 404, 403]),
    ("get", "templates", [LOGIN, 403, 200, 403, 403, 403]),
    ("get", "planner", [LOGIN, 403, 200, 403, 403, 403]),
    ("get", "plan", [LOGIN, 403, 200, 403, 403, 403]),
    ("post", "plan_replan", [LOGIN, 403, 302, 403, 403, 403]),
]


@pytest.mark.parametrize(("method", "key", "expected"), MATRIX, ids=[m[1] for m in MATRIX])
def test_matrix(personas, method: str, key: str, expected: list[int]) -> None:  # type: ignore[no-untyped-def]
    agus, dina = personas["agus"].organisation, personas["dina"].organisation
    plan = plans.plan_create(
        actor=None,
        aggregator=agus,
        aid_type=AidType.objects.get(slug="sembako"),
        region=Region.objects.get(code="31.74.05.1003"),
        quantity=10,
    )
    target = Target.objects.filter(region_id="31.74.05.1003.001").first()
    assert target is not None
    for who, status in zip(WHO, expected, strict=True):
        donation = services.donation_create(
            actor=None, donor=dina, aggregator=agus, amount=1000, donated_on=dt.date(2020, 4, 20)
        )
        urls = {
            "aggregators": "/dana/agregator/",
            "aggregator": f"/dana/agregator/{agus.pk}/",
            "not_aggregator": f"/dana/agregator/{dina.pk}/",
            "target_funding": f"/dana/sasaran/{target.pk}/",
            "donations": "/dana/donasi/",
            "donation_new": "/dana/donasi/baru/",
            "donation_confirm": f"/dana/donasi/{donation.pk}/konfirmasi/",
            "donation_reject": f"/dana/donasi/{donation.pk}/tolak/",
            "templates": "/dana/paket/",
            "planner": "/dana/rencana/",
            "plan": f"/dana/rencana/{plan.pk}/",
            "plan_replan": f"/dana/rencana/{plan.pk}/ulang/",
        }
        client = _client(personas, who)
        resp = client.post(urls[key], {"yakin": "1"}) if method == "post" else client.get(urls[key])
        assert resp.status_code == status, (who, key, resp.status_code)
        if key.startswith("donation_") and method == "post":
            decided = Donation.objects.get(pk=donation.pk).status != DonationStatus.PENDING
            assert decided == (who == "agus")
        if key == "plan_replan" and who == "agus":
            break  # the plan is superseded now
