"""Ledger invariants (docs/architecture.md, invariant 5) as a hypothesis stateful test:
whatever sequence of donations, confirmations, rejections and funded pledges happens, every ledger
transaction sums to zero, the cash balance never goes negative, and every total equals
a recomputation from the ledger and the funding rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kolaborasi.accounts.models import OrgKind
from kolaborasi.funds import services
from kolaborasi.funds.models import AccountKind, Donation, DonationStatus, LedgerEntry, PackageTemplate
from kolaborasi.funds.selectors import aggregator_funds, ledger_verify
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import NeedExhausted, pledge_cancel
from kolaborasi.targets.models import AidType, Need
from tests.personas import make_org

TODAY = dt.date(2026, 11, 28)


class LedgerMachine(RuleBasedStateMachine):
    counter = 0

    def __init__(self) -> None:
        super().__init__()
        LedgerMachine.counter += 1
        n = LedgerMachine.counter
        self.donor = make_org(f"Donatur uji {n}")
        self.agg = make_org(f"Agregator uji {n}", OrgKind.AGGREGATOR)
        sembako = AidType.objects.get(slug="sembako")
        self.template = services.template_save(
            actor=None,
            aggregator=self.agg,
            aid_type=sembako,
            name="Paket A",
            contents="beras 5 kg",
            unit_cost=150_000,
        )
        self.needs = list(
            Need.objects.filter(aid_type=sembako, remaining__gte=50).order_by("id")[n * 5 : n * 5 + 5]
        )
        self.confirmed = 0
        self.spent = 0
        self.pending: list[Donation] = []
        self.pledges: list[Pledge] = []

    @rule(amount=st.integers(1, 2_000_000))
    def donate(self, amount: int) -> None:
        d = services.donation_create(
            actor=None, donor=self.donor, aggregator=self.agg, amount=amount, donated_on=TODAY, today=TODAY
        )
        self.pending.append(d)

    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        if not self.pending:
            return
        d = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        services.donation_confirm(actor=None, donation=d)
        self.confirmed += d.amount

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        if not self.pending:
            return
        d = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        services.donation_reject(actor=None, donation=d, reason="tidak masuk")
        with pytest.raises(services.FundsError):
            services.donation_confirm(actor=None, donation=d)  # a decided donation stays decided

    @rule(i=st.integers(0, 4), quantity=st.integers(1, 12))
    def fund_pledge(self, i: int, quantity: int) -> None:
        cost = quantity * self.template.unit_cost
        balance = self.confirmed - self.spent
        try:
            pledge = services.funded_pledge_create(
                actor=None,
                aggregator=self.agg,
                need=self.needs[i],
                quantity=quantity,
                template=self.template,
                planned_delivery=TODAY + dt.timedelta(days=3),
                today=TODAY,
            )
        except services.InsufficientFunds:
            assert cost > balance
            return
        except NeedExhausted:
            return
        assert cost <= balance
        self.spent += cost
        self.pledges.append(pledge)

    @rule(data=st.data())
    def cancel_funded_pledge(self, data: st.DataObject) -> None:
        """Cancelling gives the cost of the (undelivered) packages back to the balance."""
        if not self.pledges:
            return
        pledge = self.pledges.pop(data.draw(st.integers(0, len(self.pledges) - 1)))
        pledge_cancel(actor=None, organisation=self.agg, pledge=pledge)
        self.spent -= pledge.quantity * self.template.unit_cost

    @rule(amount=st.integers(-5, 5))
    def unbalanced_posting_is_refused(self, amount: int) -> None:
        before = LedgerEntry.objects.count()
        with pytest.raises(services.FundsError), transaction.atomic():
            services.ledger_post(
                actor=None,
                aggregator=self.agg,
                memo="x",
                legs=[(AccountKind.CASH, amount), (AccountKind.ALLOCATED, amount + 1)],
            )
        assert LedgerEntry.objects.count() == before

    @invariant()
    def totals_equal_recomputation(self) -> None:
        assert ledger_verify(self.agg) == []
        funds = aggregator_funds(self.agg)
        assert funds["confirmed"] == self.confirmed
        assert funds["allocated"] == self.spent
        assert funds["balance"] == self.confirmed - self.spent >= 0


@pytest.mark.django_db
def test_ledger_state_machine() -> None:
    LedgerMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None)
    LedgerMachine.TestCase().runTest()
    assert ledger_verify() == []
    assert PackageTemplate.objects.exists()
    assert not Donation.objects.filter(status=DonationStatus.REJECTED, allocated__gt=0).exists()
