"""Benchmark steps that run inside Django, one process per step so that each gets its
own database settings (SQLite or PostgreSQL through DATABASE_URL).

    python -m bench.steps STEP --out RESULT.json [options]

The orchestrator (bench/run.py) runs these; each writes one JSON object to --out."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kolaborasi.settings")

import django

django.setup()

from django.core.management import call_command, get_commands  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from kolaborasi.campaigns.services import AidTypeUnit, campaign_for_new_needs  # noqa: E402
from kolaborasi.core.progress import progress_bar  # noqa: E402
from kolaborasi.regions.models import Region  # noqa: E402
from kolaborasi.regions.services import regions_load, registry_rows  # noqa: E402
from kolaborasi.stats import tally  # noqa: E402
from kolaborasi.targets import imports, writer  # noqa: E402

SOURCE = "BENCH sintetis"
AS_OF = "2020-04-20"
KINDS = ["pesantren", "panti-asuhan", "panti-disabilitas", "panti-jompo"]
PREFIX = {
    "pesantren": "Pondok Pesantren",
    "panti-asuhan": "Panti Asuhan",
    "panti-disabilitas": "Panti Disabilitas",
    "panti-jompo": "Panti Werdha",
}
# status, share of the history
STATUS_MIX = [
    ("committed", 0.50),
    ("delivered", 0.25),
    ("confirmed", 0.15),
    ("cancelled", 0.07),
    ("expired", 0.03),
]


# Every column of accounts_organisation that has no database default.
ORG_COLUMNS = ["id", "name", "kind", "subtype", "verified", "description", "created_at", "suspended_reason"]


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def table_columns(table: str) -> dict[str, tuple[bool, bool]]:
    """column -> (required: NOT NULL without default and not generated/identity, generated)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'"
            " AND is_generated = 'NEVER', is_generated <> 'NEVER'"
            " FROM information_schema.columns WHERE table_name = %s",
            [table],
        )
        return {name: (required, generated) for name, required, generated in cur.fetchall()}


def missing_required(table: str, columns: list[str]) -> list[str]:
    return [c for c, (required, _g) in table_columns(table).items() if required and c not in columns]


def copy_text(table: str, columns: list[str], lines: Iterable[str], progress: Callable[[int], None]) -> int:
    """COPY pre-rendered tab-separated lines (our generated values never contain tabs,
    newlines or backslashes) — the fastest way into PostgreSQL from Python."""
    total = 0
    sql = f"COPY {q(table)} ({', '.join(q(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        buf: list[str] = []
        for line in lines:
            buf.append(line)
            if len(buf) >= 50_000:
                copy.write("".join(buf))
                progress(len(buf))
                total += len(buf)
                buf = []
        if buf:
            copy.write("".join(buf))
            progress(len(buf))
            total += len(buf)
    return total


def open_campaign_id(province: str | None) -> int:
    """The campaign every need of the bench belongs to: the one open campaign, opened
    over the bench's province (or every province) on a fresh database."""
    from kolaborasi.targets.models import AidType

    codes = (
        [province] if province else list(Region.objects.filter(level="province").values_list("pk", flat=True))
    )
    aid_types = [
        AidTypeUnit(a.pk, a.slug, a.unit) for a in AidType.objects.filter(active=True).order_by("pk")
    ]
    return campaign_for_new_needs(actor=None, region_codes=codes, aid_types=aid_types).pk


def next_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {q(table)}")
        return int(cur.fetchone()[0])


def fix_sequence(table: str) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT coalesce(max(id), 1) FROM {q(table)}))",
            [q(table)],
        )


# --- registry -------------------------------------------------------------------------


def step_registry(args: argparse.Namespace) -> dict[str, Any]:
    """`kolaborasi regions load` (the service) vs a raw insert of the same rows into a
    scratch table shaped like regions_region, same process, same database."""
    vendor = connection.vendor
    start = time.perf_counter()
    result = regions_load(actor=None, province=args.province)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    rows = registry_rows(args.province)
    data = [(r.code, r.name, r.level, r.parent_id) for r in rows]
    with transaction.atomic(), connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute("CREATE TEMP TABLE bench_region_ref (LIKE regions_region INCLUDING ALL)")
            with cur.cursor.copy("COPY bench_region_ref (code, name, level, parent_id) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            cur.execute(
                "CREATE TEMP TABLE bench_region_ref (code varchar(24) PRIMARY KEY, name varchar(120),"
                " level varchar(10), parent_id varchar(24), centroid_lat real, centroid_lng real)"
            )
            cur.execute("CREATE INDEX bench_ref_level ON bench_region_ref (level)")
            cur.execute("CREATE INDEX bench_ref_parent ON bench_region_ref (parent_id, name)")
            cur.executemany(
                "INSERT INTO bench_region_ref (code, name, level, parent_id) VALUES (%s, %s, %s, %s)", data
            )
        cur.execute("DROP TABLE bench_region_ref")
    ref_seconds = time.perf_counter() - start
    return {"vendor": vendor, "rows": result.total, "seconds": seconds, "ref_seconds": ref_seconds}


