"""A funded pledge that is cancelled (or expires) gives the cost of its undelivered
units back to the balance, in the same transaction as the release."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.funds import services
from kolaborasi.funds.selectors import aggregator_funds, ledger_verify, pledge_fundings
from kolaborasi.pledges.services import delivery_record, pledge_cancel
from kolaborasi.targets.models import AidType, Need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def test_cancel_refunds_undelivered_units(personas) -> None:  # type: ignore[no-untyped-def]
    agus, dina = personas["agus"].organisation, personas["dina"].organisation
    donation = services.donation_create(
        actor=None, donor=dina, aggregator=agus, amount=5_000_000, donated_on=dt.date(2020, 4, 20)
    )
    services.donation_confirm(actor=None, donation=donation)
    sembako = AidType.objects.get(slug="sembako")
    template = services.template_save(
        actor=None, aggregator=agus, aid_type=sembako, name="A", contents="beras", unit_cost=200_000
    )
    need = Need.objects.filter(aid_type=sembako, remaining__gte=20).order_by("id").first()
    assert need is not None
    today = dt.date.today()
    pledge = services.funded_pledge_create(
        actor=None, aggregator=agus, need=need, quantity=10, template=template, planned_delivery=today
    )
    assert aggregator_funds(agus)["balance"] == 3_000_000
    delivery_record(actor=None, organisation=agus, pledge=pledge, quantity=4, delivered_on=today)
    pledge_cancel(actor=None, organisation=agus, pledge=pledge)

    funds = aggregator_funds(agus)
    assert funds["allocated"] == 800_000 and funds["balance"] == 4_200_000  # 6 × Rp200.000 back
    assert ledger_verify() == []
    assert [f["amount"] for f in pledge_fundings([pledge.pk])[pledge.pk]] == [800_000]
    donation.refresh_from_db()
    assert donation.allocated == 800_000
    assert AuditEvent.objects.filter(action="pledge.refunded", object_id=str(pledge.pk)).exists()
    # Idempotent: another release call gives nothing more back.
    pledge.refresh_from_db()
    assert services.pledge_funding_release(actor=None, pledge=pledge) == 0
    body = Client().get(f"/api/v1/aggregators/{agus.pk}").json()
    assert body["funds"]["balance"] == 4_200_000
