"""Package templates: an aggregator defines, per aid type, contents and unit cost."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.funds.models import PackageTemplate
from kolaborasi.targets.models import AidType
from tests.personas import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def test_create_edit_and_reject_bad_input(personas) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas["agus"])
    sembako = AidType.objects.get(slug="sembako")
    form = {"aid_type": sembako.pk, "name": "Sembako A", "contents": "beras 10 kg", "unit_cost": "250000"}
    assert client.post("/dana/paket/", form).status_code == 302
    template = PackageTemplate.objects.get()
    assert (template.aggregator, template.unit_cost) == (personas["agus"].organisation, 250_000)
    assert "Rp250.000" in client.get("/dana/paket/").content.decode()

    assert client.post(f"/dana/paket/{template.pk}/", form | {"unit_cost": "275000"}).status_code == 302
    template.refresh_from_db()
    assert template.unit_cost == 275_000
    assert AuditEvent.objects.filter(action="package_template.changed", object_id=str(template.pk)).exists()

    for change in (
        {"unit_cost": "0"},
        {"unit_cost": "-1"},
        {"unit_cost": "1.5"},
        {"unit_cost": "100000001"},
        {"contents": ""},
    ):
        resp = client.post("/dana/paket/", form | {"name": "Lain"} | change)
        assert resp.status_code == 200 and resp.context["form"].errors
    resp = client.post("/dana/paket/", form)  # same name again
    assert resp.status_code == 200 and "name" in resp.context["form"].errors
    assert PackageTemplate.objects.count() == 1


def test_other_aggregators_templates_are_invisible(personas) -> None:  # type: ignore[no-untyped-def]
    from kolaborasi.accounts.models import Membership, Organisation, OrgKind

    other = Organisation.objects.create(name="Agregator Lain", kind=OrgKind.AGGREGATOR, verified=True)
    template = PackageTemplate.objects.create(
        aggregator=other, aid_type=AidType.objects.get(slug="sembako"), name="X", contents="x", unit_cost=1
    )
    client = Client()
    login(client, personas["agus"])
    assert not Membership.objects.filter(user=personas["agus"].user, organisation=other).exists()
    assert client.get(f"/dana/paket/{template.pk}/").status_code == 404
