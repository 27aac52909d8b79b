"""Invariant 1 per campaign, under real concurrency on PostgreSQL: two open campaigns
over the same RW, 40 HTTP clients at once. Clients of one campaign race its need to
exhaustion while clients of the other take a fixed number of units and clients naming
no campaign are told to choose: each need ends holding exactly its own campaign's
pledges, and the race for one never moves the other's remaining need."""

from __future__ import annotations

import random
import threading
from urllib.parse import urlparse

import pytest

from kolaborasi.accounts.services import token_create
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.conftest import is_postgres
from tests.personas import make_org
from tests.pledges_support import small_world, today
from tests.test_pledges_concurrency import _post

CLIENTS = 40
NEED = 300
STEADY_PLEDGES = 3  # per client of the second campaign, 1 or 2 units each


@pytest.mark.django_db(transaction=True)
def test_two_open_campaigns_on_one_rw_never_touch_each_other(live_server):  # type: ignore[no-untyped-def]
    if not is_postgres():
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database has one shared connection")
    racing = small_world(NEED)
    second = campaign_start(
        actor=None,
        name="Tanggap Banjir Uji",
        region_codes=[racing.target.region_id],
        aid_type_slugs=["sembako"],
        start=today(),
    )
    steady = Need.objects.get(campaign=second, target=racing.target)
    assert steady.quantity == NEED
    slugs = {"racing": racing.campaign.slug, "steady": second.slug}
    orgs = [make_org(f"Donatur {i}") for i in range(4)]
    tokens = [token_create(actor=None, organisation=org) for org in orgs]
    url = urlparse(live_server.url)
    assert url.hostname and url.port
    barrier = threading.Barrier(CLIENTS)
    created: dict[str, dict[int, int]] = {"racing": {}, "steady": {}}
    unnamed: list[tuple[int, dict]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def body(quantity: int, campaign: str | None) -> dict:
        out = {
            "target": racing.target_id,
            "aid_type": "sembako",
            "quantity": quantity,
            "planned_delivery": today().isoformat(),
        }
        if campaign:
            out["campaign"] = campaign
        return out

    def client(i: int) -> None:
        rng = random.Random(i)
        token = tokens[i % len(tokens)]
        try:
            barrier.wait()
            if i % 8 == 7:  # names no campaign: always asked to choose
                for n in range(3):
                    status, data = _post(url.hostname, url.port, token, body(1, None), f"u{i}-{n}")
                    with lock:
                        unnamed.append((status, data))
                return
            if i % 2:  # the steady campaign: a few small pledges, all of which fit
                for n in range(STEADY_PLEDGES):
                    status, data = _post(
                        url.hostname, url.port, token, body(rng.choice([1, 2]), slugs["steady"]), f"s{i}-{n}"
                    )
                    assert status == 201, (status, data)
                    with lock:
                        created["steady"][data["id"]] = data["quantity"]
                return
            quantity, n = rng.choice([1, 2, 3, 5]), 0
            while True:  # the racing campaign, to exhaustion
                n += 1
                status, data = _post(
                    url.hostname, url.port, token, body(quantity, slugs["racing"]), f"r{i}-{n}"
                )
                if status == 201:
                    with lock:
                        created["racing"][data["id"]] = data["quantity"]
                elif status == 409:
                    if data["remaining"] == 0:
                        return
                    quantity = min(quantity, data["remaining"])
                else:
                    raise AssertionError(f"unexpected {status}: {data}")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    racing.refresh_from_db()
    steady.refresh_from_db()
    steady_units = sum(created["steady"].values())
    assert racing.held == NEED == sum(created["racing"].values())
    assert racing.remaining == 0
    assert steady.held == steady_units and steady.remaining == NEED - steady_units
    assert len(created["steady"]) == STEADY_PLEDGES * len([i for i in range(CLIENTS) if i % 2 and i % 8 != 7])
    for name, need in (("racing", racing), ("steady", steady)):
        rows = dict(Pledge.objects.filter(need=need).values_list("pk", "quantity"))
        assert rows == created[name]  # every 201 in its own campaign's need, nothing else
    assert unnamed and all(
        status == 422 and data["choices"] == [slugs["racing"], slugs["steady"]] for status, data in unnamed
    )
    assert needs_with_drift([racing.pk, steady.pk]) == []
    assert audit_verify().ok
