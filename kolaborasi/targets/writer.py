"""How imported rows reach the database once every row has been checked (imports.py,
campaigns.py). On PostgreSQL they are streamed with COPY: numbered primary keys are
taken from the table's own sequence first, and needs are written as plain rows without
building model instances. Elsewhere (SQLite) they go through ``bulk_create``, multi-row
INSERTs. Targets are written in batches of ``BATCH``, inside the caller's transaction;
the database still checks every constraint (COPY like INSERT)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from kolaborasi.campaigns.models import Campaign
from kolaborasi.regions.models import Region

from .models import AidType, Need, Target

BATCH = 2000

Progress = Callable[[int], None]


def _campaign_aid_types(campaign: Campaign) -> list[int]:
    """The aid types a target of ``campaign`` needs: those it collects that are active."""
    return list(
        AidType.objects.filter(active=True, campaigns__campaign=campaign)
        .order_by("sort_order", "slug")
        .values_list("pk", flat=True)
    )


def _needs_for(targets: list[Target], campaign: Campaign) -> list[Need]:
    aid_types = _campaign_aid_types(campaign)
    return [
        Need(
            campaign=campaign,
            accepting=campaign.is_open,
            target=t,
            aid_type_id=a,
            quantity=t.size,
            source=t.source,
            as_of=t.as_of,
        )
        for t in targets
        for a in aid_types
    ]


# Field types whose Python values psycopg adapts exactly as Django would store them; any
# other field goes through get_db_prep_save.
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.CharField,
    models.IntegerField,
    models.FloatField,
    models.BooleanField,
    models.DateField,  # DateTimeField too (subclass): pre_save gives aware datetimes
    models.ForeignKey,
)


def _copy_rows(model: type[models.Model], fields: list[Any], rows: Iterable[list[Any]]) -> None:
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with db.cursor() as cursor, db.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys from the table's own sequence, so concurrent writers never collide."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [db.ops.quote_name(model._meta.db_table), count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def copy_objects(model: type[models.Model], objs: list[Any]) -> None:
    """Insert model instances with PostgreSQL's COPY (several times faster than a
    multi-row INSERT, see bench/). Every instance gets its pk as bulk_create would give
    it; auto_now fields are filled by their pre_save."""
    if not objs:
        return
    db = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated]
    if isinstance(meta.pk, models.AutoField):  # BigAutoField too (AutoFieldMeta)
        for obj, pk in zip(objs, _reserve_ids(model, len(objs)), strict=True):
            obj.pk = pk
    # 0: plain attribute, 1: auto_now(_add) through pre_save, 2: Django's own conversion.
    modes = [
        1
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else (0 if isinstance(f, _PLAIN_FIELDS) else 2)
        for f in fields
    ]

    def row(obj: Any) -> list[Any]:
        return [
            getattr(obj, f.attname)
            if mode == 0
            else (f.pre_save(obj, True) if mode == 1 else f.get_db_prep_save(f.pre_save(obj, True), db))
            for f, mode in zip(fields, modes, strict=True)
        ]

    _copy_rows(model, fields, (row(obj) for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias


def _copy_needs(targets: list[Target], campaign: Campaign) -> int:
    """The rows ``_needs_for`` would build (one per aid type of the campaign, quantity =
    size, the target's source and date), written without building model instances; every
    other field takes its model default."""
    aid_types = _campaign_aid_types(campaign)
    if not targets or not aid_types:
        return 0
    fields = [f for f in Need._meta.concrete_fields if not f.generated]
    template = Need(campaign=campaign, accepting=campaign.is_open)
    now = timezone.now()
    base = [now if getattr(f, "auto_now", False) else getattr(template, f.attname) for f in fields]
    index = {f.attname: i for i, f in enumerate(fields)}
    ids = iter(_reserve_ids(Need, len(targets) * len(aid_types)))
    pk, target_id, aid_type_id = index[Need._meta.pk.attname], index["target_id"], index["aid_type_id"]
    quantity, source, as_of = index["quantity"], index["source"], index["as_of"]

    def rows() -> Iterator[list[Any]]:
        for t in targets:
            for aid in aid_types:
                row = base.copy()
                row[pk], row[target_id], row[aid_type_id] = next(ids), t.pk, aid
                row[quantity], row[source], row[as_of] = t.size, t.source, t.as_of
                yield row

    _copy_rows(Need, fields, rows())
    return len(targets) * len(aid_types)


def write_needs(targets: list[Target], campaign: Campaign) -> int:
    """Give each of ``targets`` (already stored) one need per aid type of ``campaign``,
    quantity = the target's size; the count of needs written. Inside the caller's
    transaction."""
    needs = 0
    for start in range(0, len(targets), BATCH):
        chunk = targets[start : start + BATCH]
        if connection.vendor == "postgresql":
            needs += _copy_needs(chunk, campaign)
        else:
            chunk_needs = _needs_for(chunk, campaign)
            Need.objects.bulk_create(chunk_needs, batch_size=BATCH * 3)
            needs += len(chunk_needs)
    return needs


def write_targets(
    regions: list[Region], targets: list[Target], campaign: Campaign, progress: Progress | None
) -> int:
    """Store the checked ``regions`` and ``targets`` and one need per aid type of
    ``campaign`` for each target; the count of needs written. Inside the caller's
    transaction; ``progress`` is told the targets written after each batch."""
    if connection.vendor == "postgresql":
        return _write_copy(regions, targets, campaign, progress)
    return _write_bulk(regions, targets, campaign, progress)


def _write_bulk(
    regions: list[Region], targets: list[Target], campaign: Campaign, progress: Progress | None
) -> int:
    """The portable write path (SQLite), multi-row INSERTs."""
    if regions:
        Region.objects.bulk_create(regions, batch_size=BATCH)
    needs = 0
    for start in range(0, len(targets), BATCH):
        chunk = targets[start : start + BATCH]
        Target.objects.bulk_create(chunk)
        chunk_needs = _needs_for(chunk, campaign)
        Need.objects.bulk_create(chunk_needs, batch_size=BATCH * 3)
        needs += len(chunk_needs)
        if progress:
            progress(len(chunk))
    return needs


def _write_copy(
    regions: list[Region], targets: list[Target], campaign: Campaign, progress: Progress | None
) -> int:
    """The PostgreSQL write path: the same rows as ``_write_bulk`` through COPY. Rows were
    validated before, and constraints still hold (COPY checks them like INSERT)."""
    copy_objects(Region, regions)
    needs = 0
    for start in range(0, len(targets), BATCH):
        chunk = targets[start : start + BATCH]
        copy_objects(Target, chunk)
        needs += _copy_needs(chunk, campaign)
        if progress:
            progress(len(chunk))
    return needs
