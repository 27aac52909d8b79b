"""Confirmation per delivery through the API: POST /api/v1/pledges/{id}/confirm with an
optional ``{quantity, note}``, and POST /api/v1/pledges/{id}/dispute ``{reason}``.
Every answer is checked against what ended up in the database: the pledge's and the
need's counters, each delivery's review, the audit chain."""

from __future__ import annotations

import pytest

from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import services
from kolaborasi.pledges.models import Delivery, Pledge, Review
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import make_pledge, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def post(client, persona, pledge, verb, body=None):
    if body is None:
        return client.post(f"/api/v1/pledges/{pledge.pk}/{verb}", **auth(persona))
    return client.post(
        f"/api/v1/pledges/{pledge.pk}/{verb}", body, content_type="application/json", **auth(persona)
    )


def deliver(persona, pledge, quantity):
    return services.delivery_record(
        actor=persona.user,
        organisation=persona.organisation,
        pledge=pledge,
        quantity=quantity,
        delivered_on=today(),
    )


def state(pledge):
    """Everything a review may change: the pledge, its deliveries, its need."""
    p = Pledge.objects.get(pk=pledge.pk)
    rows = list(
        Delivery.objects.filter(pledge=pledge).order_by("pk").values("confirmed", "review", "dispute_reason")
    )
    need = Need.objects.get(pk=pledge.need_id)
    return (p.delivered, p.confirmed, p.disputed, p.status, rows, need.delivered, need.confirmed)


def test_partial_confirmation_with_note(client, personas):
    """100 pledged, 60 delivered, 40 confirmed: the remaining 20 wait."""
    pledge = make_pledge(personas["dina"], quantity=100, delivered=60)
    r = post(client, personas["ratna"], pledge, "confirm", {"quantity": 40, "note": "20 paket belum tiba"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["confirmed"], body["status"], body["progress"]) == (40, "delivered", "partly_confirmed")
    delivery = Delivery.objects.get(pledge=pledge)
    assert (delivery.confirmed, delivery.review, delivery.confirm_note) == (
        40,
        Review.PARTIAL,
        "20 paket belum tiba",
    )
    assert Need.objects.get(pk=pledge.need_id).confirmed == 40
    event = AuditEvent.objects.filter(action="delivery.confirmed", object_id=str(delivery.pk)).get()
    assert (event.before or {})["confirmed"] == 0 and (event.after or {})["confirmed"] == 40
    assert AuditEvent.objects.filter(action="pledge.confirmed", object_id=str(pledge.pk)).exists()
    # The rest can be confirmed later; then it is all confirmed.
    r = post(client, personas["oki"], pledge, "confirm")
    assert r.json()["confirmed"] == 60
    delivery.refresh_from_db()
    assert (delivery.confirmed, delivery.review) == (60, Review.CONFIRMED)
    assert needs_with_drift([pledge.need_id]) == []
    assert audit_verify().ok


def test_no_body_and_empty_object_confirm_everything(client, personas):
    first = make_pledge(personas["dina"], quantity=5, delivered=5)
    second = make_pledge(personas["dina"], quantity=5, delivered=3)
    r = post(client, personas["ratna"], first, "confirm")
    assert (r.status_code, r.json()["confirmed"], r.json()["progress"]) == (200, 5, "confirmed")
    r = post(client, personas["ratna"], second, "confirm", {})
    assert (r.status_code, r.json()["confirmed"], r.json()["progress"]) == (200, 3, "partly_confirmed")
    assert Delivery.objects.get(pledge=second).review == Review.CONFIRMED


def test_quantity_fills_oldest_deliveries_first(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=10, delivered=4)
    deliver(dina, pledge, 3)
    r = post(client, personas["ratna"], pledge, "confirm", {"quantity": 5, "note": "2 paket rusak"})
    assert r.json()["confirmed"] == 5
    rows = list(Delivery.objects.filter(pledge=pledge).order_by("pk").values_list("confirmed", "review"))
    assert rows == [(4, Review.CONFIRMED), (1, Review.PARTIAL)]


def test_one_delivery_by_id(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=10, delivered=4)
    later = deliver(dina, pledge, 3)
    r = post(client, personas["ratna"], pledge, "confirm", {"delivery": later.pk})
    assert r.json()["confirmed"] == 3
    rows = list(Delivery.objects.filter(pledge=pledge).order_by("pk").values_list("confirmed", "review"))
    assert rows == [(0, Review.PENDING), (3, Review.CONFIRMED)]
    other = make_pledge(dina, quantity=2, delivered=2)
    first_of_other = Delivery.objects.get(pledge=other)
    r = post(client, personas["ratna"], pledge, "confirm", {"delivery": first_of_other.pk})
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 61, "note": "terlalu banyak"}, "quantity"),
        ({"quantity": 30}, "note"),  # fewer than awaiting without a note
        ({"quantity": "seratus"}, "quantity"),
        ({"quantity": 30, "note": "x" * 501}, "note"),
        ([1, 2], ""),
    ],
)
def test_bad_confirmation_is_422_and_changes_nothing(client, personas, body, field):
    pledge = make_pledge(personas["dina"], quantity=100, delivered=60)
    before = state(pledge)
    events = AuditEvent.objects.count()
    r = post(client, personas["ratna"], pledge, "confirm", body)
    assert r.status_code == 422, r.content
    detail = r.json()["detail"]
    assert field in detail
    if body == {"quantity": 61, "note": "terlalu banyak"}:
        assert "(60)" in detail  # says how many await
    assert state(pledge) == before
    assert AuditEvent.objects.count() == events


