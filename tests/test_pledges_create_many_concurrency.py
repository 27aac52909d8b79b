"""Plan commits (``pledges_create_many``) racing single pledges and deliveries of the
same organisation on PostgreSQL (real threads, each with its own connection): every
writer takes need rows, then the organisation's hold row, then the audit chain's head,
so none of them deadlocks, and the counters, the hold row and the audit chain agree
afterwards."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.db.models import F, Sum

from kolaborasi.accounts.models import OrgKind
from kolaborasi.audit.services import audit_verify
from kolaborasi.funds import plans
from kolaborasi.funds.models import AllocationLine, AllocationPlan, PlanStatus
from kolaborasi.pledges import services
from kolaborasi.pledges.models import LIVE_STATUSES, OrganisationHold, Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.models import AidType, Need
from tests.personas import make_org
from tests.pledges_support import small_world, today

THREADS = 8
ROUNDS = 12
NEEDS = 5


def _race(work: Callable[[int, int], None]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            for r in range(ROUNDS):
                work(i, r)
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


@pytest.mark.django_db(transaction=True)
def test_plan_commits_race_pledges_and_deliveries_without_deadlock(settings) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database has one shared connection")
    settings.HOLD_LIMIT_VERIFIED = 10**8
    first = small_world(100_000)
    needs = [first]
    for i in range(1, NEEDS):
        aid = AidType.objects.create(slug=f"bantuan-{i}", name=f"Bantuan {i}")
        needs.append(
            Need.objects.create(campaign=first.campaign, target=first.target, aid_type=aid, quantity=100_000)
        )
    agg = make_org("Agregator Balapan", OrgKind.AGGREGATOR)
    region = first.target.region
    # Pledges to deliver on while plans and pledges are being made.
    to_deliver = [
        services.pledge_create(
            actor=None, organisation=agg, need=needs[i % NEEDS], quantity=100, planned_delivery=today()
        )
        for i in range(THREADS * 2)
    ]
    outcomes: dict[str, int] = {"plan": 0, "pledge": 0, "delivery": 0}
    lock = threading.Lock()

    def work(i: int, r: int) -> None:
        rng = random.Random(i * 1000 + r)
        kind = ("plan", "pledge", "delivery")[(i + r) % 3]
        if kind == "plan":
            # Lines in a different order each time: the commit must lock them in its own.
            chosen = rng.sample(needs, k=rng.randint(2, NEEDS))
            plan = AllocationPlan.objects.create(
                aggregator=agg, aid_type=first.aid_type, region=region, stock=10 * len(chosen), total=0
            )
            AllocationLine.objects.bulk_create(
                [AllocationLine(plan=plan, need=n, target=n.target, quantity=10) for n in chosen]
            )
            plans.plan_commit(actor=None, plan=plan, planned_delivery=today())
        elif kind == "pledge":
            services.pledge_create(
                actor=None, organisation=agg, need=rng.choice(needs), quantity=3, planned_delivery=today()
            )
        else:
            services.delivery_record(
                actor=None,
                organisation=agg,
                pledge=to_deliver[(i * ROUNDS + r) % len(to_deliver)],
                quantity=1,
                delivered_on=today(),
            )
        with lock:
            outcomes[kind] += 1

    errors = _race(work)
    assert not errors, [str(e) for e in errors[:3]]
    assert outcomes["plan"] and outcomes["pledge"] and outcomes["delivery"]
    assert sum(outcomes.values()) == THREADS * ROUNDS

    committed = AllocationPlan.objects.filter(status=PlanStatus.COMMITTED)
    assert committed.count() == outcomes["plan"]
    assert not AllocationLine.objects.filter(plan__in=committed, pledge__isnull=True).exists()
    assert needs_with_drift([n.pk for n in needs]) == []
    held = (
        Pledge.objects.filter(organisation=agg, status__in=LIVE_STATUSES, capped=True).aggregate(
            units=Sum(F("quantity") - F("released") - F("delivered"))
        )["units"]
        or 0
    )
    assert OrganisationHold.objects.get(pk=agg.pk).held == held
    delivered = Pledge.objects.filter(pk__in=[p.pk for p in to_deliver]).aggregate(n=Sum("delivered"))["n"]
    assert delivered == outcomes["delivery"]
    assert audit_verify().ok
