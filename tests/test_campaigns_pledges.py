"""Pledges per campaign through the API: with two open campaigns over one RW a pledge
names its campaign (422 naming the choices otherwise) and moves only that campaign's
need; a closed campaign refuses pledges and deliveries, in Indonesian or English, and
changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.personas import RATNA_RW, auth
from tests.pledges_support import make_pledge, pledge_body, ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def _flood() -> Campaign:
    return campaign_start(
        actor=None,
        name="Tanggap Banjir",
        region_codes=[RATNA_RW],
        aid_type_slugs=["sembako"],
        start=dt.date(2026, 12, 1),
    )


def _post(client, persona, body, **headers):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/pledges", body, content_type="application/json", **auth(persona), **headers)


def _rows() -> tuple[int, int, list[tuple[int, int]]]:
    return (
        Pledge.objects.count(),
        AuditEvent.objects.count(),
        list(Need.objects.filter(target__region_id=RATNA_RW).order_by("pk").values_list("pk", "held")),
    )


def test_with_one_open_campaign_no_campaign_is_needed(client, personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    r = _post(client, personas["dina"], pledge_body(need, 4))
    assert r.status_code == 201, r.content
    assert Pledge.objects.get(pk=r.json()["id"]).need_id == need.pk
    body = {**pledge_body(need, 2), "campaign": need.campaign.slug}
    assert _post(client, personas["dina"], body).status_code == 201


def test_two_open_campaigns_need_a_choice_and_keep_apart(client, personas) -> None:  # type: ignore[no-untyped-def]
    demo_need = ratna_need()
    flood = _flood()
    flood_need = Need.objects.get(campaign=flood, target=demo_need.target)
    dina = personas["dina"]
    before = _rows()
    r = _post(client, dina, pledge_body(demo_need, 4))
    assert r.status_code == 422, r.content
    assert r.json()["choices"] == [demo_need.campaign.slug, flood.slug]
    assert "campaign" in r.json()["detail"] and flood.slug in r.json()["detail"]
    assert _rows() == before

    r = _post(client, dina, {**pledge_body(demo_need, 4), "campaign": flood.slug})
    assert r.status_code == 201, r.content
    assert Pledge.objects.get(pk=r.json()["id"]).need_id == flood_need.pk
    r = _post(client, dina, {**pledge_body(demo_need, 3), "campaign": demo_need.campaign.slug})
    assert r.status_code == 201, r.content
    flood_need.refresh_from_db()
    demo_need.refresh_from_db()
    assert (flood_need.held, demo_need.held) == (4, 3)
    assert needs_with_drift([flood_need.pk, demo_need.pk]) == []

    # An unknown campaign, and a campaign without this aid type for the target: 404.
    r = _post(client, dina, {**pledge_body(demo_need, 1), "campaign": "tidak-ada"})
    assert r.status_code == 404 and "tidak-ada" in r.json()["detail"]
    r = _post(client, dina, {**pledge_body(ratna_need("lebaran"), 1), "campaign": flood.slug})
    assert r.status_code == 404
    # Not a slug at all: 422 from the schema.
    assert _post(client, dina, {**pledge_body(demo_need, 1), "campaign": "Bukan Slug!"}).status_code == 422


def test_a_closed_campaign_refuses_pledges_in_either_language(client, personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    flood = _flood()
    campaign_close(actor=None, campaign=need.campaign)
    before = _rows()
    body = {**pledge_body(need, 4), "campaign": need.campaign.slug}
    r = _post(client, personas["dina"], body)
    assert r.status_code == 409, r.content
    assert "sudah ditutup" in r.json()["detail"] and r.json()["campaign"] == need.campaign.slug
    english = _post(client, personas["dina"], body, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert "closed" in english and "ditutup" not in english
    assert _rows() == before
    # Without a campaign the only open one is meant.
    r = _post(client, personas["dina"], pledge_body(need, 4))
    assert r.status_code == 201
    assert Pledge.objects.get(pk=r.json()["id"]).need.campaign_id == flood.pk


def test_a_closed_campaign_refuses_deliveries(client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=6, delivered=2)
    campaign_close(actor=None, campaign=pledge.need.campaign)
    before = (_rows(), Delivery.objects.count(), Need.objects.get(pk=pledge.need_id).delivered)
    body = {"quantity": 2, "delivered_on": today().isoformat()}
    r = client.post(
        f"/api/v1/pledges/{pledge.pk}/deliveries", body, content_type="application/json", **auth(dina)
    )
    assert r.status_code == 409, r.content
    assert "sudah ditutup" in r.json()["detail"]
    pledge.refresh_from_db()
    assert pledge.delivered == 2
    assert (_rows(), Delivery.objects.count(), Need.objects.get(pk=pledge.need_id).delivered) == before


def test_closing_twice_is_refused(personas) -> None:  # type: ignore[no-untyped-def]
    campaign = ratna_need().campaign
    campaign_close(actor=None, campaign=campaign)
    from kolaborasi.core.errors import Conflict

    with pytest.raises(Conflict, match="sudah ditutup"):
        campaign_close(actor=None, campaign=campaign)
    assert not Need.objects.filter(campaign=campaign, accepting=True).exists()


def test_a_closed_campaigns_pledges_are_frozen(client, personas) -> None:  # type: ignore[no-untyped-def]
    """After the close nothing releases a pledge's held units: the donor cannot cancel
    (409, with what to do instead), the expiry sweep passes it by, an operator's
    suspension of the donor leaves it; the campaign's figures stay as at the close."""
    from kolaborasi.pledges.expiry import pledges_expire
    from kolaborasi.pledges.suspension import organisation_suspend

    dina, oki = personas["dina"], personas["oki"]
    pledge = make_pledge(dina, quantity=6, delivered=2)
    campaign_close(actor=None, campaign=pledge.need.campaign)
    before = (_rows(), list(Pledge.objects.filter(pk=pledge.pk).values()), AuditEvent.objects.count())

    r = client.post(f"/api/v1/pledges/{pledge.pk}/cancel", content_type="application/json", **auth(dina))
    assert r.status_code == 409, r.content
    assert "dibekukan" in r.json()["detail"] and r.json()["campaign"] == pledge.need.campaign.slug
    client.cookies["django_language"] = "en"
    english = client.post(
        f"/api/v1/pledges/{pledge.pk}/cancel", content_type="application/json", **auth(dina)
    )
    assert "frozen" in english.json()["detail"]

    report = pledges_expire(today=today() + dt.timedelta(days=365))
    assert (report.expired, report.reminded) == (0, 0)
    assert (_rows(), list(Pledge.objects.filter(pk=pledge.pk).values())) == before[:2]
    # The suspension itself is recorded; the closed campaign's pledge keeps its units.
    organisation_suspend(
        actor=oki.user, operator=oki.organisation, organisation=dina.organisation, reason="uji"
    )
    pledge.refresh_from_db()
    assert pledge.released == 0
    assert _rows()[2] == before[0][2]
    assert list(Pledge.objects.filter(pk=pledge.pk).values()) == before[1]
