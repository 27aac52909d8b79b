"""The pledge form's delivery contact: optional, and shown only where a delivery is
confirmed — to the target's coordinator and to operators — never on public pages,
exports or the API."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.pledges import services
from kolaborasi.pledges.models import Pledge
from tests.personas import auth, login
from tests.pledges_support import ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

NAME, PHONE = "Pak Joko Pengantar", "0812-3456-7890"


def _as(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, persona.user)
    return client


def _form(need, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "need": need.pk,
        "quantity": 4,
        "planned_delivery": today().isoformat(),
        "statement": "on",
        **extra,
    }


def test_contact_is_optional(personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    r = _as(personas["dina"]).post(f"/komitmen/baru/{need.target_id}/", _form(need))
    assert r.status_code == 302
    pledge = Pledge.objects.get(need=need)
    assert (pledge.quantity, pledge.contact_name, pledge.contact_phone) == (4, "", "")


def test_contact_reaches_the_coordinator_and_operators_only(personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    need = ratna_need()
    r = _as(dina).post(
        f"/komitmen/baru/{need.target_id}/", _form(need, contact_name=NAME, contact_phone=PHONE)
    )
    assert r.status_code == 302
    pledge = Pledge.objects.get(need=need)
    assert (pledge.contact_name, pledge.contact_phone) == (NAME, PHONE)
    services.delivery_record(
        actor=dina.user, organisation=dina.organisation, pledge=pledge, quantity=2, delivered_on=today()
    )
    # Where deliveries are confirmed: the target's coordinator, and operators.
    inbox = _as(personas["ratna"]).get("/komitmen/konfirmasi/").content.decode()
    assert NAME in inbox and PHONE in inbox
    overview = _as(personas["oki"]).get("/komitmen/semua/").content.decode()
    assert NAME in overview and PHONE in overview
    # Nowhere public, nor in exports, nor in the API.
    anonymous = Client()
    for url in (
        f"/sasaran/{need.target_id}/",
        "/api/v1/exports/pledges.csv",
        f"/api/v1/targets/{need.target_id}",
    ):
        r = anonymous.get(url)
        body = (b"".join(r.streaming_content) if r.streaming else r.content).decode()  # type: ignore[attr-defined,arg-type]
        assert NAME not in body and PHONE not in body, url
    r = Client().get(f"/api/v1/pledges/{pledge.pk}", HTTP_AUTHORIZATION=auth(dina)["HTTP_AUTHORIZATION"])
    assert r.status_code == 200
    assert NAME not in r.content.decode() and PHONE not in r.content.decode()
