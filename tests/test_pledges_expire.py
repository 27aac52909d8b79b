"""Expiry: planned date + PLEDGE_GRACE_DAYS passed → remainder released, after a reminder;
the donor can extend before that. CLI `kolaborasi pledges expire`, the django task."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.core.management.base import CommandError

from kolaborasi.pledges import expiry, services
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.pledges.tasks import pledges_expire_task
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import make_pledge, today
from tests.tasks_support import run_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni"]
MONTHS += ["Juli", "Agustus", "September", "Oktober", "November", "Desember"]


def day(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


def test_reminder_then_expiry(run_cli, personas, settings, django_capture_on_commit_callbacks):
    settings.PLEDGE_GRACE_DAYS = 3
    pledge = make_pledge(personas["dina"], quantity=5, delivered=1)  # planned today + 3
    # Before the last day nothing happens.
    out, _ = run_cli("pledges", "expire", "--today", day(5))
    assert json.loads(out) == {"expired": 0, "reminded": 0, "released_units": 0}
    # Last day (planned + grace): a reminder to the organisation's members.
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run_cli("pledges", "expire", "--today", day(6))
    assert json.loads(out)["reminded"] == 1
    run_tasks()  # the reminder goes out through the worker
    assert [m.to for m in mail.outbox] == [["dina@example.org"]]
    assert f"#{pledge.pk}" in mail.outbox[0].subject
    # The date as people write it here, in the site's language: "7 Desember 2026".
    until = services.expiry_date(pledge) - dt.timedelta(days=1)
    assert f"setelah {until.day} {MONTHS[until.month - 1]} {until.year}." in mail.outbox[0].body
    pledge.refresh_from_db()
    assert pledge.reminded_at is not None and pledge.status == "delivered"
    # The day after: the undelivered 4 go back to the need.
    out, _ = run_cli("pledges", "expire", "--today", day(7))
    assert json.loads(out) == {"expired": 1, "reminded": 0, "released_units": 4}
    pledge.refresh_from_db()
    assert (pledge.status, pledge.released, pledge.delivered) == ("expired", 4, 1)
    assert Need.objects.get(pk=pledge.need_id).held == 1
    assert needs_with_drift([pledge.need_id]) == []
    out, _ = run_cli("pledges", "expire", "--today", day(8))
    assert json.loads(out)["expired"] == 0


def test_never_expired_without_reminder(personas, settings):
    settings.PLEDGE_GRACE_DAYS = 3
    pledge = make_pledge(personas["dina"], quantity=2)
    report = expiry.pledges_expire(today=today() + dt.timedelta(days=30))  # worker was down
    assert (report.reminded, report.expired) == (1, 0)
    report = expiry.pledges_expire(today=today() + dt.timedelta(days=30))
    assert report.expired == 1
    assert Pledge.objects.get(pk=pledge.pk).status == "expired"


def test_fully_delivered_pledges_do_not_expire(personas):
    pledge = make_pledge(personas["dina"], quantity=2, delivered=2)
    for _ in range(2):
        expiry.pledges_expire(today=today() + dt.timedelta(days=30))
    assert Pledge.objects.get(pk=pledge.pk).status == "delivered"


def test_extend_moves_date_and_resets_reminder(client, personas, settings):
    settings.PLEDGE_GRACE_DAYS = 3
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=2)
    expiry.pledges_expire(today=today() + dt.timedelta(days=6))
    assert Pledge.objects.get(pk=pledge.pk).reminded_at is not None
    r = client.post(
        f"/api/v1/pledges/{pledge.pk}/extend",
        {"planned_delivery": day(10)},
        content_type="application/json",
        **auth(dina),
    )
    assert r.status_code == 200 and r.json()["planned_delivery"] == day(10)
    pledge.refresh_from_db()
    assert pledge.reminded_at is None
    assert expiry.pledges_expire(today=today() + dt.timedelta(days=7)).expired == 0
    r = client.post(
        f"/api/v1/pledges/{pledge.pk}/extend",
        {"planned_delivery": day(-1)},
        content_type="application/json",
        **auth(dina),
    )
    assert r.status_code == 422 and "planned_delivery" in r.json()["detail"]


def test_cannot_extend_after_expiry(personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=2)
    with pytest.raises(services.PledgeError):
        services.pledge_extend(
            actor=dina.user,
            organisation=dina.organisation,
            pledge=pledge,
            planned_delivery=today() + dt.timedelta(days=40),
            today=today() + dt.timedelta(days=30),
        )


def test_bad_cli_date(run_cli):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_cli("pledges", "expire", "--today", "kemarin")


def test_task_runs_the_sweep(personas, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    make_pledge(personas["dina"], quantity=2)
    result = pledges_expire_task.using(backend="default").enqueue(day(30))
    assert result.return_value == {"expired": 0, "reminded": 1, "released_units": 0}
