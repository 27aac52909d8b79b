"""A close and a release of the same need, interleaved on PostgreSQL (real connections,
one thread each): the close has flipped its needs' flag but not committed yet when a
cancel or the expiry sweep checks the campaign (it still looks open) and
goes on to give the units back; it then waits on the need's row, and once the close
commits it must be refused — the closed campaign's figures stay as they were at the
close, and the pledge as it was."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.errors import CampaignFrozen
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.pledges.expiry import pledges_expire
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledge_cancel, pledge_create
from tests.conftest import is_postgres
from tests.personas import make_org
from tests.pledges_support import small_world, today

QUANTITY = 7


def _cancel(pledge: Pledge) -> Any:
    return pledge_cancel(actor=None, organisation=pledge.organisation, pledge=pledge)


def _expire(pledge: Pledge) -> Any:
    return pledges_expire(today=pledge.planned_delivery + dt.timedelta(days=30))


# A suspension releases through the same guarded step as the sweep, but first writes its
# own audit event, which queues behind the close's on the chain's lock: by the time it
# reads its pledges the close has committed, so it cannot be placed inside the window.
RELEASES: dict[str, Callable[[Pledge], Any]] = {"cancel": _cancel, "expire": _expire}


def _blocked_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cur.fetchone()
    return row is not None and row[0] == "Lock"


@pytest.mark.parametrize("release", sorted(RELEASES))
@pytest.mark.django_db(transaction=True)
def test_a_release_that_comes_second_to_a_close_is_refused(release: str) -> None:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: two connections interleaved inside their transactions")
    need = small_world(100)
    pledge = pledge_create(
        actor=None,
        organisation=make_org("Donatur Balapan"),
        need=need,
        quantity=QUANTITY,
        planned_delivery=today() + dt.timedelta(days=1),
    )
    # The expiry sweep only releases pledges it has reminded in an earlier sweep.
    Pledge.objects.filter(pk=pledge.pk).update(reminded_at=dt.datetime.now(dt.UTC))
    pledge.refresh_from_db()

    closed_uncommitted = threading.Event()
    releaser_pid: list[int] = []
    outcome: dict[str, Any] = {}

    def closer() -> None:
        try:
            with transaction.atomic():
                campaign_close(actor=None, campaign=need.campaign)
                closed_uncommitted.set()
                # Commit only once the release waits on the need's row.
                for _ in range(400):
                    if releaser_pid and _blocked_on_a_lock(releaser_pid[0]):
                        break
                    time.sleep(0.025)
                else:
                    outcome["closer"] = "the release never waited on the need's row"
        except BaseException as exc:  # reported below
            outcome["closer"] = exc
        finally:
            connections.close_all()

    def releaser() -> None:
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                releaser_pid.append(cur.fetchone()[0])
            assert closed_uncommitted.wait(20)
            outcome["release"] = RELEASES[release](pledge)
        except BaseException as exc:  # reported below
            outcome["release"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=closer), threading.Thread(target=releaser)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert "closer" not in outcome, outcome["closer"]

    if release == "cancel":
        assert isinstance(outcome["release"], CampaignFrozen), outcome["release"]
    else:  # the sweeps skip it and go on
        assert not isinstance(outcome["release"], BaseException), outcome["release"]
    need.refresh_from_db()
    pledge.refresh_from_db()
    assert need.held == QUANTITY and not need.accepting
    assert pledge.status == "committed" and pledge.released == 0
    assert not AuditEvent.objects.filter(
        action__in=["pledge.cancelled", "pledge.expired"], object_id=str(pledge.pk)
    ).exists()
