"""`make bench` / `make bench-smoke`: build the dataset, measure every figure beside its
reference in the same run, check the invariants under load, write the report.

    python -m bench.run [--smoke] [--pledges N] [--rws-per-village X] [--duration S] ...

Steps that need Django run as subprocesses (bench/steps.py) so SQLite and PostgreSQL
each get their own settings; HTTP goes through gunicorn on loopback, driven by wrk (bench/wrk.lua)."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

BENCH_THROTTLES = (
    "LOGIN",
    "REGISTER",
    "VERIFY_RESEND",
    "VERIFY_RESEND_EMAIL",
    "PASSWORD_RESET",
    "PASSWORD_RESET_EMAIL",
    "TOKEN_FAILURES",
    "EVIDENCE",
    "PLEDGES",
    "DONATIONS",
    "EXPORTS",
    "REPORT_PDF",
    "MAP",
)
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-only-secret-key-" + "x" * 40
PORTS = range(8160, 8170)
WRK = shutil.which("wrk") or "/usr/bin/wrk"
# The map scenario uses a Jakarta kota: the reference boundaries exist only for Jakarta.
MAP_CITY = "31.74"


@dataclass
class Scenario:
    name: str
    title: str
    method: str
    url: str
    needs_path: str | None  # OpenAPI path that must exist; None: probe the URL
    ok: list[int] = field(default_factory=lambda: [200])
    target: str = ""
    # The requests sent (wrk.lua and the probe build them by this name): the scenario's own
    # name unless it repeats another one's load on the portable server.
    load: str = ""
    # Served by the second server, whose pledges take the portable (ORM) write path
    # (bench/portable_settings.py) instead of the one-statement path.
    portable: bool = False

    def __post_init__(self) -> None:
        self.load = self.load or self.name


PLEDGE_SPREAD = "POST /api/v1/pledges (spread over many targets)"
PLEDGE_HOT = "POST /api/v1/pledges (one hot target)"
PORTABLE = ", portable ORM path"


def _pledges(name: str, title: str, **more: Any) -> Scenario:
    return Scenario(name, title, "POST", "/api/v1/pledges", "/api/v1/pledges", ok=[201, 409], **more)


def scenarios(city: str) -> list[Scenario]:
    # Each pledge load runs on both write paths back to back, the one-statement path
    # first for the spread load and second for the hot one, so drift over the run (a
    # growing table, a busier machine) does not favour either path.
    return [
        Scenario("healthz", "GET /healthz (reference)", "GET", "/healthz", None),
        Scenario(
            "regions_children",
            f"GET /api/v1/regions?parent={city}",
            "GET",
            f"/api/v1/regions?parent={city}",
            "/api/v1/regions",
        ),
        Scenario(
            "targets_priority",
            f"GET /api/v1/targets?region={city}&order=priority",
            "GET",
            f"/api/v1/targets?region={city}&order=priority",
            "/api/v1/targets",
            target="p95 < 50 ms",
        ),
        Scenario(
            "target_detail",
            "GET /api/v1/targets/{id} (random)",
            "GET",
            "/api/v1/targets/{id}",
            "/api/v1/targets/{target_id}",
        ),
        Scenario(
            "finder",
            f"GET /api/v1/finder?aid_type=sembako&quantity=600&region={city}",
            "GET",
            f"/api/v1/finder?aid_type=sembako&quantity=600&region={city}",
            "/api/v1/finder",
        ),
        Scenario(
            "map_data",
            f"GET /peta/data/sembako.json?parent={MAP_CITY} (map data, one kota: Jakarta Selatan)",
            "GET",
            f"/peta/data/sembako.json?parent={MAP_CITY}",
            None,
            target="< 300 KB compressed",
        ),
        Scenario(
            "stats_summary",
            "GET /api/v1/stats/summary",
            "GET",
            "/api/v1/stats/summary",
            "/api/v1/stats/summary",
            target="p95 < 50 ms and ≥ 1,000 req/s",
        ),
        Scenario(
            "stats_regions_city",
            f"GET /api/v1/stats/regions?level=district&parent={city}",
            "GET",
            f"/api/v1/stats/regions?level=district&parent={city}",
            "/api/v1/stats/regions",
            target="< 100 ms (p95)",
        ),
        _pledges("pledge_spread", PLEDGE_SPREAD, target="≥ 500/s, p95 < 100 ms"),
        _pledges("pledge_spread_portable", PLEDGE_SPREAD + PORTABLE, load="pledge_spread", portable=True),
        _pledges("pledge_hot_portable", PLEDGE_HOT + PORTABLE, load="pledge_hot", portable=True),
        _pledges("pledge_hot", PLEDGE_HOT, target="≥ 300/s, p95 < 100 ms"),
        Scenario("healthz_end", "GET /healthz (reference, again at the end)", "GET", "/healthz", None),
    ]


def log(msg: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="kolaborasi-bench-"))
        (self.work / "var" / "static").mkdir(parents=True)
        self.results: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds")}
        self.pg_base = args.pg.rstrip("/")
        suffix = f"_smoke_{os.getpid()}" if args.smoke else ""
        self.db = args.db or f"kolaborasi_bench{suffix}"
        self.pg_url = f"{self.pg_base}/{self.db}"
        self.servers: list[subprocess.Popen[bytes]] = []
        self.failures: list[str] = []
        self.redis_url = _redis_if_up(args.redis)

    # --- plumbing ---------------------------------------------------------------------
    def env(self, *, pg: bool = True, sqlite: Path | None = None, settings: str = "") -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE", "DEBUG")
        }
        env.update(
            DEBUG="0",
            SECRET_KEY=SECRET,
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            ALLOWED_HOSTS="127.0.0.1",
            KOLABORASI_VAR_DIR=str(self.work / "var"),
            PYTHONPATH=str(ROOT),
            # A few tokens take thousands of pledges each: a hold limit no run reaches.
            HOLD_LIMIT_VERIFIED=str(10**9),
        )
        # The throttles stay on (their cost per request is part of what is measured) but
        # with limits no load here reaches: the benchmark measures the server, not the
        # limits. The names are the THROTTLE_* settings in the README.
        for name in BENCH_THROTTLES:
            env[f"THROTTLE_{name}"] = "1000000000/s"
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        if pg:
            env["DATABASE_URL"] = self.pg_url
        if settings:
            env["DJANGO_SETTINGS_MODULE"] = settings
        if sqlite is not None:
            env["SQLITE_PATH"] = str(sqlite)
        return env

    def step(self, name: str, *extra: str, pg: bool = True, sqlite: Path | None = None) -> dict[str, Any]:
        out = self.work / f"{name}-{time.monotonic_ns()}.json"
        cmd = [sys.executable, "-m", "bench.steps", name, "--out", str(out), *extra]
        done = subprocess.run(cmd, cwd=ROOT, env=self.env(pg=pg, sqlite=sqlite), check=False)
        if done.returncode != 0:
            raise SystemExit(
                f"bench step {name!r} failed (exit status {done.returncode}); see its message above"
            )
        result: dict[str, Any] = json.loads(out.read_text())
        return result

    def manage(self, *argv: str, pg: bool = True, sqlite: Path | None = None) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env=self.env(pg=pg, sqlite=sqlite),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def admin(self, sql: str) -> None:
        with psycopg.connect(f"{self.pg_base}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    # --- phases -----------------------------------------------------------------------
    def machine(self) -> None:
        mem_kb = 0
        cpu = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    mem_kb = int(line.split()[1])
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        with psycopg.connect(f"{self.pg_base}/postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
            pg_version = row[0] if row else "?"
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        self.results["machine"] = {
            "host": socket.gethostname(),
            "cores": os.cpu_count(),
            "cpu": cpu,
            "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "postgresql": pg_version,
            "python": platform.python_version(),
            "os": platform.platform(),
            "commit": commit or "?",
            "load_start": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        }

    def registry(self) -> None:
        province = ["--province", "31"] if self.args.smoke else []
        sqlite = self.work / "registry.sqlite3"
        log("registry load on SQLite (fresh database)")
        self.manage("migrate", "--no-input", "-v0", pg=False, sqlite=sqlite)
        self.results["registry_sqlite"] = self.step("registry", *province, pg=False, sqlite=sqlite)[
            "registry"
        ]
        log("registry load on PostgreSQL (fresh database " + self.db + ")")
        self.admin(f'DROP DATABASE IF EXISTS "{self.db}"')
        self.admin(f'CREATE DATABASE "{self.db}"')
        self.manage("migrate", "--no-input", "-v0")
        self.results["registry_pg"] = self.step("registry", *province)["registry"]

    def build_and_measure(self) -> dict[str, Any]:
        """Dataset, import vs COPY, planner vs reference, HTTP inputs: one process."""
        a = self.args
        log(
            f"synthetic dataset (~{a.rws_per_village} RWs per village, {a.pledges:,} pledges), then RW CSV"
            f" import vs COPY ({a.import_rows:,} rows x {a.rounds}), then planner vs reference"
        )
        extra = [
            "--rws-per-village",
            str(a.rws_per_village),
            "--pledges",
            str(a.pledges),
            "--donations",
            str(a.donations),
            "--seed",
            str(a.seed),
            "--rows",
            str(a.import_rows),
            "--rounds",
            str(a.rounds),
            "--stock",
            str(a.stock),
            "--hot-units",
            str(a.hot_units),
            "--tokens",
            str(a.users),
        ]
        if a.smoke:
            extra += ["--province", "31"]
        steps = ["dataset", "import", "planner"] + ([] if a.no_http else ["prepare"])
        out = self.step(",".join(steps), *extra)
        for key in ("dataset", "import", "planner"):
            self.results[key] = out[key]
        return out.get("prepare", {})

    def start_server(self, settings: str = "") -> str:
        """A gunicorn on a free port; ``settings``: another settings module than the
        project's (the portable pledge path's)."""
        port = next((p for p in PORTS if _port_free(p)), None)
        if port is None:
            raise SystemExit("no free port in 8160-8169")
        base = f"http://127.0.0.1:{port}"
        logfile = self.work / f"gunicorn-{port}.log"
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "kolaborasi.wsgi",
            "-w",
            str(self.args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--error-logfile",
            str(logfile),
            "--log-level",
            "warning",
            # Import the project once in the master (matplotlib and all), then fork: the
            # workers start at once instead of importing in parallel on a busy box.
            "--preload",
            "--timeout",
            "120",
        ]
        server = subprocess.Popen(cmd, cwd=ROOT, env=self.env(settings=settings), start_new_session=True)
        self.servers.append(server)
        last: object = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:  # noqa: S310 (http://127.0.0.1)
                    if resp.status == 200:
                        return base
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last = exc
            if server.poll() is not None:
                break
            time.sleep(0.3)
        log_text = logfile.read_text()[-3000:] if logfile.exists() else ""
        raise SystemExit(f"gunicorn did not answer /healthz ({last}):\n{log_text}")

    def stop_servers(self) -> None:
        for server in self.servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
        self.servers = []

    def reset_hot(self, prep: dict[str, Any]) -> None:
        """The hot need again ``--hot-units`` units short of full, so that each hot
        scenario (one per write path) runs it out part-way from the same start."""
        hot = prep["hot"]
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE targets_need SET quantity = held + %s WHERE id = %s", (hot["units"], hot["need"])
            )

    def http(self, prep: dict[str, Any]) -> None:
        a = self.args
        base = self.start_server()
        # Started beside the first and idle until its scenarios: both paths then run
        # against the same database, one right after the other.
        portable_base = self.start_server(settings="bench.portable_settings")
        log(
            f"gunicorn -w {a.workers} on {base} (and {portable_base}: the portable pledge path);"
            f" wrk -c {a.users}, {a.duration}s per scenario"
        )
        try:
            with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=30) as resp:  # noqa: S310
                paths = set(json.loads(resp.read())["paths"])
        except (urllib.error.URLError, ValueError, KeyError):
            paths = set()
        city = prep["city"]
        self.results["http_setup"] = {
            "city": city,
            "city_name": prep["city_name"],
            "city_rws": prep["city_rws"],
            "hot": prep["hot"],
            "tokens": len(prep["tokens"]),
            "workers": a.workers,
            "cache": "Redis (shared by the workers)" if self.redis_url else "local memory per worker",
            "users": a.users,
            "duration": a.duration,
        }
        results: list[dict[str, Any]] = []
        ids: list[int] = []
        for sc in scenarios(city):
            row: dict[str, Any] = {"name": sc.name, "title": sc.title, "target": sc.target}
            server = portable_base if sc.portable else base
            why = self._unavailable(sc, paths, server, prep, row)
            if why:
                # A scenario that cannot run is a regression (an endpoint gone, a probe
                # answered with an error), not a figure: the run fails.
                row["status"] = why
                results.append(row)
                self.failures.append(f"{sc.name}: {why}")
                log(f"  {sc.name}: {why}")
                continue
            if sc.method == "POST":
                # Each server's workers make their first pledges (connections, prepared
                # statements, caches) before the measured run, so neither path pays for
                # a cold start that the other's earlier scenarios already paid.
                warm_seconds = max(WARM_SECONDS, a.duration // 3)
                warm = self.wrk(server, sc, prep, self.work / f"warm-{sc.name}.json", seconds=warm_seconds)
                ids.extend(warm["ids"] if warm else [])
            if sc.load == "pledge_hot":
                self.reset_hot(prep)
            out = self.work / f"wrk-{sc.name}.json"
            log(f"  {sc.name}: {sc.method} {sc.url}" + (" (portable path)" if sc.portable else ""))
            raw = self.wrk(server, sc, prep, out)
            if raw is None:
                row["status"] = "wrk produced no result (see its log)"
                results.append(row)
                self.failures.append(f"{sc.name}: {row['status']}")
                continue
            if not raw["requests"]:
                probe = f" (one request alone took {row['probe_ms']:,.0f} ms)" if "probe_ms" in row else ""
                row["status"] = f"no request finished within {a.duration} s{probe}"
                results.append(row)
                log(f"    {row['status']}")
                continue
            row.update(summarise(raw, sc.ok))
            if raw["ids"]:
                row.update(self.created_rate(raw["ids"]))
            row["status"] = "measured"
            ids.extend(raw["ids"])
            results.append(row)
            log(
                f"    {row['requests']:,} requests, {row['rps']:.0f}/s, p50 {row['p50']:.1f} ms,"
                f" p95 {row['p95']:.1f} ms, p99 {row['p99']:.1f} ms, errors {row['errors']}"
            )
        self.stop_servers()
        self.results["http"] = results
        ids_file = self.work / "acknowledged-ids.json"
        ids_file.write_text(json.dumps(ids))
        log(f"correctness check ({len(ids):,} acknowledged pledge ids)")
        after = self.step("check,sizes", "--ids", str(ids_file))
        check = self.results["check"] = after["check"]
        self.results["sizes"] = after["sizes"]
        if not check["ok"]:
            self.failures.append(f"correctness check failed: {check}")

    def wrk(
        self, base: str, sc: Scenario, prep: dict[str, Any], out: Path, *, seconds: int = 0
    ) -> dict[str, Any] | None:
        """One scenario under wrk: ``--users`` connections on 2 threads for ``--duration`` s
        (or ``seconds``: a warm-up, without the latency probe)."""
        a = self.args
        duration = seconds or a.duration
        data = {
            "scenario": sc.load,
            "url": sc.url,
            "method": sc.method,
            "out": str(out),
            "tokens": prep["tokens"] or [""],
            "target_ids": prep["target_ids"],
            "spread": prep.get("spread", []),
            "hot": [prep["hot"]["target"], prep["hot"]["aid_type"]] if prep.get("hot") else [],
            "planned": prep.get("planned_delivery", ""),
        }
        data_file = self.work / f"wrk-{sc.name}.lua"
        data_file.write_text("return " + lua_literal(data) + "\n")
        cmd = [
            WRK,
            "-t",
            str(min(2, a.users)),
            "-c",
            str(a.users),
            "-d",
            f"{duration}s",
            "--timeout",
            "60s",
            "-s",
            str(ROOT / "bench" / "wrk.lua"),
            base + "/",
        ]
        env = dict(os.environ, BENCH_LUA_DATA=str(data_file))
        probe = LatencyProbe(base, sc, data, duration)
        if not seconds:
            probe.start()
        with open(self.work / f"wrk-{sc.name}.log", "w") as logfile:
            subprocess.run(cmd, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, check=False)
        if not seconds:
            probe.join()
        if not out.exists():
            return None
        result: dict[str, Any] = json.loads(out.read_text())
        result["probe"] = probe.latencies
        result["ids"] = [*result["ids"], *probe.ids]
        return result

    def created_rate(self, ids: list[int]) -> dict[str, Any]:
        """201s per second from the first to the last created pledge, by their own
        ``created_at`` (a hot need runs out part-way; after that only 409s come)."""
        with psycopg.connect(self.pg_url) as conn:
            row = conn.execute(
                "SELECT count(*), extract(epoch FROM max(created_at) - min(created_at))"
                " FROM pledges_pledge WHERE id = ANY(%s)",
                (ids,),
            ).fetchone()
        count, span = (int(row[0]), float(row[1] or 0)) if row else (0, 0.0)
        return {"created": len(ids), "created_rps": count / span if span > 0 else 0.0}

    def _unavailable(
        self, sc: Scenario, paths: set[str], base: str, prep: dict[str, Any], row: dict[str, Any]
    ) -> str:
        if sc.needs_path is not None and sc.needs_path not in paths:
            return f"MISSING: {sc.needs_path} is not in /api/v1/openapi.json"
        if sc.method == "POST":
            return "" if prep["tokens"] else "MISSING: no API tokens to pledge with"
        url = sc.url.replace("{id}", str(prep["target_ids"][0]))
        request = urllib.request.Request(base + url, headers={"Accept-Encoding": "gzip"})  # noqa: S310
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310
                body = resp.read()
                encoding = resp.headers.get("Content-Encoding", "")
        except urllib.error.HTTPError as exc:
            return f"MISSING: {url} answered 404" if exc.code == 404 else f"probe failed: HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError) as exc:
            return f"probe failed: {exc}"
        row["probe_ms"] = (time.perf_counter() - started) * 1000
        raw = gzip.decompress(body) if encoding == "gzip" else body
        row["bytes"] = len(raw)
        row["bytes_gzip"] = len(body) if encoding == "gzip" else len(gzip.compress(body))
        row["served_gzip"] = encoding == "gzip"
        return ""

    def cleanup(self) -> None:
        self.stop_servers()
        if self.args.smoke and not self.args.keep:
            try:
                self.admin(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            except psycopg.Error as exc:
                log(f"could not drop {self.db}: {exc}")
        shutil.rmtree(self.work, ignore_errors=True)

    def run(self) -> int:
        started = time.perf_counter()
        try:
            self.machine()
            self.registry()
            prep = self.build_and_measure()
            if self.args.no_http:
                self.results["sizes"] = self.step("sizes")["sizes"]
            else:
                self.http(prep)
        finally:
            self.cleanup()
        self.results["seconds"] = time.perf_counter() - started
        self.results["machine"]["load_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
        from bench.report import write_report

        paths = write_report(self.results, self.args)
        for path in paths:
            log(f"wrote {path.relative_to(ROOT)}")
        if self.failures:
            for failure in self.failures:
                log("FAILED: " + failure)
            return 1
        return 0


def _redis_if_up(url: str) -> str:
    """``url`` when a Redis answers there (its database emptied for this run), else "":
    the documented production set-up shares cached public answers between the app
    processes through Redis; without it each worker keeps its own."""
    if not url:
        return ""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        log(f"no Redis at {url} ({exc}); cache: local memory per worker")
        return ""
    return url


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class LatencyProbe(threading.Thread):
    """Latency as a client sees it under the load: one request of the scenario every
    ``PROBE_INTERVAL`` s, on a fresh connection like wrk's, timed from connect to the last
    byte. wrk gives the throughput, but its own latency histogram cannot be trusted with
    servers that close every connection (gunicorn's sync workers): it held fewer samples
    than requests and a mean several times what Little's law allows for the connections
    and requests/s it reported (e.g. 79 ms against at most 6.5 ms)."""

    def __init__(self, base: str, sc: Scenario, data: dict[str, Any], duration: float) -> None:
        super().__init__(daemon=True)
        self.port = int(base.rsplit(":", 1)[1])
        self.sc, self.data, self.duration = sc, data, duration
        self.rnd = random.Random(4242)
        self.latencies: list[float] = []
        self.ids: list[int] = []

    def _request(self) -> tuple[str, bytes | None, dict[str, str]]:
        d = self.data
        if self.sc.load == "target_detail":
            return self.sc.url.replace("{id}", str(self.rnd.choice(d["target_ids"]))), None, {}
        if self.sc.load in ("pledge_spread", "pledge_hot"):
            target, aid_type = self.rnd.choice(d["spread"]) if self.sc.load == "pledge_spread" else d["hot"]
            body = {"target": target, "aid_type": aid_type, "quantity": 1, "planned_delivery": d["planned"]}
            headers = {
                "Authorization": "Bearer " + self.rnd.choice(d["tokens"]),
                "Content-Type": "application/json",
            }
            return self.sc.url, json.dumps(body).encode(), headers
        return self.sc.url, None, {}

    def run(self) -> None:
        time.sleep(min(1.0, self.duration / 10))  # let the load start first
        end = time.monotonic() + self.duration * 0.85
        while time.monotonic() < end:
            url, body, headers = self._request()
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request(self.sc.method, url, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
            except OSError:
                continue
            finally:
                conn.close()
            self.latencies.append((time.perf_counter() - started) * 1000)
            if resp.status == 201:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    self.ids.append(int(json.loads(payload)["id"]))
            time.sleep(PROBE_INTERVAL)


PROBE_INTERVAL = 0.05
WARM_SECONDS = 3


def summarise(raw: dict[str, Any], ok: list[int]) -> dict[str, Any]:
    """wrk's throughput and answers, the probe's latencies (ms), as the report's row."""
    seconds = raw["duration_us"] / 1e6
    codes = {str(k): int(v) for k, v in raw["codes"].items()}
    lat = sorted(raw.get("probe") or [0.0])

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    return {
        "requests": raw["requests"],
        "seconds": seconds,
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "probes": len(raw.get("probe") or []),
        "errors": sum(n for c, n in codes.items() if int(c) not in ok) + raw["socket_errors"],
        "codes": codes,
    }


def lua_literal(value: Any) -> str:
    """A Lua table constructor for JSON-like data (wrk reads the scenario's inputs this way)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid Lua string here (ASCII escapes)
    if isinstance(value, list | tuple):
        return "{" + ",".join(lua_literal(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"[{json.dumps(str(k))}]={lua_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Lua literal for {type(value).__name__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny dataset (DKI Jakarta), a few seconds of load"
    )
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default="", help="database name (default kolaborasi_bench)")
    parser.add_argument("--rws-per-village", type=float, default=None)
    parser.add_argument("--pledges", type=int, default=None)
    parser.add_argument("--donations", type=int, default=None)
    parser.add_argument("--import-rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--duration", type=int, default=None, help="seconds of load per HTTP scenario")
    parser.add_argument("--users", type=int, default=8, help="concurrent connections (wrk -c)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15"),
        help="Redis for the app's cache when it answers ('' for local memory per worker)",
    )
    parser.add_argument("--hot-units", type=int, default=None)
    parser.add_argument("--stock", type=int, default=None, help="planner stock (packages)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the smoke database")
    parser.add_argument("--output", default="", help="report name instead of <date>-<machine>")
    args = parser.parse_args(argv)
    smoke = args.smoke
    defaults = {
        "rws_per_village": 3.0 if smoke else 5.0,
        "pledges": 20_000 if smoke else 1_000_000,
        "donations": 2_000 if smoke else 100_000,
        "import_rows": 2_000 if smoke else 20_000,
        "rounds": 1 if smoke else 3,
        "duration": 2 if smoke else 15,
        "hot_units": 150 if smoke else 3_000,
        "stock": 2_000 if smoke else 100_000,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
