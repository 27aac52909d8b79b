"""Concurrent spends and confirmations on PostgreSQL (real threads, own connections):
the balance never goes negative, a donation is confirmed once, the ledger stays equal
to its recomputation."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.funds import services
from kolaborasi.funds.models import AccountKind, LedgerAccount, PackageTemplate
from kolaborasi.funds.selectors import ledger_verify
from kolaborasi.targets.models import AidType
from tests.personas import make_org
from tests.pledges_support import small_world

THREADS = 8


def _race(work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _spend_three_each(agg: Any, template: Any, need: Any) -> list[int]:
    """Every thread tries three funded pledges of one package; the pledges made."""
    paid: list[int] = []
    lock = threading.Lock()

    def spend(_i: int) -> None:
        for _ in range(3):
            try:
                p = services.funded_pledge_create(
                    actor=None,
                    aggregator=agg,
                    need=need,
                    quantity=1,
                    template=template,
                    planned_delivery=dt.date.today() + dt.timedelta(days=2),
                )
                with lock:
                    paid.append(p.pk)
            except services.InsufficientFunds:
                pass

    assert _race(spend) == []
    return paid


def _donor_aggregator_and_template() -> tuple[Organisation, Organisation, PackageTemplate]:
    """A donor, an aggregator and its Rp100.000 package of sembako."""
    donor = make_org("Donatur Balapan")
    agg = make_org("Agregator Balapan", OrgKind.AGGREGATOR)
    template = services.template_save(
        actor=None,
        aggregator=agg,
        aid_type=AidType.objects.get(slug="sembako"),
        name="Paket",
        contents="beras",
        unit_cost=100_000,
    )
    return donor, agg, template


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_and_confirmations() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database has one shared connection")
    need = small_world(1000)
    donor, agg, template = _donor_aggregator_and_template()
    donation = services.donation_create(
        actor=None, donor=donor, aggregator=agg, amount=500_000, donated_on=dt.date(2020, 4, 20)
    )
    confirmed: list[int] = []
    lock = threading.Lock()

    def confirm(_i: int) -> None:
        try:
            services.donation_confirm(actor=None, donation=donation)
            with lock:
                confirmed.append(1)
        except services.FundsError:
            pass

    assert _race(confirm) == []
    assert len(confirmed) == 1
    assert LedgerAccount.objects.get(aggregator=agg, kind=AccountKind.CASH).balance == 500_000

    paid = _spend_three_each(agg, template, need)
    assert len(paid) == 5  # Rp500.000 buys exactly five Rp100.000 packages
    assert LedgerAccount.objects.get(aggregator=agg, kind=AccountKind.CASH).balance == 0
    need.refresh_from_db()
    assert need.held == 5  # the failed spends rolled their reservations back
    assert ledger_verify() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_use_another_campaigns_money() -> None:
    """Rp300.000 of general money and Rp1.000.000 given for another campaign: racing
    spends in the need's campaign buy exactly three packages, and the other campaign's
    money stays untouched although the balance would have covered more."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database has one shared connection")
    need = small_world(1000)
    other = Campaign.objects.create(
        name="Program Lain", slug="program-lain", start=dt.date(2026, 12, 1), status=CampaignStatus.OPEN
    )
    donor, agg, template = _donor_aggregator_and_template()
    earmarked = None
    for amount, campaign in ((300_000, None), (1_000_000, other.slug)):
        d = services.donation_create(
            actor=None,
            donor=donor,
            aggregator=agg,
            amount=amount,
            donated_on=dt.date(2026, 11, 20),
            campaign=campaign,
        )
        services.donation_confirm(actor=None, donation=d)
        earmarked = d if campaign else earmarked
    assert earmarked is not None
    paid = _spend_three_each(agg, template, need)
    assert len(paid) == 3
    assert LedgerAccount.objects.get(aggregator=agg, kind=AccountKind.CASH).balance == 1_000_000
    earmarked.refresh_from_db()
    assert earmarked.allocated == 0
    need.refresh_from_db()
    assert need.held == 3
    assert ledger_verify() == []
