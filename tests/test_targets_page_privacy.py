"""The public target page names organisations, never a private person, and shows the
need-update link only to those who may update the need."""

import datetime as dt

import pytest
from django.test import Client

from kolaborasi.accounts.models import Membership, Organisation, OrgKind, OrgSubtype
from kolaborasi.pledges.services import pledge_create
from tests.personas import login
from tests.pledges_support import ratna_need

pytestmark = pytest.mark.django_db


def test_individual_donor_is_not_named_and_company_is(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    budi = Organisation.objects.create(
        name="Budi Santoso Pribadi", kind=OrgKind.DONOR, subtype=OrgSubtype.INDIVIDUAL
    )
    Membership.objects.create(user=personas["luar"].user, organisation=budi, role="owner")
    planned = dt.date.today() + dt.timedelta(days=5)
    pledge_create(
        actor=personas["luar"].user,
        organisation=budi,
        need=need,
        quantity=3,
        planned_delivery=planned,
        contact_phone="0812-5555-0000",
    )
    pledge_create(
        actor=personas["dina"].user,
        organisation=personas["dina"].organisation,
        need=need,
        quantity=4,
        planned_delivery=planned,
    )
    page = client.get(f"/sasaran/{need.target_id}/")
    assert page.status_code == 200
    assert "Budi Santoso Pribadi" not in page.text
    assert "0812-5555-0000" not in page.text
    assert "Donatur perorangan" in page.text
    assert "PT Dina Logistik" in page.text
    assert f"/dana/sasaran/{need.target_id}/" in page.text


@pytest.mark.parametrize(
    ("who", "sees"), [("ratna", True), ("oki", True), ("dina", False), ("luar", False), (None, False)]
)
def test_need_update_link_only_for_coordinator_and_operator(client: Client, personas, who, sees) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    if who:
        login(client, personas[who])
    page = client.get(f"/sasaran/{need.target_id}/")
    assert (f"/komitmen/kebutuhan/{need.target_id}/" in page.text) is sees
