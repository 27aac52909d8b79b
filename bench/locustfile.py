"""One HTTP scenario per locust run, chosen by BENCH_SCENARIO; inputs from BENCH_DATA
(written by `bench.steps prepare`), raw timings and acknowledged pledge ids to BENCH_OUT.

Latency is measured by the client around each request (the response read included);
for pledges, 201 and 409 (does not fit) are both correct answers."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task

SCENARIO = os.environ.get("BENCH_SCENARIO", "healthz")
DATA: dict[str, Any] = (
    json.loads(Path(os.environ["BENCH_DATA"]).read_text()) if "BENCH_DATA" in os.environ else {}
)
URL = DATA.get("scenarios", {}).get(SCENARIO, {}).get("url", "/healthz")
METHOD = DATA.get("scenarios", {}).get(SCENARIO, {}).get("method", "GET")
OK = set(DATA.get("scenarios", {}).get(SCENARIO, {}).get("ok", [200]))
RECORDS: list[tuple[float, float, int]] = []
IDS: list[int] = []
_counter = itertools.count()


class BenchUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        n = next(_counter)
        self.rnd = random.Random(n)
        tokens = DATA.get("tokens") or [""]
        self.headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"} if tokens[0] else {}

    def _request(self) -> tuple[str, Any]:
        if SCENARIO == "target_detail":
            return URL.format(id=self.rnd.choice(DATA["target_ids"])), None
        if SCENARIO == "pledge_spread":
            target, slug = self.rnd.choice(DATA["spread"])
            body = {"target": target, "aid_type": slug, "quantity": self.rnd.randint(1, 3)}
            return URL, {**body, "planned_delivery": DATA["planned_delivery"]}
        if SCENARIO == "pledge_hot":
            hot = DATA["hot"]
            body = {"target": hot["target"], "aid_type": hot["aid_type"], "quantity": 1}
            return URL, {**body, "planned_delivery": DATA["planned_delivery"]}
        return URL, None

    @task
    def go(self) -> None:
        url, body = self._request()
        headers = self.headers if body is not None else {}
        start = time.perf_counter()
        with self.client.request(
            METHOD, url, json=body, headers=headers, name=SCENARIO, catch_response=True
        ) as resp:
            status = resp.status_code or 0
            if status == 201:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    IDS.append(int(resp.json()["id"]))
            if status in OK:
                resp.success()
            else:
                resp.failure(f"HTTP {status}")
        RECORDS.append((time.time(), (time.perf_counter() - start) * 1000.0, status))


@events.test_start.add_listener
def _bound(environment: Any, **_kwargs: Any) -> None:
    """Stop after BENCH_DURATION seconds. Not locust's --run-time: its timer is
    scheduled on gevent's cached loop clock, which is stale after a slow start-up on a
    busy machine, so it fires early (we saw 0.1 s instead of 4 s)."""
    gevent.get_hub().loop.update_now()
    duration = float(os.environ.get("BENCH_DURATION", "5"))

    def stop() -> None:
        gevent.sleep(duration)
        environment.runner.quit()

    gevent.spawn(stop)


@events.test_stop.add_listener
def _dump(**_kwargs: Any) -> None:
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w") as fh:
            json.dump({"records": RECORDS, "ids": IDS}, fh)
