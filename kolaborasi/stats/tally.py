"""Running totals per campaign and kelurahan of the need counters
(``kolaborasi.stats.models``): each campaign's public figures are its own, so every
delta, ``TargetLive`` row and ``Tally`` row carries the need's ``campaign_id``.

Why: the public figures without a date range are sums over the need counters
(``Need.held/delivered/confirmed``) and counts of the places and targets holding units.
Computed from the needs, the country's figures are a pass over ~1.3M needs and ~440k
targets (~0.6 s at the benchmark's size), repeated every few seconds to keep them fresh.
From these totals they are a sum over one row per kelurahan and aid type.

How they stay right:

1. A trigger on ``targets_need`` (``TRIGGER_SQL``, migration ``stats.0003``) appends a
   ``TallyDelta`` in the same transaction as every change of a need's counters or
   quantity, whichever code makes it. Appending takes no lock another writer waits for,
   so the pledge write path gains one index insert and no contention.
2. ``fold()`` moves the deltas into ``TargetLive`` (needs holding units per target; a
   target enters or leaves the reach when that count crosses zero) and ``Tally``, under
   one lock so folds never interleave. It runs before every read of the totals; the
   deltas it takes are the ones committed before it started, so a figure read after it
   includes every write committed before the read began (``as_of``).
3. ``rebuild()`` recomputes everything from the needs (after a bulk load with triggers
   off, or to repair), and ``drift()`` lists where the totals differ from the needs:
   the tests run it after randomized histories and concurrent writers, the benchmark
   after its load.

A deleted target's needs give their counters back through the trigger; ``TargetLive``
remembers where the target lay. Deltas of a target that no longer exists and was never
folded (created and deleted between two folds) sum to zero and are dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction

from kolaborasi.targets.models import Target, TargetKind

from .models import Tally, TallyDelta, TargetLive

# pg_advisory_xact_lock key of fold() and rebuild() (any constant unique to this use).
LOCK_KEY = 0x6B6F6C7461
_CHUNK = 5000
_NEED_COUNTERS = ("held", "delivered", "confirmed", "met")
_REACH_ID = 0  # Tally.aid_type_id of a kelurahan's reach row

# Booleans as 0/1 in both databases (CAST of a boolean is an integer in each).
_MET_NEW = "CAST(NEW.quantity > 0 AND NEW.held >= NEW.quantity AS integer)"
_MET_OLD = "CAST(OLD.quantity > 0 AND OLD.held >= OLD.quantity AS integer)"
_LIVE_NEW = "CAST(NEW.held > 0 AS integer)"
_LIVE_OLD = "CAST(OLD.held > 0 AS integer)"
_INSERT = (
    "INSERT INTO stats_tallydelta"
    " (campaign_id, target_id, aid_type_id, held, delivered, confirmed, met, live) VALUES"
)
_PLUS = (
    f"{_INSERT} (NEW.campaign_id, NEW.target_id, NEW.aid_type_id, NEW.held, NEW.delivered, NEW.confirmed,"
    f" {_MET_NEW}, {_LIVE_NEW})"
)
_MINUS = (
    f"{_INSERT} (OLD.campaign_id, OLD.target_id, OLD.aid_type_id, -OLD.held, -OLD.delivered,"
    f" -OLD.confirmed, -{_MET_OLD}, -{_LIVE_OLD})"
)
_DIFF = (
    f"{_INSERT} (NEW.campaign_id, NEW.target_id, NEW.aid_type_id, NEW.held - OLD.held,"
    f" NEW.delivered - OLD.delivered, NEW.confirmed - OLD.confirmed, {_MET_NEW} - {_MET_OLD},"
    f" {_LIVE_NEW} - {_LIVE_OLD})"
)
_SAME_NEED = (
    "NEW.campaign_id = OLD.campaign_id AND NEW.target_id = OLD.target_id"
    " AND NEW.aid_type_id = OLD.aid_type_id"
)
_CHANGED = (
    "(NEW.held <> OLD.held OR NEW.delivered <> OLD.delivered OR NEW.confirmed <> OLD.confirmed"
    " OR NEW.quantity <> OLD.quantity)"
)

# The trigger, per database. Note for SQLite: a migration that rebuilds targets_need
# (an AlterField there) drops its triggers with the old table; such a migration must
# run TRIGGER_SQL["sqlite"] again (tests/test_stats_tally.py fails if a trigger is gone).
TRIGGER_SQL: dict[str, list[str]] = {
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION stats_need_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_PLUS};
  ELSIF TG_OP = 'DELETE' THEN
    {_MINUS};
  ELSIF {_SAME_NEED} THEN
    IF {_CHANGED} THEN
      {_DIFF};
    END IF;
  ELSE
    {_MINUS};
    {_PLUS};
  END IF;
  RETURN NULL;
END $$""",
        "DROP TRIGGER IF EXISTS stats_need_tally ON targets_need",
        "CREATE TRIGGER stats_need_tally AFTER INSERT OR UPDATE OR DELETE ON targets_need"
        " FOR EACH ROW EXECUTE FUNCTION stats_need_tally()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS stats_need_tally_insert",
        "DROP TRIGGER IF EXISTS stats_need_tally_delete",
        "DROP TRIGGER IF EXISTS stats_need_tally_update",
        "DROP TRIGGER IF EXISTS stats_need_tally_move",
        f"CREATE TRIGGER stats_need_tally_insert AFTER INSERT ON targets_need BEGIN {_PLUS}; END",
        f"CREATE TRIGGER stats_need_tally_delete AFTER DELETE ON targets_need BEGIN {_MINUS}; END",
        f"CREATE TRIGGER stats_need_tally_update AFTER UPDATE ON targets_need"
        f" WHEN {_SAME_NEED} AND {_CHANGED} BEGIN {_DIFF}; END",
        f"CREATE TRIGGER stats_need_tally_move AFTER UPDATE ON targets_need WHEN NOT ({_SAME_NEED})"
        f" BEGIN {_MINUS}; {_PLUS}; END",
    ],
}
DROP_TRIGGER_SQL: dict[str, list[str]] = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS stats_need_tally ON targets_need",
        "DROP FUNCTION IF EXISTS stats_need_tally()",
    ],
    "sqlite": [s for s in TRIGGER_SQL["sqlite"] if s.startswith("DROP")],
}