# --- national dataset -----------------------------------------------------------------


def _villages(province: str | None) -> list[tuple[str, str]]:
    qs = Region.objects.filter(level="village")
    if province:
        qs = qs.filter(code__startswith=province + ".")
    return list(qs.order_by("code").values_list("code", "name"))


def step_dataset(args: argparse.Namespace) -> dict[str, Any]:
    """RWs for every village (skewed households), institutions, donor organisations and
    a pledge/delivery history consistent with Need.held, all through COPY."""
    assert connection.vendor == "postgresql", "the national dataset is built on PostgreSQL"
    rnd = random.Random(args.seed)
    villages = _villages(args.province)
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.isoformat(sep=" ")
    today = now.date()
    out: dict[str, Any] = {"villages": len(villages)}
    mu = max(0.1, float(args.rws_per_village))
    campaign_id = open_campaign_id(args.province)
    with connection.cursor() as cur:
        cur.execute("SELECT id, slug FROM targets_aidtype WHERE active ORDER BY sort_order, slug")
        aid_types = [int(r[0]) for r in cur.fetchall()]
        cur.execute("SELECT count(*) FROM regions_region WHERE level = 'rw'")
        if cur.fetchone()[0]:
            raise SystemExit("dataset: RWs already exist in this database; use a fresh one")
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cur:
            try:
                # The generated rows are consistent by construction; skipping the per-row
                # FK triggers during the bulk build roughly halves its time.
                cur.execute("SET LOCAL session_replication_role = replica")
                out["fk_triggers"] = "off during build"
            except Exception:  # not a superuser: keep the triggers
                out["fk_triggers"] = "on"
        # RWs and institutions ----------------------------------------------------------
        target_id = next_id("targets_target")
        regions: list[str] = []
        targets: list[str] = []
        sizes: list[int] = []
        for code, vname in villages:
            parts = code.split(".")
            where = f"{parts[0]}.{parts[1]}.{parts[2]}\t{parts[0]}.{parts[1]}\t{parts[0]}"
            vname = vname.replace("\t", " ").replace("\\", " ")
            count = max(1, min(40, round(rnd.lognormvariate(0, 0.55) * mu * 0.86)))
            for number in range(1, count + 1):
                rw = f"{code}.{number:03d}"
                hh = int(min(1200, max(10, rnd.lognormvariate(4.9, 0.75))))
                regions.append(f"{rw}\tRW {number:03d}\trw\t{code}\n")
                targets.append(
                    f"{target_id}\trw\tRW {number:03d} {vname}\t{where}\t{hh}\t\t\t\\N\t\\N\t{SOURCE}\t"
                    f"{AS_OF}\tt\t{stamp}\t{stamp}\t{rw}\t{code}\n"
                )
                sizes.append(hh)
                target_id += 1
            if rnd.random() < args.institution_ratio:
                kind = rnd.choice(KINDS)
                residents = rnd.randint(10, 300)
                targets.append(
                    f"{target_id}\t{kind}\t{PREFIX[kind]} {vname} {target_id}\t{where}\t{residents}\t\t\t"
                    f"\\N\t\\N\t{SOURCE}\t{AS_OF}\tt\t{stamp}\t{stamp}\t{code}\t{code}\n"
                )
                sizes.append(residents)
                target_id += 1
        first_target = target_id - len(sizes)
        out["rws"] = len(regions)
        out["institutions"] = len(sizes) - len(regions)
        with progress_bar(len(regions), "bench: RW regions") as bar:
            copy_text("regions_region", ["code", "name", "level", "parent_id"], regions, bar)
        target_cols = [
            "id",
            "kind",
            "name",
            "district_code",
            "city_code",
            "province_code",
            "size",
            "head_name",
            "address",
            "lat",
            "lng",
            "source",
            "as_of",
            "synthetic",
            "created_at",
            "updated_at",
            "region_id",
            "village_id",
        ]
        with progress_bar(len(targets), "bench: targets") as bar:
            copy_text("targets_target", target_cols, targets, bar)
        del regions, targets
        # Needs: one per target and aid type; held/delivered/confirmed follow the history.
        n_needs = len(sizes) * len(aid_types)
        quantity = [sizes[i // len(aid_types)] for i in range(n_needs)]
        held = [0] * n_needs
        delivered = [0] * n_needs
        confirmed = [0] * n_needs
        out["needs"] = n_needs
        history: list[tuple[int, int, int, int, int, int, str, int, int]] = []
        pledge_cols = [
            "id",
            "organisation_id",
            "need_id",
            "target_id",
            "aid_type_id",
            "quantity",
            "delivered",
            "confirmed",
            "released",
            "status",
            "planned_delivery",
            "contact_name",
            "contact_phone",
            "created_at",
            "updated_at",
        ]
        missing = missing_required("pledges_pledge", pledge_cols)
        n_pledges = args.pledges
        if missing:
            out["pledges_skipped"] = (
                f"pledges_pledge has required columns {missing} this generator does not know"
            )
            n_pledges = 0
        n_orgs = max(20, n_pledges // 200) if n_pledges else 0
        first_org = next_id("accounts_organisation")
        if n_orgs:
            subtypes = ["company", "community", "individual"]
            orgs = (
                f"{first_org + i}\tDonatur Bench {i + 1:05d}\tdonor\t{subtypes[i % 3]}\tt\t\t{stamp}\t\n"
                for i in range(n_orgs)
            )
            with progress_bar(n_orgs, "bench: organisations") as bar:
                copy_text(
                    "accounts_organisation",
                    ORG_COLUMNS,
                    orgs,
                    bar,
                )
        out["organisations"] = n_orgs
        if n_pledges:
            # Popular targets attract most pledges (aid stacks up on the same streets): pick needs
            # with a power-law over a shuffled order.
            order = list(range(n_needs))
            rnd.shuffle(order)
            cum = []
            acc = 0.0
            for status, share in STATUS_MIX:
                acc += share
                cum.append((acc, status))
            with progress_bar(n_pledges, "bench: pledge history") as bar:
                tries = 0
                while len(history) < n_pledges and tries < n_pledges * 4:
                    tries += 1
                    i = order[int(n_needs * rnd.random() ** 2.2)]
                    free = quantity[i] - held[i]
                    if free <= 0:
                        continue
                    qty = min(free, 1 + int(rnd.expovariate(1 / 15)))
                    r = rnd.random()
                    status = next(s for c, s in cum if r <= c) if r < cum[-1][0] else "committed"
                    d = c = rel = 0
                    if status in ("delivered", "confirmed"):
                        d = qty
                        c = qty if status == "confirmed" else 0
                    elif status == "cancelled":
                        rel = qty
                    elif status == "expired":
                        d = rnd.randint(0, qty - 1)
                        rel = qty - d
                    held[i] += qty - rel
                    delivered[i] += d
                    confirmed[i] += c
                    age = rnd.randint(0, 60)
                    if status == "committed":
                        planned = (today + timedelta(days=rnd.randint(1, 14))).toordinal()
                    else:
                        planned = (
                            today - timedelta(days=age) + timedelta(days=rnd.randint(0, 7))
                        ).toordinal()
                    history.append(
                        (i, first_org + rnd.randrange(n_orgs), qty, d, c, rel, status, age, planned)
                    )
                    if len(history) % 50_000 == 0:
                        bar(50_000)
                bar(len(history) % 50_000)
        first_need = next_id("targets_need")
        n_types = len(aid_types)

        def need_lines() -> Iterator[str]:
            for i in range(n_needs):
                yield (
                    f"{first_need + i}\t{campaign_id}\t{first_target + i // n_types}\t"
                    f"{aid_types[i % n_types]}\t"
                    f"{quantity[i]}\t{held[i]}\t{delivered[i]}\t{confirmed[i]}\t{SOURCE}\t{AS_OF}\t{stamp}\n"
                )

        need_cols = [
            "id",
            "campaign_id",
            "target_id",
            "aid_type_id",
            "quantity",
            "held",
            "delivered",
            "confirmed",
            "source",
            "as_of",
            "updated_at",
        ]
        with progress_bar(n_needs, "bench: needs") as bar:
            copy_text("targets_need", need_cols, need_lines(), bar)
        out["pledges"] = len(history)
        out["deliveries"] = 0
        if history:
            first_pledge = next_id("pledges_pledge")
            day0 = date.fromordinal

            def pledge_lines() -> Iterator[str]:
                for k, (i, org, qty, d, c, rel, status, age, planned) in enumerate(history):
                    created = (now - timedelta(days=age, seconds=k % 86400)).isoformat(sep=" ")
                    yield (
                        f"{first_pledge + k}\t{org}\t{first_need + i}\t{first_target + i // n_types}\t"
                        f"{aid_types[i % n_types]}\t{qty}\t{d}\t{c}\t{rel}\t{status}\t{day0(planned)}\t"
                        f"Relawan {k % 997}\t\t{created}\t{created}\n"
                    )

            with progress_bar(len(history), "bench: pledges") as bar:
                copy_text("pledges_pledge", pledge_cols, pledge_lines(), bar)
            delivery_cols = ["id", "pledge_id", "quantity", "delivered_on", "evidence", "created_at"]
            if not missing_required("pledges_delivery", delivery_cols):
                first_delivery = next_id("pledges_delivery")

                def delivery_lines() -> Iterator[str]:
                    n = 0
                    for k, (_i, _o, _q, d, _c, _r, _s, age, _p) in enumerate(history):
                        if d:
                            on = today - timedelta(days=max(0, age - 2))
                            yield f"{first_delivery + n}\t{first_pledge + k}\t{d}\t{on}\t\t{stamp}\n"
                            n += 1

                n_del = sum(1 for h in history if h[3])
                with progress_bar(n_del, "bench: deliveries") as bar:
                    out["deliveries"] = copy_text("pledges_delivery", delivery_cols, delivery_lines(), bar)
            else:
                out["deliveries_skipped"] = (
                    "pledges_delivery has required columns this generator does not know"
                )
        out.update(_donations(args, rnd, first_org, n_orgs, stamp, today))
        for table in [
            "targets_target",
            "targets_need",
            "accounts_organisation",
            "pledges_pledge",
            "pledges_delivery",
        ]:
            fix_sequence(table)
    out["boundaries"] = _boundaries()
    # The rows went in with the triggers off, so the stats' running totals start from
    # the needs (kolaborasi.stats.tally), as after any bulk load.
    tally_started = time.perf_counter()
    tally.rebuild()
    out["tally_seconds"] = time.perf_counter() - tally_started
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    out["seconds"] = time.perf_counter() - started
    return out


def _boundaries() -> str:
    """The reference Jakarta boundaries, when present (as the demo does), so the map data
    of a Jakarta kota has real polygons to measure."""
    from django.conf import settings

    from kolaborasi.regions.services import boundaries_import

    folder = Path(settings.BOUNDARIES_DIR)
    names = ["jakarta-kota.geojson", "jakarta-kecamatan.geojson", "jakarta-kelurahan.geojson"]
    if not all((folder / n).is_file() for n in names):
        return f"none ({folder} not found)"
    count = 0
    for name in names:
        count += boundaries_import(actor=None, data=(folder / name).read_bytes(), label=name).imported
    return f"{count} Jakarta boundaries from {folder}"


def _donations(
    args: argparse.Namespace, rnd: random.Random, first_org: int, n_orgs: int, stamp: str, today: date
) -> dict[str, Any]:
    """Donations to verified aggregators with their double-entry ledger, as
    funds.services.donation_confirm would have posted them (cash +amount,
    contributions -amount per confirmed donation)."""
    n = args.donations if n_orgs else 0
    tables = {"funds_donation", "funds_ledgeraccount", "funds_ledgertransaction", "funds_ledgerentry"}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name = ANY(%s)", [list(tables)]
        )
        present = {r[0] for r in cur.fetchall()}
    if present != tables:
        raise SystemExit(f"bench: the funds ledger tables are missing: {sorted(tables - present)}")
    donation_cols = [
        "id",
        "donor_id",
        "aggregator_id",
        "amount",
        "allocated",
        "donated_on",
        "channel",
        "reference",
        "public",
        "status",
        "reject_reason",
        "decided_at",
        "created_at",
    ]
    checks = {
        "funds_donation": donation_cols,
        "funds_ledgeraccount": ["id", "aggregator_id", "kind", "balance"],
        "funds_ledgertransaction": ["id", "aggregator_id", "memo", "donation_id", "created_at"],
        "funds_ledgerentry": ["id", "transaction_id", "account_id", "amount"],
    }
    for table, cols in checks.items():
        missing = missing_required(table, cols)
        if missing:
            return {
                "donations": f"skipped: {table} has required columns {missing} this generator does not know"
            }
    if not n:
        return {"donations": 0}
    n_aggs = 50
    first_agg = next_id("accounts_organisation")
    aggs = (
        f"{first_agg + i}\tAgregator Bench {i + 1:02d}\taggregator\t\tt\t\t{stamp}\t\n" for i in range(n_aggs)
    )
    with progress_bar(n_aggs, "bench: aggregators") as bar:
        copy_text(
            "accounts_organisation",
            ORG_COLUMNS,
            aggs,
            bar,
        )
    first_account = next_id("funds_ledgeraccount")
    first_donation = next_id("funds_donation")
    first_tx = next_id("funds_ledgertransaction")
    first_entry = next_id("funds_ledgerentry")
    cash = [0] * n_aggs
    donations: list[str] = []
    txs: list[str] = []
    entries: list[str] = []
    confirmed = 0
    for k in range(n):
        agg = rnd.randrange(n_aggs)
        amount = int(rnd.choice([50_000, 100_000, 250_000, 500_000, 1_000_000, 5_000_000, 20_000_000]))
        r = rnd.random()
        status = "confirmed" if r < 0.8 else ("pending" if r < 0.9 else "rejected")
        day = today - timedelta(days=rnd.randint(0, 60))
        decided = stamp if status != "pending" else "\\N"
        did = first_donation + k
        donations.append(
            f"{did}\t{first_org + rnd.randrange(n_orgs)}\t{first_agg + agg}\t{amount}\t0\t{day}\ttransfer\t"
            f"BENCH-{k}\t{'t' if k % 3 else 'f'}\t{status}\t\t{decided}\t{stamp}\n"
        )
        if status == "confirmed":
            tx = first_tx + confirmed
            txs.append(f"{tx}\t{first_agg + agg}\tdonasi #{did} dikonfirmasi\t{did}\t{stamp}\n")
            cash_acc, contrib_acc = first_account + agg * 3, first_account + agg * 3 + 1
            entries.append(f"{first_entry + 2 * confirmed}\t{tx}\t{cash_acc}\t{amount}\n")
            entries.append(f"{first_entry + 2 * confirmed + 1}\t{tx}\t{contrib_acc}\t{-amount}\n")
            cash[agg] += amount
            confirmed += 1
    accounts = []
    for agg in range(n_aggs):
        base = first_account + agg * 3
        accounts.append(f"{base}\t{first_agg + agg}\tcash\t{cash[agg]}\n")
        accounts.append(f"{base + 1}\t{first_agg + agg}\tcontributions\t{-cash[agg]}\n")
        accounts.append(f"{base + 2}\t{first_agg + agg}\tallocated\t0\n")
    with progress_bar(n + len(txs) + len(entries), "bench: donations and ledger") as bar:
        copy_text("funds_ledgeraccount", checks["funds_ledgeraccount"], accounts, bar)
        copy_text("funds_donation", donation_cols, donations, bar)
        copy_text("funds_ledgertransaction", checks["funds_ledgertransaction"], txs, bar)
        copy_text("funds_ledgerentry", checks["funds_ledgerentry"], entries, bar)
    for table in checks:
        fix_sequence(table)
    fix_sequence("accounts_organisation")
    return {"donations": n, "aggregators": n_aggs, "ledger_entries": len(entries)}


# --- RW CSV import vs COPY -------------------------------------------------------------


class _Rollback(Exception):
    pass


def _import_csv(rows: int, province: str | None, seed: int) -> bytes:
    rnd = random.Random(seed)
    villages = [code for code, _name in _villages(province)]
    rnd.shuffle(villages)
    lines = ["village_code,rw_number,households,head_name,as_of,source\n"]
    n = 0
    number = 900
    while n < rows:
        number += 1
        if number > 999:
            raise SystemExit("import: not enough villages for that many rows")
        for code in villages:
            if n >= rows:
                break
            hh = int(min(1200, max(10, rnd.lognormvariate(4.9, 0.75))))
            lines.append(f"{code},{number},{hh},Ketua {n % 1000},2020-04-20,BENCH impor\n")
            n += 1
    return "".join(lines).encode()


def step_import(args: argparse.Namespace) -> dict[str, Any]:
    """`rw_import` end to end (decode, parse, validate, write, audit) vs a raw COPY of
    the very rows it writes (regions, targets, needs) into the same tables. Every round
    is rolled back so rounds see the same tables; medians are reported."""
    assert connection.vendor == "postgresql"
    data = _import_csv(args.rows, args.province, args.seed)
    _, parsed = imports.read_csv(data, imports.RW_REQUIRED)
    regions, targets = imports.rw_rows_to_objects(parsed, synthetic=True)
    campaign_id = open_campaign_id(args.province)
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM targets_aidtype WHERE active ORDER BY sort_order, slug")
        aid_types = [int(r[0]) for r in cur.fetchall()]
    now = datetime.now(UTC)
    region_rows = [(r.code, r.name, r.level, r.parent_id) for r in regions]
    db_rows = len(regions) + len(targets) * (1 + len(aid_types))
    timings: dict[str, list[float]] = {"copy": [], "import": [], "import_bulk_create": []}

    def raw_copy() -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('targets_target', 'id')) FROM generate_series(1, %s)",
                [len(targets)],
            )
            ids = [r[0] for r in cur.fetchall()]
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('targets_need', 'id')) FROM generate_series(1, %s)",
                [len(targets) * len(aid_types)],
            )
            need_ids = iter([r[0] for r in cur.fetchall()])
            target_rows = [
                (
                    tid,
                    t.kind,
                    t.name,
                    t.region_id,
                    t.village_id,
                    t.district_code,
                    t.city_code,
                    t.province_code,
                    t.size,
                    t.head_name,
                    "",
                    t.source,
                    t.as_of,
                    True,
                    now,
                    now,
                )
                for tid, t in zip(ids, targets, strict=True)
            ]
            need_rows = [
                (next(need_ids), campaign_id, tid, a, t.size, 0, 0, 0, t.source, t.as_of, now)
                for tid, t in zip(ids, targets, strict=True)
                for a in aid_types
            ]
            start = time.perf_counter()
            with cur.cursor.copy("COPY regions_region (code, name, level, parent_id) FROM STDIN") as copy:
                for region_row in region_rows:
                    copy.write_row(region_row)
            with cur.cursor.copy(
                "COPY targets_target (id, kind, name, region_id, village_id, district_code, city_code,"
                " province_code, size, head_name, address, source, as_of, synthetic, created_at, updated_at)"
                " FROM STDIN"
            ) as copy:
                for target_row in target_rows:
                    copy.write_row(target_row)
            with cur.cursor.copy(
                "COPY targets_need (id, campaign_id, target_id, aid_type_id, quantity, held, delivered,"
                " confirmed, source, as_of, updated_at) FROM STDIN"
            ) as copy:
                for need_row in need_rows:
                    copy.write_row(need_row)
            timings["copy"].append(time.perf_counter() - start)

    def run_import() -> None:
        start = time.perf_counter()
        result = imports.rw_import(actor=None, data=data, label="bench.csv")
        timings["import"].append(time.perf_counter() - start)
        assert result.created == args.rows, result

    def run_bulk() -> None:
        # The importer with its portable write path (multi-row INSERT), for comparison.
        original = writer._write_copy
        writer._write_copy = writer._write_bulk  # type: ignore[assignment]
        try:
            start = time.perf_counter()
            imports.rw_import(actor=None, data=data, label="bench.csv")
            timings["import_bulk_create"].append(time.perf_counter() - start)
        finally:
            writer._write_copy = original  # type: ignore[assignment]

    for number in range(args.rounds):
        # The slow portable path once only: it is there for comparison, not judged.
        for fn in (raw_copy, run_import, run_bulk) if number == 0 else (raw_copy, run_import):
            try:
                with transaction.atomic():
                    fn()
                    raise _Rollback
            except _Rollback:
                pass
    med = {k: sorted(v)[len(v) // 2] for k, v in timings.items()}
    return {
        "rows": args.rows,
        "db_rows": db_rows,
        "rounds": args.rounds,
        "seconds": med,
        "all": timings,
        "rows_per_s": {k: args.rows / v for k, v in med.items()},
    }


# --- HTTP preparation and checks --------------------------------------------------------


def step_prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Pick the inputs of the HTTP scenarios and create API tokens if the accounts
    command exists."""
    rnd = random.Random(args.seed)
    out: dict[str, Any] = {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT city_code, count(*) FROM targets_target WHERE kind = 'rw'"
            " GROUP BY city_code ORDER BY count(*) DESC, city_code LIMIT 1"
        )
        city, city_rws = cur.fetchone()
        out["city"], out["city_rws"] = city, int(city_rws)
        cur.execute("SELECT name FROM regions_region WHERE code = %s", [city])
        out["city_name"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM targets_target")
        n_targets = cur.fetchone()[0]
        cur.execute(
            "SELECT id FROM targets_target WHERE id %% %s = 0 LIMIT 5000", [max(1, n_targets // 5000)]
        )
        out["target_ids"] = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT n.target_id, a.slug FROM targets_need n JOIN targets_aidtype a ON a.id = n.aid_type_id"
            " WHERE n.remaining >= 10 AND n.id %% %s = 0 LIMIT 20000",
            [max(1, n_targets * 3 // 20000)],
        )
        spread = [list(r) for r in cur.fetchall()]
        rnd.shuffle(spread)
        out["spread"] = spread
        # The hot target: one sembako need in that city, sized so that a run exhausts it
        # part-way (then every further pledge must get 409, never an over-commit).
        cur.execute(
            "SELECT n.id, n.target_id, a.slug, n.held FROM targets_need n"
            " JOIN targets_aidtype a ON a.id = n.aid_type_id JOIN targets_target t ON t.id = n.target_id"
            " WHERE t.city_code = %s AND t.kind = 'rw' ORDER BY a.sort_order, n.remaining DESC LIMIT 1",
            [city],
        )
        need_id, target, slug, held = cur.fetchone()
        cur.execute("UPDATE targets_need SET quantity = %s WHERE id = %s", [held + args.hot_units, need_id])
        out["hot"] = {"need": need_id, "target": target, "aid_type": slug, "units": args.hot_units}
    tokens: list[str] = []
    if "org" not in get_commands():
        raise SystemExit("bench: the `kolaborasi org` command is missing (it creates the API tokens)")
    for i in range(args.tokens):
        buf = StringIO()
        call_command(
            "org",
            "create",
            "--name",
            f"Bench Donatur HTTP {os.getpid()}-{i}",
            "--kind",
            "donor",
            "--subtype",
            "company",
            # Verified, and the server runs with a limit no run reaches: the bench
            # measures the pledge path, not the hold limit refusing it.
            "--verified",
            stdout=buf,
        )
        tokens.append(json.loads(buf.getvalue().strip().splitlines()[-1])["token"])
    out["tokens"] = tokens
    out["planned_delivery"] = (timezone.localdate() + timedelta(days=7)).isoformat()
    return out


def step_check(args: argparse.Namespace) -> dict[str, Any]:
    """Invariants after the load: no need over-committed, held equals the recomputation
    from its pledges, and every pledge id that got a 2xx is in the database."""
    ids: list[int] = json.loads(Path(args.ids).read_text()) if args.ids else []
    out: dict[str, Any] = {}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM targets_need WHERE held > quantity")
        out["over_committed"] = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM targets_need n LEFT JOIN ("
            " SELECT need_id, sum(quantity - released) AS h, sum(delivered) AS d, sum(confirmed) AS c"
            " FROM pledges_pledge GROUP BY need_id) p ON p.need_id = n.id"
            " WHERE n.held <> coalesce(p.h, 0)"
        )
        out["held_mismatch"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM targets_need WHERE delivered > held OR confirmed > delivered")
        out["delivered_gt_held"] = cur.fetchone()[0]
        present = 0
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            cur.execute("SELECT count(*) FROM pledges_pledge WHERE id = ANY(%s)", [chunk])
            present += cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM funds_ledgerentry"
            " GROUP BY transaction_id HAVING sum(amount) <> 0) x"
        )
        out["ledger_unbalanced"] = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM funds_ledgeraccount a LEFT JOIN (SELECT account_id, sum(amount) s"
            " FROM funds_ledgerentry GROUP BY account_id) e ON e.account_id = a.id"
            " WHERE a.balance <> coalesce(e.s, 0) OR (a.kind = 'cash' AND a.balance < 0)"
        )
        out["ledger_balance_mismatch"] = cur.fetchone()[0]
        # The stats' running totals, folded, equal the needs after the load.
        out["tally_drift"] = len(tally.drift())
        out["acknowledged"] = len(ids)
        out["acknowledged_present"] = present
        out["acknowledged_distinct"] = len(set(ids))
    out["ok"] = (
        out["over_committed"] == 0
        and out["held_mismatch"] == 0
        and out["delivered_gt_held"] == 0
        and out["ledger_unbalanced"] == 0
        and out["ledger_balance_mismatch"] == 0
        and out["tally_drift"] == 0
        and present == len(set(ids))
    )
    return out


def step_sizes(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with connection.cursor() as cur:
        for label, sql in [
            ("regions (registry)", "SELECT count(*) FROM regions_region WHERE level <> 'rw'"),
            ("villages", "SELECT count(*) FROM regions_region WHERE level = 'village'"),
            ("RW targets", "SELECT count(*) FROM targets_target WHERE kind = 'rw'"),
            ("institutions", "SELECT count(*) FROM targets_target WHERE kind <> 'rw'"),
            ("households / residents", "SELECT coalesce(sum(size), 0) FROM targets_target"),
            ("needs", "SELECT count(*) FROM targets_need"),
            ("organisations", "SELECT count(*) FROM accounts_organisation"),
            ("pledges", "SELECT count(*) FROM pledges_pledge"),
            ("deliveries", "SELECT count(*) FROM pledges_delivery"),
        ]:
            cur.execute(sql)
            out[label] = int(cur.fetchone()[0])
        cur.execute("SELECT count(*) FROM funds_donation")
        out["donations"] = int(cur.fetchone()[0])
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            out["database size"] = cur.fetchone()[0]
    return out


# --- allocation planner vs a reference solver ------------------------------------------


def reference_plan(needs: list[tuple[int, int, int]], stock: int) -> list[tuple[int, int]]:
    """The documented rule done the obvious way: hand out one package at a time to the
    need that ranks first by the priority rule before receiving it (kolaborasi/targets/
    priority.py: lowest coverage held / quantity, then the most remaining, then the lower
    target id). A heap, O(stock · log n). min_drop = 1."""
    import heapq

    heap = [(h / qty, h - qty, tid, h, qty) for tid, qty, h in needs if qty > 0 and qty > h]
    heapq.heapify(heap)
    given: dict[int, int] = {}
    for _ in range(stock):
        if not heap:
            break
        _cov, _rem, tid, h, qty = heapq.heappop(heap)
        given[tid] = given.get(tid, 0) + 1
        if h + 1 < qty:
            heapq.heappush(heap, ((h + 1) / qty, h + 1 - qty, tid, h + 1, qty))
    return sorted(given.items())


def step_planner(args: argparse.Namespace) -> dict[str, Any]:
    from kolaborasi.funds.planner import plan_allocation
    from kolaborasi.funds.selectors import plan_needs
    from kolaborasi.targets.models import AidType

    out: dict[str, Any] = {"stock": args.stock}
    # The needs are read the way plan_create reads them (every sembako need of an RW with
    # unmet units, the whole country): the reading figure is the application's own.
    sembako = AidType.objects.get(slug="sembako")
    start = time.perf_counter()
    rows = plan_needs(aid_type=sembako, region=None, kinds="rw")
    out["load_seconds"] = time.perf_counter() - start
    # (target id, quantity, held): the target id is the rule's last tie-break, as in
    # funds.plans.plan_create.
    planner_input = rows[:, [3, 1, 2]]
    needs = [(int(a), int(b), int(c)) for a, b, c in planner_input.tolist()]  # for the reference
    out["needs"] = len(needs)
    times: dict[str, list[float]] = {"planner": [], "reference": []}
    plan: list[tuple[int, int]] = []
    ref: list[tuple[int, int]] = []
    for _round in range(args.rounds):
        start = time.perf_counter()
        plan = plan_allocation(planner_input, args.stock)
        times["planner"].append(time.perf_counter() - start)
        start = time.perf_counter()
        ref = reference_plan(needs, args.stock)
        times["reference"].append(time.perf_counter() - start)
    out["seconds"] = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    out["allocated"] = sum(u for _n, u in plan)
    out["reference_allocated"] = sum(u for _n, u in ref)
    out["targets"] = len(plan)
    out["equal"] = plan == ref
    if not out["equal"]:
        a, b = dict(plan), dict(ref)
        out["differences"] = sum(1 for k in set(a) | set(b) if a.get(k) != b.get(k))
        # Which way do the two break coverage ties? (documented: towards the larger need)
        size = {nid: qty for nid, qty, _h in needs}
        out["mean_need_planner"] = sum(size[k] for k in a) / max(1, len(a))
        out["mean_need_reference"] = sum(size[k] for k in b) / max(1, len(b))
    return out


STEPS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "registry": step_registry,
    "dataset": step_dataset,
    "import": step_import,
    "prepare": step_prepare,
    "check": step_check,
    "sizes": step_sizes,
    "planner": step_planner,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.steps")
    parser.add_argument("step", help="one or more of " + ", ".join(sorted(STEPS)) + ", comma-separated")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--province", default=None)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--rws-per-village", type=float, default=5.0)
    parser.add_argument("--institution-ratio", type=float, default=0.25)
    parser.add_argument("--pledges", type=int, default=1_000_000)
    parser.add_argument("--donations", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hot-units", type=int, default=3000)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--ids", default="")
    parser.add_argument("--stock", type=int, default=100_000)
    args = parser.parse_args(argv)
    # Several steps in one process: Django start-up costs seconds on a busy machine.
    names = args.step.split(",")
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        parser.error(f"unknown step(s) {unknown}")
    result = {name: STEPS[name](args) for name in names}
    args.out.write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
