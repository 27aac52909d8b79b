"""Confirmations under real concurrency (PostgreSQL, and SQLite when the test database
is a file): reviewers racing on the same deliveries never confirm a unit twice. The
pledge's lock serialises them; each one reads the deliveries after it holds it.

Checked afterwards: each delivery's ``confirmed`` ≤ its quantity, the pledge's
``confirmed`` = the sum over its deliveries = the need's, the units the audit events say
were confirmed add up to the same number, and the chain verifies."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kolaborasi.accounts.models import OrgKind
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import confirmation, services
from kolaborasi.pledges.errors import PledgeError
from kolaborasi.pledges.models import Delivery, Pledge, Review
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import Need
from tests.personas import make_org
from tests.pledges_support import small_world, today

THREADS = 16


def _skip_in_memory() -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name in ("", ":memory:") or "mode=memory" in name):
        pytest.skip("in-memory SQLite: set SQLITE_TEST_PATH to a file to run this race on SQLite")


def _world(deliveries: list[int]):
    need = small_world(200)
    donor = make_org("Donatur Balap")
    coordinators = [make_org(f"RW Uji {i}", kind=OrgKind.COORDINATOR) for i in range(2)]
    for org in coordinators:
        org.regions.add(Region.objects.get(code=need.target.region_id))
    operator = make_org("Operator Uji", kind=OrgKind.OPERATOR)
    pledge = services.pledge_create(
        actor=None, organisation=donor, need=need, quantity=sum(deliveries), planned_delivery=today()
    )
    for quantity in deliveries:
        services.delivery_record(
            actor=None, organisation=donor, pledge=pledge, quantity=quantity, delivered_on=today()
        )
    return need, pledge, [*coordinators, operator]


def _race(work) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _counted_once(need: Need, pledge: Pledge) -> int:
    pledge.refresh_from_db()
    rows = list(Delivery.objects.filter(pledge=pledge))
    assert all(d.confirmed <= d.quantity for d in rows)
    assert pledge.confirmed == sum(d.confirmed for d in rows) <= pledge.delivered
    assert pledge.disputed == sum(d.awaiting for d in rows if d.review == Review.DISPUTED)
    assert Need.objects.get(pk=need.pk).confirmed == pledge.confirmed
    assert needs_with_drift([need.pk]) == []
    moved = sum(
        (after or {})["confirmed"] - (before or {})["confirmed"]
        for before, after in AuditEvent.objects.filter(
            action="delivery.confirmed", object_type="pledges.delivery"
        ).values_list("before", "after")
    )
    assert moved == pledge.confirmed
    report = audit_verify()
    assert report.ok, report
    return pledge.confirmed


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_confirm_the_same_delivery_once():
    _skip_in_memory()
    need, pledge, reviewers = _world([30])
    delivery = Delivery.objects.get(pledge=pledge)
    won: list[int] = []
    lock = threading.Lock()

    def confirm(i: int) -> None:
        try:
            confirmation.pledge_confirm(
                actor=None, organisation=reviewers[i % 2], pledge=pledge, delivery=delivery
            )
        except PledgeError:
            return
        with lock:
            won.append(i)

    assert _race(confirm) == []
    assert len(won) == 1
    assert _counted_once(need, pledge) == 30


@pytest.mark.django_db(transaction=True)
def test_mixed_reviews_never_count_a_unit_twice():
    """Whole confirmations, partial ones with a note, disputes, by two coordinators and
    an operator at once, on four deliveries of one pledge."""
    _skip_in_memory()
    need, pledge, reviewers = _world([10, 10, 10, 10])
    rows = list(Delivery.objects.filter(pledge=pledge).order_by("pk"))

    def review(i: int) -> None:
        org = reviewers[i % 3]
        delivery = rows[i % 4]
        for attempt in range(3):
            try:
                if (i + attempt) % 4 == 0:
                    confirmation.pledge_dispute(
                        actor=None, organisation=org, pledge=pledge, delivery=delivery, reason="kurang"
                    )
                elif (i + attempt) % 4 == 1:
                    confirmation.pledge_confirm(
                        actor=None, organisation=org, pledge=pledge, quantity=3, note="sebagian"
                    )
                elif (i + attempt) % 4 == 2:
                    confirmation.pledge_confirm(
                        actor=None, organisation=org, pledge=pledge, delivery=delivery, quantity=2, note="dua"
                    )
                else:
                    confirmation.pledge_confirm(
                        actor=None, organisation=org, pledge=pledge, delivery=delivery
                    )
            except PledgeError:
                pass  # nothing (or less than asked) left to confirm: refused, nothing written

    assert _race(review) == []
    confirmed = _counted_once(need, pledge)
    assert 0 < confirmed <= 40