def install_trigger(conn: Any) -> None:
    """Create (or re-create) the trigger on ``conn``'s database."""
    with conn.cursor() as cur:
        for sql in TRIGGER_SQL[conn.vendor]:
            cur.execute(sql)


def _lock(cur: Any, conn: Any = connection) -> None:
    """One fold or rebuild at a time. SQLite transactions here are IMMEDIATE (settings),
    which already makes them the only writer."""
    if conn.vendor == "postgresql":
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


_PLACE = ("kind", "village_code", "district_code", "city_code", "province_code")


def fold() -> int:
    """Move the committed deltas into ``TargetLive`` and ``Tally``; returns how many
    deltas were folded. Safe beside any writer and any other fold. Call it outside a
    transaction where it can be: inside one, its lock (and every other fold) waits for
    that transaction's end.

    With no delta visible it writes nothing and takes no lock: every delta committed
    before this call has then been folded by a fold that has committed (a fold's
    deletion is invisible until it commits, so its deltas would still be seen)."""
    if not TallyDelta.objects.exists():
        return 0
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur)
        # Exactly the deltas committed before this statement: one committed later stays
        # for the next fold (an id range would lose one committed out of id order).
        cur.execute(
            "DELETE FROM stats_tallydelta"
            " RETURNING campaign_id, target_id, aid_type_id, held, delivered, confirmed, met, live"
        )
        deltas = cur.fetchall()
        if not deltas:
            return 0
        per_need: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        live: dict[tuple[int, int], int] = defaultdict(int)  # per (campaign, target)
        for campaign_id, target_id, aid_type_id, *counters, live_delta in deltas:
            sums = per_need[(campaign_id, target_id, aid_type_id)]
            for i, value in enumerate(counters):
                sums[i] += value
            live[(campaign_id, target_id)] += live_delta

        # Where each target lies, and how many of its needs in each campaign held units
        # before (no row yet: none).
        target_ids = {t for _c, t in live}
        known: dict[int, dict[str, Any]] = {}
        live_before: dict[tuple[int, int], int] = {}
        for ids in _chunks(target_ids):
            for row in TargetLive.objects.filter(target_id__in=ids).values(
                "campaign_id", "target_id", "live_needs", *_PLACE
            ):
                known[row["target_id"]] = {k: row[k] for k in ("target_id", *_PLACE)}
                live_before[(row["campaign_id"], row["target_id"])] = row["live_needs"]
        for ids in _chunks(t for t in target_ids if t not in known):
            for row in Target.objects.filter(pk__in=ids).values(
                "id", "kind", "village_id", "district_code", "city_code", "province_code"
            ):
                known[row["id"]] = {
                    "target_id": row["id"],
                    "kind": row["kind"],
                    "village_code": row["village_id"],
                    "district_code": row["district_code"],
                    "city_code": row["city_code"],
                    "province_code": row["province_code"],
                }

        units: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
        places: dict[str, dict[str, Any]] = {}
        changed: list[TargetLive] = []
        for (campaign_id, target_id), delta in live.items():
            place = known.get(target_id)
            if place is None:  # created and deleted between two folds: its deltas sum to zero
                continue
            places[place["village_code"]] = place
            seen = (campaign_id, target_id) in live_before
            before = live_before.get((campaign_id, target_id), 0)
            after = before + delta
            if delta or not seen:
                changed.append(TargetLive(**place, campaign_id=campaign_id, live_needs=after))
            if (before > 0) != (after > 0):
                reach = units[(campaign_id, place["village_code"], _REACH_ID)]
                reach[4 if place["kind"] == TargetKind.RW else 5] += 1 if after > 0 else -1
        for (campaign_id, target_id, aid_type_id), (held, delivered, confirmed, met) in per_need.items():
            place = known.get(target_id)
            if place is None:
                continue
            sums = units[(campaign_id, place["village_code"], aid_type_id)]
            sums[0] += held
            sums[1] += delivered
            sums[2] += confirmed
            if place["kind"] == TargetKind.RW:  # rws_met counts RWs only
                sums[3] += met
        TargetLive.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["campaign_id", "target_id"],
            update_fields=["live_needs"],
        )

        current: dict[tuple[int, str, int], Tally] = {}
        for villages in _chunks({village for _c, village, _aid in units}):
            for tally in Tally.objects.filter(village_code__in=villages):
                current[(tally.campaign_id, tally.village_code, tally.aid_type_id)] = tally
        rows: list[Tally] = []
        for (campaign_id, village, aid_type_id), sums in units.items():
            if not any(sums):
                continue
            place = places[village]
            old = current.get((campaign_id, village, aid_type_id)) or Tally()
            rows.append(
                Tally(
                    campaign_id=campaign_id,
                    village_code=village,
                    district_code=place["district_code"],
                    city_code=place["city_code"],
                    province_code=place["province_code"],
                    aid_type_id=aid_type_id,
                    held=old.held + sums[0],
                    delivered=old.delivered + sums[1],
                    confirmed=old.confirmed + sums[2],
                    met=old.met + sums[3],
                    rws=old.rws + sums[4],
                    institutions=old.institutions + sums[5],
                )
            )
        Tally.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["campaign_id", "village_code", "aid_type_id"],
            update_fields=[*_NEED_COUNTERS, "rws", "institutions"],
        )
        return len(deltas)