def test_dispute_then_donor_sees_it_then_confirm_ends_it(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=10, delivered=6)
    r = post(client, personas["ratna"], pledge, "dispute", {"reason": "Hanya 4 paket yang tiba"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["progress"], body["disputed"], body["confirmed"], body["status"]) == (
        "disputed",
        6,
        0,
        "delivered",
    )
    delivery = Delivery.objects.get(pledge=pledge)
    assert (delivery.review, delivery.dispute_reason) == (Review.DISPUTED, "Hanya 4 paket yang tiba")
    assert AuditEvent.objects.filter(action="delivery.disputed", object_id=str(delivery.pk)).exists()
    assert AuditEvent.objects.filter(action="pledge.disputed", object_id=str(pledge.pk)).exists()
    # The donor reads it through its own token.
    r = client.get(f"/api/v1/pledges/{pledge.pk}", **auth(dina))
    assert r.json()["progress"] == "disputed"
    # Disputing again: nothing awaits a first dispute.
    assert post(client, personas["oki"], pledge, "dispute", {"reason": "lagi"}).status_code == 409
    # The coordinator settles it by confirming the 4 that arrived; 2 wait again.
    r = post(client, personas["ratna"], pledge, "confirm", {"quantity": 4, "note": "2 paket tidak ada"})
    assert r.status_code == 200
    assert (r.json()["disputed"], r.json()["confirmed"], r.json()["progress"]) == (0, 4, "partly_confirmed")
    delivery.refresh_from_db()
    assert (delivery.review, delivery.confirmed) == (Review.PARTIAL, 4)
    # What is left can be disputed again.
    r = post(client, personas["ratna"], pledge, "dispute", {"reason": "2 paket tidak pernah tiba"})
    assert (r.status_code, r.json()["disputed"]) == (200, 2)
    assert needs_with_drift([pledge.need_id]) == []
    assert audit_verify().ok


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, None])
def test_dispute_needs_a_reason(client, personas, body):
    pledge = make_pledge(personas["dina"], quantity=5, delivered=5)
    before = state(pledge)
    r = post(client, personas["ratna"], pledge, "dispute", body)
    assert r.status_code == 422, r.content
    assert "reason" in r.json()["detail"]
    assert state(pledge) == before


def test_dispute_of_nothing_delivered_is_409(client, personas):
    pledge = make_pledge(personas["dina"], quantity=5)
    r = post(client, personas["ratna"], pledge, "dispute", {"reason": "belum ada"})
    assert r.status_code == 409
    assert Pledge.objects.get(pk=pledge.pk).disputed == 0


def test_donor_cannot_dispute_or_confirm_its_own(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=5, delivered=5)
    before = state(pledge)
    assert post(client, dina, pledge, "dispute", {"reason": "saya sendiri"}).status_code == 403
    assert post(client, dina, pledge, "confirm", {"quantity": 1, "note": "saya"}).status_code == 403
    assert state(pledge) == before


def test_target_page_and_pledge_list_show_progress(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=100, delivered=60)
    r = client.get(f"/api/v1/pledges/{pledge.pk}", **auth(dina))
    assert r.json()["progress"] == "partly_delivered"
    post(client, personas["ratna"], pledge, "confirm")
    r = client.get("/api/v1/pledges", **auth(dina))
    assert [p["progress"] for p in r.json() if p["id"] == pledge.pk] == ["partly_confirmed"]
