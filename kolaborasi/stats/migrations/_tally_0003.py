"""The tally trigger and rebuild as migrations stats 0003 and 0004 installed them, before
the running totals had a campaign (stats 0005). A frozen copy of ``stats.tally`` at
that time, so that a fresh database migrates through the schema those migrations were
written for; not used by the application."""

from __future__ import annotations

from typing import Any

from django.db import transaction

LOCK_KEY = 0x6B6F6C7461
RW = "rw"

# Booleans as 0/1 in both databases (CAST of a boolean is an integer in each).
_MET_NEW = "CAST(NEW.quantity > 0 AND NEW.held >= NEW.quantity AS integer)"
_MET_OLD = "CAST(OLD.quantity > 0 AND OLD.held >= OLD.quantity AS integer)"
_LIVE_NEW = "CAST(NEW.held > 0 AS integer)"
_LIVE_OLD = "CAST(OLD.held > 0 AS integer)"
_INSERT = (
    "INSERT INTO stats_tallydelta (target_id, aid_type_id, held, delivered, confirmed, met, live) VALUES"
)
_PLUS = (
    f"{_INSERT} (NEW.target_id, NEW.aid_type_id, NEW.held, NEW.delivered, NEW.confirmed,"
    f" {_MET_NEW}, {_LIVE_NEW})"
)
_MINUS = (
    f"{_INSERT} (OLD.target_id, OLD.aid_type_id, -OLD.held, -OLD.delivered, -OLD.confirmed,"
    f" -{_MET_OLD}, -{_LIVE_OLD})"
)
_DIFF = (
    f"{_INSERT} (NEW.target_id, NEW.aid_type_id, NEW.held - OLD.held, NEW.delivered - OLD.delivered,"
    f" NEW.confirmed - OLD.confirmed, {_MET_NEW} - {_MET_OLD}, {_LIVE_NEW} - {_LIVE_OLD})"
)
_SAME_NEED = "NEW.target_id = OLD.target_id AND NEW.aid_type_id = OLD.aid_type_id"
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


def _lock(cur: Any, conn: Any) -> None:
    """One fold or rebuild at a time. SQLite transactions here are IMMEDIATE (settings),
    which already makes them the only writer."""
    if conn.vendor == "postgresql":
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


# The totals as the needs give them (rebuild() writes them, drift() compares).
_TARGET_LIVE_SQL = (
    "SELECT t.id AS target_id, SUM(CASE WHEN n.held > 0 THEN 1 ELSE 0 END) AS live_needs, t.kind AS kind,"
    " t.village_id AS village_code, t.district_code AS district_code, t.city_code AS city_code,"
    " t.province_code AS province_code FROM targets_target t JOIN targets_need n ON n.target_id = t.id"
    " GROUP BY t.id, t.kind, t.village_id, t.district_code, t.city_code, t.province_code"
)
_UNITS_SQL = (
    "SELECT t.village_id, t.district_code, t.city_code, t.province_code, n.aid_type_id,"
    " SUM(n.held), SUM(n.delivered), SUM(n.confirmed),"
    " SUM(CASE WHEN t.kind = %s AND n.quantity > 0 AND n.held >= n.quantity THEN 1 ELSE 0 END), 0, 0"
    " FROM targets_need n JOIN targets_target t ON t.id = n.target_id"
    " GROUP BY t.village_id, t.district_code, t.city_code, t.province_code, n.aid_type_id"
)
_REACH_SQL = (
    "SELECT village_code, district_code, city_code, province_code, 0, 0, 0, 0, 0,"
    " SUM(CASE WHEN kind = %s AND live_needs > 0 THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN kind <> %s AND live_needs > 0 THEN 1 ELSE 0 END)"
    " FROM ({targets}) x GROUP BY village_code, district_code, city_code, province_code"
)
_TALLY_COLUMNS = (
    "village_code, district_code, city_code, province_code, aid_type_id,"
    " held, delivered, confirmed, met, rws, institutions"
)
_TARGET_LIVE_COLUMNS = "target_id, live_needs, kind, village_code, district_code, city_code, province_code"


def rebuild(conn: Any) -> None:
    """Recompute ``TargetLive`` and ``Tally`` from the needs (writers wait meanwhile),
    on ``conn`` (default: the default database)."""
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        _lock(cur, conn)
        if conn.vendor == "postgresql":
            cur.execute("LOCK TABLE targets_need IN SHARE MODE")
        for table in ("stats_tallydelta", "stats_targetlive", "stats_tally"):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names
        cur.execute(f"INSERT INTO stats_targetlive ({_TARGET_LIVE_COLUMNS}) {_TARGET_LIVE_SQL}")
        cur.execute(f"INSERT INTO stats_tally ({_TALLY_COLUMNS}) {_UNITS_SQL}", [RW])
        cur.execute(
            f"INSERT INTO stats_tally ({_TALLY_COLUMNS}) "  # noqa: S608
            + _REACH_SQL.format(targets=f"SELECT {_TARGET_LIVE_COLUMNS} FROM stats_targetlive"),  # noqa: S608
            [RW, RW],
        )