# The totals as the needs give them (rebuild() writes them, drift() compares).
_TARGET_LIVE_SQL = (
    "SELECT n.campaign_id AS campaign_id, t.id AS target_id,"
    " SUM(CASE WHEN n.held > 0 THEN 1 ELSE 0 END) AS live_needs, t.kind AS kind,"
    " t.village_id AS village_code, t.district_code AS district_code, t.city_code AS city_code,"
    " t.province_code AS province_code FROM targets_target t JOIN targets_need n ON n.target_id = t.id"
    " {where} GROUP BY n.campaign_id, t.id, t.kind, t.village_id, t.district_code, t.city_code,"
    " t.province_code"
)
_UNITS_SQL = (
    "SELECT n.campaign_id, t.village_id, t.district_code, t.city_code, t.province_code, n.aid_type_id,"
    " SUM(n.held), SUM(n.delivered), SUM(n.confirmed),"
    " SUM(CASE WHEN t.kind = %s AND n.quantity > 0 AND n.held >= n.quantity THEN 1 ELSE 0 END), 0, 0"
    " FROM targets_need n JOIN targets_target t ON t.id = n.target_id"
    " {where} GROUP BY n.campaign_id, t.village_id, t.district_code, t.city_code, t.province_code,"
    " n.aid_type_id"
)
_REACH_SQL = (
    "SELECT campaign_id, village_code, district_code, city_code, province_code, 0, 0, 0, 0, 0,"
    " SUM(CASE WHEN kind = %s AND live_needs > 0 THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN kind <> %s AND live_needs > 0 THEN 1 ELSE 0 END)"
    " FROM ({targets}) x GROUP BY campaign_id, village_code, district_code, city_code, province_code"
)
_TALLY_COLUMNS = (
    "campaign_id, village_code, district_code, city_code, province_code, aid_type_id,"
    " held, delivered, confirmed, met, rws, institutions"
)
_TARGET_LIVE_COLUMNS = (
    "campaign_id, target_id, live_needs, kind, village_code, district_code, city_code, province_code"
)


