"""The Markdown report: bench/results/<date>-<machine>.md and latest.md (smoke runs get
a -smoke suffix so they never overwrite a full result)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return [*out, ""]


def http_verdict(row: dict[str, Any]) -> bool | None:
    name = row["name"]
    if row.get("status") != "measured":
        return None
    if name == "targets_priority":
        return bool(row["p95"] < 50)
    if name == "stats_summary":
        return bool(row["p95"] < 50 and row["rps"] >= 1000)
    if name == "stats_regions_city":
        return bool(row["p95"] < 100)
    if name == "map_data":
        return bool(row.get("bytes_gzip", 10**9) < 300 * 1024)
    if name == "pledge_spread":
        return bool(row.get("created_rps", 0) >= 500 and row["p95"] < 100)
    if name == "pledge_hot":
        return bool(row.get("created_rps", 0) >= 300 and row["p95"] < 100)
    return None


# The pledge's one-statement path on PostgreSQL is kept only while it creates pledges at
# least this much faster than the portable path (docs/decisions/0001-sql-fast-paths.md).
KEEP_SPECIAL_PATH = 1.20


def paths_compared(http: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """(scenario, one-statement 201/s, portable 201/s) for each pledge scenario measured
    on both paths."""
    by_name = {r["name"]: r for r in http if r.get("status") == "measured"}
    out = []
    for name in ("pledge_spread", "pledge_hot"):
        one, portable = by_name.get(name), by_name.get(name + "_portable")
        if one and portable:
            out.append((name, float(one.get("created_rps", 0.0)), float(portable.get("created_rps", 0.0))))
    return out


def _paths_section(http: list[dict[str, Any]], smoke: bool) -> list[str]:
    compared = paths_compared(http)
    if not compared:
        return []
    rows = [
        [
            name,
            _n(one),
            _n(portable),
            f"{one / portable:.2f}×" if portable else "—",
        ]
        for name, one, portable in compared
    ]
    spread = dict((name, (one, portable)) for name, one, portable in compared).get("pledge_spread")
    if spread and spread[1] and not smoke:
        ratio = spread[0] / spread[1]
        verdict = (
            f"the one-statement path created {ratio:.2f}× as many pledges per second as the portable "
            f"path on the spread load: "
            + (
                "**keep it** (at least 20 % faster)."
                if ratio >= KEEP_SPECIAL_PATH
                else "**drop it** (less than 20 % faster)."
            )
        )
    else:
        verdict = "no verdict (smoke run, or a path not measured)."
    return [
        "### Pledge write paths on PostgreSQL",
        "",
        "The same pledge load on the one-statement path and on the portable (ORM) path, back to back "
        "(a second server with `PLEDGE_ONE_STATEMENT = False`, bench/portable_settings.py). "
        f"Decision rule: keep the special path only if it is at least 20 % faster. Verdict: {verdict}",
        "",
        *_table(["scenario", "one-statement 201/s", "portable 201/s", "ratio"], rows),
    ]


def render(results: dict[str, Any], args: argparse.Namespace) -> str:
    smoke = bool(args.smoke)
    m = results["machine"]
    lines = [
        f"# kolaborasi benchmark — {results['started']}"
        + (" (SMOKE: tiny dataset, figures not meaningful)" if smoke else ""),
        "",
        "Every figure is measured beside its reference **in the same run on the same machine**"
        "; ratios matter more than absolute numbers on these noisy machines.",
        "",
        "## Machine",
        "",
    ]
    lines += _table(
        ["cores", "CPU", "memory", "PostgreSQL", "Python", "OS", "commit"],
        [
            [
                str(m["cores"]),
                m["cpu"],
                f"{m['memory_gb']} GB",
                m["postgresql"],
                m["python"],
                m["os"],
                m["commit"],
            ]
        ],
    )
    if m.get("load_start"):
        lines += [
            f"Load average (1, 5, 15 min) at the start: {m['load_start']}; "
            f"at the end: {m.get('load_end', '?')}. "
            f"Anything well above {m['cores']} means other work shared the machine during the run "
            "and every absolute figure is depressed; the ratios to the references are what to read.",
            "",
        ]
    setup = results.get("http_setup", {})
    if setup:
        lines += [
            f"HTTP: gunicorn with {setup['workers']} sync workers and the load tool (wrk, "
            f"{setup['users']} connections, no think time, {setup['duration']} s per scenario) run "
            f"**on the same {m['cores']}-core box**, on loopback, DEBUG off; so server and client "
            "compete for the cores and absolute req/s are a floor, not a ceiling. "
            f"Cache: {setup.get('cache', 'local memory per worker')}.",
            "",
        ]
    lines += ["## Data", ""]
    ds = results.get("dataset", {})
    sizes = results.get("sizes", {})
    lines += _table(
        ["what", "rows"], [[k, _n(v) if isinstance(v, int) else str(v)] for k, v in sizes.items()]
    )
    if ds:
        lines += [
            f"Synthetic dataset built with COPY in {_n(ds.get('seconds', 0), 1)} s (FK triggers "
            f"{ds.get('fk_triggers', '?')}; seed {args.seed}, ~{args.rws_per_village} RWs per village, "
            f"{args.pledges:,} pledges requested). Donations: {ds.get('donations', '')}. "
            f"Boundaries: {ds.get('boundaries', '')}. "
            + (
                f"The stats' kelurahan totals rebuilt from the needs in {_n(ds['tally_seconds'], 1)} s. "
                if "tally_seconds" in ds
                else ""
            )
            + (f"Pledges skipped: {ds['pledges_skipped']}. " if ds.get("pledges_skipped") else ""),
            "",
        ]
    lines += ["## Figures against their references", ""]
    rows: list[list[str]] = []
    for key, label in [("registry_sqlite", "SQLite"), ("registry_pg", "PostgreSQL")]:
        r = results.get(key)
        if r:
            rows.append(
                [
                    f"registry load ({label}, {_n(r['rows'])} regions, `kolaborasi regions load` service)",
                    f"{_n(r['seconds'], 1)} s",
                    "raw insert of the same rows into a table of the same shape: "
                    f"{_n(r['ref_seconds'], 1)} s",
                    f"{r['seconds'] / max(r['ref_seconds'], 1e-9):.1f}× slower",
                    "< 30 s",
                    _verdict(None if smoke else r["seconds"] < 30),
                ]
            )
    imp = results.get("import")
    if imp:
        rps = imp["rows_per_s"]
        ratio = rps["import"] / rps["copy"]
        rows.append(
            [
                f"RW CSV import, PostgreSQL ({_n(imp['rows'])} CSV rows → {_n(imp['db_rows'])} DB rows, "
                f"median of {imp['rounds']})",
                f"{_n(rps['import'])} rows/s",
                f"raw COPY of the same rows into the same tables: {_n(rps['copy'])} rows/s",
                f"{ratio:.0%} of COPY",
                "≥ 50 % of COPY",
                _verdict(None if smoke else ratio >= 0.5),
            ]
        )
        rows.append(
            [
                "RW CSV import with the portable bulk_create write path (before the COPY path)",
                f"{_n(rps['import_bulk_create'])} rows/s",
                f"COPY {_n(rps['copy'])} rows/s",
                f"{rps['import_bulk_create'] / rps['copy']:.0%} of COPY",
                "(for comparison)",
                "—",
            ]
        )
    pl = results.get("planner", {})
    if pl:
        total = pl["seconds"]["planner"] + pl["load_seconds"]
        rows.append(
            [
                f"allocation planner, {_n(pl['needs'])} sembako RW needs, stock {_n(pl['stock'])}",
                f"{_n(pl['seconds']['planner'], 3)} s (+ {_n(pl['load_seconds'], 2)} s reading needs)",
                f"reference heap solver (one package at a time): {_n(pl['seconds']['reference'], 3)} s; "
                "same plan: "
                + (
                    "yes"
                    if pl["equal"]
                    else f"no, {_n(pl.get('differences', 0))} needs get a different amount (mean size of the"
                    f" needs served: planner {_n(pl.get('mean_need_planner', 0))}, reference"
                    f" {_n(pl.get('mean_need_reference', 0))})"
                ),
                f"{pl['seconds']['reference'] / max(pl['seconds']['planner'], 1e-9):.1f}× faster",
                "< 2 s",
                _verdict(None if smoke else total < 2),
            ]
        )
    lines += _table(["figure", "measured", "reference", "ratio", "target", "meets"], rows)
    http = results.get("http", [])
    if http:
        ref = [r for r in http if r["name"] in ("healthz", "healthz_end") and r.get("status") == "measured"]
        ref_rps = sum(r["rps"] for r in ref) / len(ref) if ref else 0.0
        ref_p95 = sum(r["p95"] for r in ref) / len(ref) if ref else 0.0
        lines += [
            "## HTTP (gunicorn on loopback, wrk)",
            "",
            f"Reference: `GET /healthz` of the same server, {_n(ref_rps)} req/s, p95 {_n(ref_p95, 1)} ms "
            "(mean of the runs at the start and the end). req/s from wrk; latencies in ms from a probe "
            "client beside the load (one request of the scenario every 50 ms on a fresh connection, "
            "timed from connect to last byte): wrk's own histogram is unreliable against a server "
            "that closes every connection (bench/run.py LatencyProbe).",
            "",
        ]
        hrows = []
        for r in http:
            if r.get("status") != "measured":
                hrows.append([r["title"], r.get("status", "?"), "", "", "", "", "", "", r["target"], "—"])
                continue
            rate = f"{_n(r['rps'])}"
            if "created_rps" in r:
                rate += f" ({_n(r['created_rps'])} 201/s, {_n(r['created'])} created)"
            size = ""
            if "bytes" in r:
                size = f"{_n(r['bytes'] / 1024, 1)} KB ({_n(r['bytes_gzip'] / 1024, 1)} KB gzip)"
            hrows.append(
                [
                    r["title"],
                    _n(r["requests"]),
                    rate,
                    f"{r['p50']:.1f}",
                    f"{r['p95']:.1f}",
                    f"{r['p99']:.1f}",
                    f"{r['errors']} {json.dumps(r['codes'])}" if r["errors"] else "0",
                    (f"{r['rps'] / ref_rps:.2f}" if ref_rps else "") + (f"; {size}" if size else ""),
                    r["target"],
                    _verdict(None if smoke else http_verdict(r)),
                ]
            )
        lines += _table(
            [
                "scenario",
                "requests",
                "req/s",
                "p50",
                "p95",
                "p99",
                "errors",
                "vs /healthz req/s; size",
                "target",
                "meets",
            ],
            hrows,
        )
        lines += _paths_section(http, smoke)
        hot = setup.get("hot", {})
        if hot:
            lines += [
                f"Hot target: target {hot.get('target')} ({hot.get('aid_type')}), its need set to "
                f"{hot.get('units')} units more than held before the run, so it runs out part-way: "
                "after that every pledge must get 409. `201/s` counts created pledges up to the last one.",
                "",
            ]
    check = results.get("check")
    if check:
        lines += ["## Correctness under load", ""]
        lines += _table(
            ["check", "result", "expected"],
            [
                ["needs with held > quantity (over-commitment)", _n(check["over_committed"]), "0"],
                ["needs whose held ≠ Σ(pledge quantity − released)", _n(check["held_mismatch"]), "0"],
                ["needs with delivered > held or confirmed > delivered", _n(check["delivered_gt_held"]), "0"],
                ["ledger transactions that do not sum to zero", _n(check.get("ledger_unbalanced", 0)), "0"],
                [
                    "ledger accounts whose balance ≠ Σ entries, or cash < 0",
                    _n(check.get("ledger_balance_mismatch", 0)),
                    "0",
                ],
                [
                    "kelurahan totals of the stats (folded) that differ from the needs",
                    _n(check.get("tally_drift", 0)),
                    "0",
                ],
                [
                    "pledge ids acknowledged with 201, found in the database",
                    f"{_n(check['acknowledged_present'])} of {_n(check['acknowledged_distinct'])}",
                    "all",
                ],
                ["verdict", "**pass**" if check["ok"] else "**FAIL**", "pass"],
            ],
        )
    lines += [
        "## How to reproduce",
        "",
        "```sh",
        "make bench          # national: registry, ~420k RWs, 1M pledges, ≤ 15 min on 2 cores",
        "make bench-smoke    # DKI Jakarta only, a few seconds of load (CI)",
        ".venv/bin/python -m bench.run --help   # sizes, durations, users, workers",
        "```",
        "",
        "PostgreSQL on 127.0.0.1:5432 as `postgres` (override with `BENCH_PG`); the full run "
        "(re)creates the database `kolaborasi_bench`. See bench/README.md for what each figure means.",
        "",
        f"Whole run: {_n(results.get('seconds', 0))} s.",
        "",
    ]
    return "\n".join(lines)


def write_report(results: dict[str, Any], args: argparse.Namespace) -> list[Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    host = re.sub(r"[^A-Za-z0-9_.-]+", "-", results["machine"]["host"])[:40] or "machine"
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    suffix = "-smoke" if args.smoke else ""
    name = args.output or f"{day}-{host}{suffix}"
    text = render(results, args)
    paths = [RESULTS / f"{name}.md", RESULTS / f"latest{suffix}.md", RESULTS / f"{name}.json"]
    paths[0].write_text(text)
    paths[1].write_text(text)
    paths[2].write_text(json.dumps(results, indent=1, default=str))
    return paths
