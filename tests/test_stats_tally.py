"""The per-kelurahan running totals (``kolaborasi.stats.tally``) stay equal to the needs
through every kind of write: pledges, deliveries, confirmations, cancellations,
expiries, need updates, a need moved to another target, a deleted target; after a
fold, after a rebuild, and (in ``test_pledges_concurrency``) under concurrent writers
and folds on PostgreSQL. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError
from django.db import connection

from kolaborasi.pledges import confirmation, expiry, services
from kolaborasi.stats import tally
from kolaborasi.stats.models import Tally, TallyDelta, TargetLive
from kolaborasi.targets.models import Need, Target
from kolaborasi.targets.services import need_update
from tests.history_support import build_history
from tests.personas import make_org
from tests.pledges_support import open_campaign, ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def _tally_rows() -> dict[tuple[int, str, int], tuple[int, ...]]:
    return {
        (t.campaign_id, t.village_code, t.aid_type_id): (
            t.held,
            t.delivered,
            t.confirmed,
            t.met,
            t.rws,
            t.institutions,
        )
        for t in Tally.objects.all()
        if any((t.held, t.delivered, t.confirmed, t.met, t.rws, t.institutions))
    }


def _village_row(need: Need) -> tuple[int, ...]:
    tally.fold()
    row = Tally.objects.filter(village_code=need.target.village_id, aid_type_id=need.aid_type_id).first()
    return (row.held, row.delivered, row.confirmed, row.met) if row else (0, 0, 0, 0)


def _reach_row(target: Target) -> tuple[int, int]:
    tally.fold()
    row = Tally.objects.filter(village_code=target.village_id, aid_type_id=0).first()
    return (row.rws, row.institutions) if row else (0, 0)


def test_the_migration_installed_the_trigger_and_the_demo_is_folded() -> None:
    assert tally.drift() == []  # folds the demo's needs first
    assert TargetLive.objects.count() == Target.objects.filter(needs__isnull=False).distinct().count() > 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'targets_need'::regclass")
            names = {row[0] for row in cur.fetchall()}
            assert "stats_need_tally" in names
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'targets_need'")
            names = {row[0] for row in cur.fetchall()}
            assert {"stats_need_tally_insert", "stats_need_tally_update", "stats_need_tally_delete"} <= names
            assert "stats_need_tally_move" in names


def test_every_write_is_counted(personas: dict[str, Any]) -> None:
    need = ratna_need()
    target = need.target
    org = personas["dina"].organisation
    held, delivered, confirmed, met = _village_row(need)
    rws, institutions = _reach_row(target)
    assert Need.objects.get(pk=need.pk).held == 0  # the demo leaves this RW without pledges

    # A pledge: one delta in the same transaction, units and reach move after the fold.
    pledge = services.pledge_create(
        actor=personas["dina"].user, organisation=org, need=need, quantity=7, planned_delivery=today()
    )
    assert TallyDelta.objects.filter(target_id=target.pk, held=7, live=1).count() == 1
    assert _village_row(need) == (held + 7, delivered, confirmed, met)
    assert _reach_row(target) == (rws + 1, institutions)
    assert TallyDelta.objects.count() == 0

    # Delivery and confirmation.
    services.delivery_record(
        actor=personas["dina"].user, organisation=org, pledge=pledge, quantity=3, delivered_on=today()
    )
    pledge.refresh_from_db()
    confirmation.pledge_confirm(
        actor=personas["ratna"].user, organisation=personas["ratna"].organisation, pledge=pledge
    )
    assert _village_row(need) == (held + 7, delivered + 3, confirmed + 3, met)

    # The need drops to what is held: the RW is met; back up: no longer.
    ops = personas["oki"]
    need_update(
        actor=ops.user, organisation=ops.organisation, target=target, size=7, reason="pendataan ulang"
    )
    assert _village_row(need)[3] == met + 1
    need_update(
        actor=ops.user, organisation=ops.organisation, target=target, size=50, reason="pendataan ulang"
    )
    assert _village_row(need)[3] == met

    # Cancelling releases the undelivered 4; the delivered 3 still hold, so still reached.
    pledge.refresh_from_db()
    services.pledge_cancel(actor=personas["dina"].user, organisation=org, pledge=pledge)
    assert _village_row(need) == (held + 3, delivered + 3, confirmed + 3, met)
    assert _reach_row(target) == (rws + 1, institutions)
    assert tally.drift() == []


def test_a_released_pledge_leaves_the_reach_and_expiry_counts(personas: dict[str, Any]) -> None:
    need = ratna_need()
    rws, institutions = _reach_row(need.target)
    org = personas["dina"].organisation
    pledge = services.pledge_create(
        actor=personas["dina"].user, organisation=org, need=need, quantity=5, planned_delivery=today()
    )
    assert _reach_row(need.target) == (rws + 1, institutions)
    services.pledge_cancel(actor=personas["dina"].user, organisation=org, pledge=pledge)
    assert _reach_row(need.target) == (rws, institutions)
    # An expiry releases through the same counters.
    services.pledge_create(
        actor=personas["dina"].user, organisation=org, need=need, quantity=4, planned_delivery=today()
    )
    far = today().replace(year=today().year + 1)
    assert expiry.pledges_expire(today=far).reminded == 1  # reminded first, expired on the next sweep
    assert expiry.pledges_expire(today=far).expired == 1
    assert Need.objects.get(pk=need.pk).held == 0
    assert _reach_row(need.target) == (rws, institutions)
    assert tally.drift() == []


def test_a_need_moved_to_another_target_and_a_deleted_target(personas: dict[str, Any]) -> None:
    need = ratna_need()
    services.pledge_create(
        actor=None, organisation=make_org(), need=need, quantity=6, planned_delivery=today()
    )
    tally.fold()
    source = need.target
    # A new institution in another kelurahan, with no needs yet; the need moves there.
    elsewhere = Target.objects.exclude(village_id=source.village_id).filter(kind="rw").first()
    assert elsewhere is not None
    moved_to = Target.objects.create(
        kind="pesantren",
        name="Pesantren Uji Pindah",
        region_id=elsewhere.village_id,
        village_id=elsewhere.village_id,
        district_code=elsewhere.district_code,
        city_code=elsewhere.city_code,
        province_code=elsewhere.province_code,
        size=40,
    )
    Need.objects.filter(pk=need.pk).update(target=moved_to)
    assert tally.drift() == []
    assert _reach_row(moved_to)[1] >= 1
    # A target without pledges, deleted with its needs: its counters leave the totals.
    empty = (
        Target.objects.filter(kind="rw", needs__held=0, pledges__isnull=True).exclude(pk=source.pk).first()
    )
    assert empty is not None
    Need.objects.filter(target=empty).update(quantity=1, held=1)  # as if held, to see it leave
    tally.fold()
    assert TargetLive.objects.get(target_id=empty.pk).live_needs >= 1
    empty.delete()
    assert tally.drift() == []


def test_deltas_of_a_target_gone_before_any_fold_are_dropped() -> None:
    tally.fold()
    before = _tally_rows()
    TallyDelta.objects.create(target_id=10**12, aid_type_id=1, held=5, live=1)
    TallyDelta.objects.create(target_id=10**12, aid_type_id=1, held=-5, live=-1)
    assert tally.fold() == 2
    assert _tally_rows() == before
    assert not TallyDelta.objects.exists()


def test_rebuild_equals_folding_a_randomized_history(personas: dict[str, Any]) -> None:
    build_history(personas, seed=13, pledges=60)
    assert tally.drift() == []
    folded = _tally_rows()
    assert any(row[0] for row in folded.values())
    tally.rebuild()
    assert _tally_rows() == folded
    assert tally.drift() == []
    # drift() names what differs when the totals are off.
    key = next(iter(folded))
    Tally.objects.filter(campaign_id=key[0], village_code=key[1], aid_type_id=key[2]).update(
        held=folded[key][0] + 1
    )
    assert [entry[0] for entry in tally.drift()] == [key]


def test_the_command_checks_and_rebuilds(run_cli: Any) -> None:
    out, _err = run_cli("stats", "check")
    assert "sesuai" in out
    Tally.objects.create(
        campaign_id=open_campaign().pk,
        village_code="31.74.05.1003",
        district_code="31.74.05",
        city_code="31.74",
        province_code="31",
        aid_type_id=0,
        rws=99,
    )
    with pytest.raises(CommandError, match="kolaborasi stats rebuild"):
        run_cli("stats", "check")
    out, _err = run_cli("stats", "rebuild")
    assert "sesuai" in out
    assert tally.drift() == []


def test_the_worker_task_folds(personas: dict[str, Any], settings: Any) -> None:
    """`kolaborasi worker` queues this every minute (--fold-every), so deltas never pile
    up while nobody reads the figures."""
    from kolaborasi.stats.tasks import tally_fold_task

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    tally.fold()
    services.pledge_create(
        actor=None, organisation=make_org(), need=ratna_need(), quantity=2, planned_delivery=today()
    )
    assert TallyDelta.objects.count() == 1
    result = tally_fold_task.using(backend="default").enqueue()
    assert result.return_value == {"folded": 1}
    assert not TallyDelta.objects.exists()
    assert tally.drift() == []


@pytest.mark.django_db(transaction=True)
def test_the_worker_schedules_the_fold_and_runs_it_from_the_queue() -> None:
    """The worker's scheduler queues the fold in the database queue (as `kolaborasi
    worker` does every --fold-every seconds) and the database worker runs it."""
    import threading

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from kolaborasi.core.management.commands.worker import _enqueue_every
    from kolaborasi.stats.tasks import tally_fold_task
    from tests.pledges_support import small_world

    need = small_world(30)
    services.pledge_create(
        actor=None, organisation=make_org(), need=need, quantity=4, planned_delivery=today()
    )
    assert TallyDelta.objects.filter(target_id=need.target_id).exists()
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    _enqueue_every(tally_fold_task, 0.05, stop)  # returns once stop is set
    queued = DBTaskResult.objects.filter(task_path=tally_fold_task.module_path)
    assert queued.count() >= 2
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)
    assert not TallyDelta.objects.exists()
    assert Tally.objects.get(village_code=need.target.village_id, aid_type_id=need.aid_type_id).held == 4
    assert tally.drift() == []
    assert set(queued.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_an_aid_type_deleted_after_its_needs_does_not_break_the_figures(personas: dict[str, Any]) -> None:
    from kolaborasi.stats.scope import parse_scope
    from kolaborasi.stats.selectors import summary
    from kolaborasi.targets.models import AidType

    target = ratna_need().target
    aid = AidType.objects.create(slug="selimut", name="Selimut", unit="lembar", sort_order=99)
    need = Need.objects.create(campaign=open_campaign(), target=target, aid_type=aid, quantity=10)
    Need.objects.filter(pk=need.pk).update(held=3)  # as if pledged, so its kelurahan has a total
    tally.fold()
    assert Tally.objects.get(village_code=target.village_id, aid_type_id=aid.pk).held == 3
    Need.objects.filter(pk=need.pk).update(held=0)
    need.delete()
    aid.delete()  # nothing protects it any more; its kelurahan total stays, at zero
    figures = summary(parse_scope(None))
    assert "selimut" not in figures["pledged"]
    assert tally.drift() == []


def test_the_admin_keeps_a_targets_place_and_kind(admin_client: Any) -> None:
    """Editing a target in the admin cannot move it to another kelurahan or kind, which
    would leave its counts in the old kelurahan's totals."""
    target = ratna_need().target
    change = admin_client.get(f"/admin/targets/target/{target.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert 'name="size"' in html  # the count still changes (through need_update)
    for field in ("kind", "region", "village", "district_code", "city_code", "province_code"):
        assert f'name="{field}"' not in html, field
    # Targets are imported, not added in the admin (tests/test_admin_through_services.py).
    assert admin_client.get("/admin/targets/target/add/").status_code == 403
