"""POST /api/v1/pledges and the pledge form's service: atomic reservation (invariant 1)."""

import datetime as dt

import pytest

from kolaborasi.audit.models import AuditEvent
from kolaborasi.pledges import services
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import pledge_body, ratna_need, today

# dina pledges whole needs here: about the need, so within the verified tier's hold limit.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "verified_dina")]
URL = "/api/v1/pledges"


def test_create_reserves_and_answers_201(client, personas):
    need = ratna_need()
    before = need.held
    r = client.post(URL, pledge_body(need, 7), content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 201, r.content
    body = r.json()
    assert {
        "id",
        "status",
        "target",
        "aid_type",
        "quantity",
        "delivered",
        "planned_delivery",
        "organisation",
    } <= set(body)
    assert body["status"] == "committed" and body["quantity"] == 7 and body["delivered"] == 0
    assert body["aid_type"] == "sembako" and body["target"] == need.target_id
    assert body["organisation"] == personas["dina"].organisation.pk
    pledge = Pledge.objects.get(pk=body["id"])
    assert pledge.quantity == 7 and pledge.need_id == need.pk
    need.refresh_from_db()
    assert need.held == before + 7
    assert AuditEvent.objects.filter(action="pledge.created", object_id=str(pledge.pk)).count() == 1
    assert needs_with_drift([need.pk]) == []


def test_aggregator_can_pledge(client, personas):
    r = client.post(
        URL, pledge_body(ratna_need(), 2), content_type="application/json", **auth(personas["agus"])
    )
    assert r.status_code == 201


def test_too_much_is_409_with_remaining_and_changes_nothing(client, personas):
    need = ratna_need()
    remaining = need.quantity - need.held
    r = client.post(
        URL, pledge_body(need, remaining + 1), content_type="application/json", **auth(personas["dina"])
    )
    assert r.status_code == 409
    assert r.json()["remaining"] == remaining
    assert "detail" in r.json()
    assert not Pledge.objects.filter(need=need).exists()
    # Exactly the remainder fits; then nothing is left.
    r = client.post(
        URL, pledge_body(need, remaining), content_type="application/json", **auth(personas["dina"])
    )
    assert r.status_code == 201
    need.refresh_from_db()
    assert need.remaining == 0 and need.held == need.quantity
    r = client.post(URL, pledge_body(need, 1), content_type="application/json", **auth(personas["agus"]))
    assert r.status_code == 409 and r.json()["remaining"] == 0


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": "lima"}, "quantity"),
        ({"planned_delivery": "2020-01-01"}, "planned_delivery"),
        ({"planned_delivery": "besok"}, "planned_delivery"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, personas, change, fragment):
    need = ratna_need()
    body = {**pledge_body(need), **change}
    r = client.post(URL, body, content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 422, r.content
    assert fragment in r.json()["detail"]
    assert not Pledge.objects.exists()
    need.refresh_from_db()
    assert need.held == 0


@pytest.mark.parametrize(
    ("change", "fragment"), [({"aid_type": "emas"}, "aid_type"), ({"target": 999999999}, "target")]
)
def test_a_target_or_need_that_does_not_exist_is_404(client, personas, change, fragment):
    # Like an unknown id in a path: the body names something that is not there.
    need = ratna_need()
    body = {**pledge_body(need), **change}
    r = client.post(URL, body, content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 404, r.content
    assert fragment in r.json()["detail"]
    assert not Pledge.objects.exists()
    need.refresh_from_db()
    assert need.held == 0


def test_missing_fields_422(client, personas):
    r = client.post(URL, {}, content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 422


@pytest.mark.parametrize("who", ["ratna", "oki"])
def test_coordinators_and_operators_cannot_pledge(client, personas, who):
    r = client.post(URL, pledge_body(ratna_need()), content_type="application/json", **auth(personas[who]))
    assert r.status_code == 403
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("header", [None, "Bearer nope", "Token abc", "Bearer"])
def test_missing_or_bad_token_401(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    r = client.post(URL, pledge_body(ratna_need()), content_type="application/json", **extra)
    assert r.status_code == 401
    assert "detail" in r.json()


def test_service_rejects_past_date_and_bad_quantity(personas):
    dina = personas["dina"]
    need = ratna_need()
    with pytest.raises(services.PledgeError) as exc:
        services.pledge_create(
            actor=dina.user,
            organisation=dina.organisation,
            need=need,
            quantity=1,
            planned_delivery=today() - dt.timedelta(days=1),
        )
    assert exc.value.field == "planned_delivery"
    with pytest.raises(services.PledgeError):
        services.pledge_create(
            actor=dina.user, organisation=dina.organisation, need=need, quantity=0, planned_delivery=today()
        )
    assert Need.objects.get(pk=need.pk).held == 0


def test_create_many_all_or_nothing(personas):
    agus = personas["agus"]
    a = ratna_need("sembako")
    b = ratna_need("lebaran")
    b_rest = b.quantity - b.held
    with pytest.raises(services.PlanConflict) as exc:
        services.pledges_create_many(
            actor=agus.user,
            organisation=agus.organisation,
            items=[(a, 2), (b, b_rest + 5)],
            planned_delivery=today(),
        )
    assert [(n.pk, req, rem) for n, req, rem in exc.value.conflicts] == [(b.pk, b_rest + 5, b_rest)]
    assert not Pledge.objects.exists()
    assert Need.objects.get(pk=a.pk).held == 0
    made = services.pledges_create_many(
        actor=agus.user, organisation=agus.organisation, items=[(a, 2), (b, b_rest)], planned_delivery=today()
    )
    assert [p.quantity for p in made] == [2, b_rest]
    assert Need.objects.get(pk=b.pk).remaining == 0
    assert needs_with_drift([a.pk, b.pk]) == []