def _where(campaign_id: int | None) -> tuple[str, list[Any]]:
    """The condition on the needs (alias ``n``) of one campaign, or of all."""
    return ("WHERE n.campaign_id = %s", [campaign_id]) if campaign_id is not None else ("", [])


def rebuild(conn: Any = None, *, campaign_id: int | None = None) -> None:
    """Recompute ``TargetLive`` and ``Tally`` from the needs (writers wait meanwhile),
    on ``conn`` (default: the default database); only one campaign's rows when
    ``campaign_id`` is given (the others' pending deltas are folded first)."""
    conn = conn or connection
    where, params = _where(campaign_id)
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        _lock(cur, conn)
        if conn.vendor == "postgresql":
            cur.execute("LOCK TABLE targets_need IN SHARE MODE")
        if campaign_id is None:
            for table in ("stats_tallydelta", "stats_targetlive", "stats_tally"):
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names
        else:
            fold()
            for table in ("stats_tallydelta", "stats_targetlive", "stats_tally"):
                cur.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign_id])  # noqa: S608
        targets_sql = _TARGET_LIVE_SQL.format(where=where)
        cur.execute(f"INSERT INTO stats_targetlive ({_TARGET_LIVE_COLUMNS}) {targets_sql}", params)
        cur.execute(
            f"INSERT INTO stats_tally ({_TALLY_COLUMNS}) {_UNITS_SQL.format(where=where)}",
            [TargetKind.RW, *params],
        )
        live_rows = f"SELECT {_TARGET_LIVE_COLUMNS} FROM stats_targetlive"  # noqa: S608 - constants
        if campaign_id is not None:
            live_rows += " WHERE campaign_id = %s"
        cur.execute(
            f"INSERT INTO stats_tally ({_TALLY_COLUMNS}) " + _REACH_SQL.format(targets=live_rows),
            [TargetKind.RW, TargetKind.RW, *params],
        )


Key = tuple[int, str, int]  # (campaign id, kelurahan code, aid type id; 0 for the reach row)


def _nonzero(rows: Iterable[tuple[Any, ...]], campaign_id: int | None) -> dict[Key, tuple[int, ...]]:
    return {
        (int(row[0]), row[1], int(row[5])): tuple(int(v) for v in row[6:])
        for row in rows
        if any(int(v) for v in row[6:]) and (campaign_id is None or int(row[0]) == campaign_id)
    }


def drift(campaign_id: int | None = None) -> list[tuple[Key, tuple[int, ...] | None, tuple[int, ...] | None]]:
    """Where the folded totals differ from the needs: ``((campaign_id, village,
    aid_type_id), in the totals, from the needs)``, of one campaign or (None) of all;
    empty when they agree. Exact beside live traffic: writes to the needs wait while it
    runs (a few seconds for the whole country)."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("LOCK TABLE targets_need IN SHARE MODE")
        fold()
        cur.execute(f"SELECT {_TALLY_COLUMNS} FROM stats_tally")  # noqa: S608
        have = _nonzero(cur.fetchall(), campaign_id)
        where, params = _where(campaign_id)
        cur.execute(_UNITS_SQL.format(where=where), [TargetKind.RW, *params])
        want = _nonzero(cur.fetchall(), campaign_id)
        cur.execute(
            _REACH_SQL.format(targets=_TARGET_LIVE_SQL.format(where=where)),
            [TargetKind.RW, TargetKind.RW, *params],
        )
        want.update(_nonzero(cur.fetchall(), campaign_id))
    keys = sorted(have.keys() | want.keys())
    return [(key, have.get(key), want.get(key)) for key in keys if have.get(key) != want.get(key)]
