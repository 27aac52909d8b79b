"""Hypothesis stateful test across pledge, deliver, confirm, cancel, expire and need
updates: invariants 1 (held never exceeds the need except by a later need reduction; a pledge
succeeds exactly when it fits), 3 (delivered ≤ pledged, confirmed ≤ delivered) and
2 (the need's counters equal a recomputation from its pledges)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.pledges import confirmation, expiry, services
from kolaborasi.pledges.models import LIVE_STATUSES, Delivery, OrganisationHold, Pledge, Review
from kolaborasi.pledges.selectors import hold_counts_recomputed, needs_with_drift
from kolaborasi.targets.models import AidType, Need, Target
from kolaborasi.targets.services import need_update
from tests.pledges_support import open_campaign, ratna_need, today

pytestmark = pytest.mark.django_db
_serial = itertools.count()


class PledgeMachine(RuleBasedStateMachine):
    pledges = Bundle("pledges")

    def __init__(self) -> None:
        super().__init__()
        village = ratna_need().target.village
        n = next(_serial)
        self.target = Target.objects.create(
            kind="pesantren",
            name=f"Pesantren Uji {n}",
            region=village,
            village=village,
            district_code="31.74.05",
            city_code="31.74",
            province_code="31",
            size=20,
        )
        self.need = Need.objects.create(
            campaign=open_campaign(),
            target=self.target,
            aid_type=AidType.objects.get(slug="sembako"),
            quantity=20,
        )
        self.donors = [
            # Verified: the model here is the need's; hold limits have their own tests.
            Organisation.objects.create(name=f"Donatur {n}-{i}", kind=OrgKind.DONOR, verified=True)
            for i in range(2)
        ]
        self.operator = Organisation.objects.create(name=f"Operator {n}", kind=OrgKind.OPERATOR)
        self.quantity = 20  # model of the need
        self.held = 0  # model of held units

    def _fresh(self, pk: int) -> Pledge:
        return Pledge.objects.get(pk=pk)

    @rule(target=pledges, donor=st.integers(0, 1), quantity=st.integers(1, 9))
    def pledge(self, donor: int, quantity: int) -> int:
        fits = self.held + quantity <= self.quantity
        try:
            p = services.pledge_create(
                actor=None,
                organisation=self.donors[donor],
                need=self.need,
                quantity=quantity,
                planned_delivery=today(),
            )
        except services.NeedExhausted as exc:
            assert not fits
            assert exc.remaining == max(self.quantity - self.held, 0)
            return 0
        assert fits
        self.held += quantity
        return p.pk

    @rule(pk=pledges, quantity=st.integers(1, 9))
    def deliver(self, pk: int, quantity: int) -> None:
        if not pk:
            return
        p = self._fresh(pk)
        ok = p.status in LIVE_STATUSES and quantity <= p.quantity - p.released - p.delivered
        try:
            services.delivery_record(
                actor=None, organisation=p.organisation, pledge=p, quantity=quantity, delivered_on=today()
            )
        except services.PledgeError:
            assert not ok
            assert self._fresh(pk).delivered == p.delivered
            return
        assert ok

    @rule(pk=pledges)
    def confirm(self, pk: int) -> None:
        if not pk:
            return
        p = self._fresh(pk)
        try:
            confirmation.pledge_confirm(actor=None, organisation=self.operator, pledge=p)
        except services.PledgeError:
            assert p.confirmed == p.delivered
            return
        assert self._fresh(pk).confirmed == p.delivered

    @rule(pk=pledges, quantity=st.integers(0, 9))
    def confirm_some(self, pk: int, quantity: int) -> None:
        """Fewer units with a note: refused (nothing written) when 0 or more than await."""
        if not pk:
            return
        p = self._fresh(pk)
        awaiting = p.delivered - p.confirmed
        try:
            confirmation.pledge_confirm(
                actor=None, organisation=self.operator, pledge=p, quantity=quantity, note="sebagian"
            )
        except services.PledgeError:
            assert not 1 <= quantity <= awaiting
            assert self._fresh(pk).confirmed == p.confirmed
            return
        assert 1 <= quantity <= awaiting
        assert self._fresh(pk).confirmed == p.confirmed + quantity

    @rule(pk=pledges)
    def dispute(self, pk: int) -> None:
        if not pk:
            return
        p = self._fresh(pk)
        try:
            confirmation.pledge_dispute(actor=None, organisation=self.operator, pledge=p, reason="kurang")
        except services.PledgeError:
            assert self._fresh(pk).disputed == p.disputed
            return
        fresh = self._fresh(pk)
        assert fresh.disputed == fresh.delivered - fresh.confirmed > 0

    @rule(pk=consumes(pledges))
    def cancel(self, pk: int) -> None:
        if not pk:
            return
        p = self._fresh(pk)
        try:
            services.pledge_cancel(actor=None, organisation=p.organisation, pledge=p)
        except services.PledgeError:
            assert p.status not in LIVE_STATUSES or p.quantity == p.delivered + p.released
            return
        self.held -= p.quantity - p.released - p.delivered

    @rule()
    def expire(self) -> None:
        later = today() + dt.timedelta(days=60)
        expiry.pledges_expire(today=later)  # reminders
        expiry.pledges_expire(today=later)  # expiry
        self.held = sum(
            q - r for q, r in Pledge.objects.filter(need=self.need).values_list("quantity", "released")
        )

    @rule(size=st.integers(0, 30))
    def update_need(self, size: int) -> None:
        need_update(actor=None, organisation=self.operator, target=self.target, size=size, reason="uji")
        self.quantity = size

    @invariant()
    def counters_match_recomputation(self) -> None:
        assert needs_with_drift([self.need.pk]) == []
        recomputed = hold_counts_recomputed()
        for org in self.donors:
            held = OrganisationHold.objects.filter(pk=org.pk).values_list("held", flat=True).first() or 0
            assert held == recomputed.get(org.pk, 0)

    @invariant()
    def need_matches_model(self) -> None:
        need = Need.objects.get(pk=self.need.pk)
        assert (need.quantity, need.held) == (self.quantity, self.held)
        assert need.remaining == max(self.quantity - self.held, 0)
        assert need.delivered <= need.held and need.confirmed <= need.delivered

    @invariant()
    def pledges_are_consistent(self) -> None:
        for p in Pledge.objects.filter(need=self.need):
            assert p.delivered <= p.quantity and p.confirmed <= p.delivered
            assert p.released <= p.quantity - p.delivered
            if p.status in ("cancelled", "expired"):
                assert p.delivered + p.released == p.quantity
            # Confirmations are counted per delivery; disputes are the unconfirmed units
            # of the disputed deliveries.
            rows = list(Delivery.objects.filter(pledge=p))
            assert p.confirmed == sum(d.confirmed for d in rows)
            assert p.delivered == sum(d.quantity for d in rows)
            assert p.disputed == sum(d.quantity - d.confirmed for d in rows if d.review == Review.DISPUTED)


@pytest.mark.slow
def test_pledge_state_machine():
    run_state_machine_as_test(
        PledgeMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
