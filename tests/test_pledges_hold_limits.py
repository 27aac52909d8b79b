"""Fair holds at pledge time: the planned delivery lies within the horizon, and an
organisation's undelivered units are capped by its trust tier (409 saying why and what
is still allowed; a clear error on the form). Aggregators' pledges paid from their
balance are bounded by money, not counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import token_create
from kolaborasi.funds import services as funds
from kolaborasi.pledges import services
from kolaborasi.pledges.models import OrganisationHold, Pledge
from kolaborasi.pledges.selectors import hold_counts_recomputed
from kolaborasi.targets.models import AidType, Need
from tests.personas import auth, login
from tests.pledges_support import other_need, pledge_body, ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "verified_dina")]

URL = "/api/v1/pledges"


def _post(client: Client, token: str, body: dict) -> Any:
    return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _individual() -> tuple[Organisation, str]:
    org = Organisation.objects.create(name="Budi", kind=OrgKind.DONOR, subtype=OrgSubtype.INDIVIDUAL)
    return org, token_create(actor=None, organisation=org)


def test_planned_delivery_beyond_the_horizon_is_422(client, personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    latest = today() + dt.timedelta(days=settings.PLEDGE_HORIZON_DAYS)
    body = pledge_body(need, 2) | {"planned_delivery": (latest + dt.timedelta(days=1)).isoformat()}
    r = client.post(URL, body, content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 422
    assert r.json()["detail"].startswith("planned_delivery:") and latest.isoformat() in r.json()["detail"]
    assert not Pledge.objects.filter(need=need).exists()
    body["planned_delivery"] = latest.isoformat()
    r = client.post(URL, body, content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 201


def test_horizon_is_a_setting(client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PLEDGE_HORIZON_DAYS = 5
    body = pledge_body(ratna_need(), 2, days=6)
    r = client.post(URL, body, content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 422


def test_extend_beyond_the_horizon_is_422(client, personas) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        URL, pledge_body(ratna_need(), 2), content_type="application/json", **auth(personas["dina"])
    )
    pledge_id = r.json()["id"]
    far = today() + dt.timedelta(days=settings.PLEDGE_HORIZON_DAYS + 1)
    r = client.post(
        f"{URL}/{pledge_id}/extend",
        {"planned_delivery": far.isoformat()},
        content_type="application/json",
        **auth(personas["dina"]),
    )
    assert r.status_code == 422
    assert Pledge.objects.get(pk=pledge_id).planned_delivery == today() + dt.timedelta(days=3)


def test_form_refuses_a_far_date_and_keeps_what_was_typed(personas) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas["dina"].user)
    need = ratna_need()
    r = client.post(
        f"/komitmen/baru/{need.target_id}/",
        {"need": need.pk, "quantity": 3, "planned_delivery": "9999-12-31", "statement": "on"},
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert "paling lambat" in page and 'value="3"' in page
    assert not Pledge.objects.filter(need=need).exists()


def test_small_tier_total_and_share_of_one_need(client) -> None:  # type: ignore[no-untyped-def]
    org, token = _individual()
    need, other = ratna_need(), other_need()
    share_cap = -(-need.quantity * settings.HOLD_NEED_SHARE_SMALL // 100)
    assert share_cap < settings.HOLD_LIMIT_SMALL  # the demo's need makes the share bind first
    r = _post(client, token, pledge_body(need, share_cap + 1))
    assert r.status_code == 409
    body = r.json()
    assert (body["reason"], body["limit"], body["allowed"]) == ("need_share", share_cap, share_cap)
    assert body["remaining"] == need.remaining
    assert _post(client, token, pledge_body(need, share_cap)).status_code == 201
    room = settings.HOLD_LIMIT_SMALL - share_cap
    r = _post(client, token, pledge_body(other, room + 1))
    assert r.status_code == 409
    assert (r.json()["reason"], r.json()["allowed"], r.json()["limit"]) == (
        "total",
        room,
        settings.HOLD_LIMIT_SMALL,
    )
    assert "paket" in r.json()["detail"]
    assert OrganisationHold.objects.get(pk=org.pk).held == share_cap
    # Delivering frees room: the limit is on undelivered units.
    pledge = Pledge.objects.get(organisation=org)
    services.delivery_record(actor=None, organisation=org, pledge=pledge, quantity=10, delivered_on=today())
    assert _post(client, token, pledge_body(other, room + 1)).status_code == 201
    assert OrganisationHold.objects.get(pk=org.pk).held == settings.HOLD_LIMIT_SMALL - 9
    assert hold_counts_recomputed()[org.pk] == settings.HOLD_LIMIT_SMALL - 9
    # Cancelling frees it too.
    services.pledge_cancel(actor=None, organisation=org, pledge=pledge)
    assert OrganisationHold.objects.get(pk=org.pk).held == hold_counts_recomputed()[org.pk]


def test_an_unverified_company_is_in_the_small_tier(client) -> None:  # type: ignore[no-untyped-def]
    org = Organisation.objects.create(name="PT Baru", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY)
    token = token_create(actor=None, organisation=org)
    r = _post(client, token, pledge_body(other_need(), settings.HOLD_LIMIT_SMALL + 1))
    assert r.status_code == 409 and r.json()["reason"] in ("total", "need_share")


def test_verified_tier_limit_is_a_setting_and_the_form_says_what_is_left(client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOLD_LIMIT_VERIFIED = 10
    dina = personas["dina"]
    assert (
        client.post(
            URL, pledge_body(ratna_need(), 4), content_type="application/json", **auth(dina)
        ).status_code
        == 201
    )
    r = client.post(URL, pledge_body(other_need(), 7), content_type="application/json", **auth(dina))
    assert r.status_code == 409
    assert (r.json()["reason"], r.json()["limit"], r.json()["allowed"]) == ("total", 10, 6)
    browser = Client()
    login(browser, dina.user)
    need = other_need()
    r = browser.post(
        f"/komitmen/baru/{need.target_id}/",
        {"need": need.pk, "quantity": 7, "planned_delivery": today().isoformat(), "statement": "on"},
    )
    assert r.status_code == 200
    assert "masih boleh berkomitmen 6 paket" in r.content.decode()
    assert Pledge.objects.filter(organisation=dina.organisation).count() == 1


def test_funded_pledges_are_bounded_by_money_not_counted(personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOLD_LIMIT_VERIFIED = 5
    agus, dina = personas["agus"].organisation, personas["dina"].organisation
    donation = funds.donation_create(
        actor=None, donor=dina, aggregator=agus, amount=5_000_000, donated_on=dt.date(2020, 4, 20)
    )
    funds.donation_confirm(actor=None, donation=donation)
    sembako = AidType.objects.get(slug="sembako")
    template = funds.template_save(
        actor=None, aggregator=agus, aid_type=sembako, name="A", contents="beras", unit_cost=200_000
    )
    need = Need.objects.filter(aid_type=sembako, remaining__gte=20).order_by("id").first()
    assert need is not None
    pledge = funds.funded_pledge_create(
        actor=None, aggregator=agus, need=need, quantity=20, template=template, planned_delivery=today()
    )
    assert pledge.capped is False
    assert agus.pk not in hold_counts_recomputed()
    # A direct (unfunded) pledge by the same aggregator is capped as a verified organisation's.
    with pytest.raises(services.HoldLimitExceeded) as refused:
        services.pledge_create(
            actor=None, organisation=agus, need=other_need(), quantity=6, planned_delivery=today()
        )
    assert refused.value.allowed == 5
    # And money still bounds the funded ones: Rp1.000.000 is left, 6 more packages cost more.
    with pytest.raises(funds.InsufficientFunds):
        funds.funded_pledge_create(
            actor=None, aggregator=agus, need=need, quantity=6, template=template, planned_delivery=today()
        )


def test_plan_commit_beyond_the_horizon_is_422(client, personas) -> None:  # type: ignore[no-untyped-def]
    token = auth(personas["agus"])["HTTP_AUTHORIZATION"]
    plan = client.post(
        "/api/v1/allocation-plans",
        {"aid_type": "sembako", "region": "31.74.05.1003", "quantity": 20},
        content_type="application/json",
        HTTP_AUTHORIZATION=token,
    ).json()
    far = today() + dt.timedelta(days=settings.PLEDGE_HORIZON_DAYS + 1)
    r = client.post(
        f"/api/v1/allocation-plans/{plan['id']}/commit",
        {"planned_delivery": far.isoformat()},
        content_type="application/json",
        HTTP_AUTHORIZATION=token,
    )
    assert r.status_code == 422 and "paling lambat" in r.json()["detail"]
    assert not Pledge.objects.filter(organisation=personas["agus"].organisation).exists()
