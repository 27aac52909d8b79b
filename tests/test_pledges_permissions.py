"""Permission matrix: every pledge API URL × every persona (and anonymous).

Other organisations' pledges → 404, a visible pledge but the wrong role → 403, no or a
bad token → 401."""

import datetime as dt

import pytest

from kolaborasi.pledges.models import Delivery, Pledge
from tests.personas import auth
from tests.pledges_support import make_pledge, pledge_body, ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

PERSONAS = ["dina", "agus", "ratna", "oki", "luar", "anonymous"]

# (method, url template, body kind, expected status per persona)
MATRIX = [
    ("get", "/api/v1/pledges/{id}", None, [200, 404, 200, 200, 401, 401]),
    ("get", "/api/v1/pledges", None, [200, 200, 200, 200, 401, 401]),
    ("get", "/api/v1/pledges?status=committed", None, [200, 200, 200, 200, 401, 401]),
    ("post", "/api/v1/pledges", "pledge", [201, 201, 403, 403, 401, 401]),
    ("post", "/api/v1/pledges/{id}/deliveries", "delivery", [201, 404, 403, 403, 401, 401]),
    ("post", "/api/v1/pledges/{id}/confirm", None, [403, 404, 200, 200, 401, 401]),
    ("post", "/api/v1/pledges/{id}/confirm", "partial", [403, 404, 200, 200, 401, 401]),
    ("post", "/api/v1/pledges/{id}/dispute", "dispute", [403, 404, 200, 200, 401, 401]),
    ("post", "/api/v1/pledges/{id}/cancel", None, [200, 404, 403, 200, 401, 401]),
    ("post", "/api/v1/pledges/{id}/extend", "extend", [200, 404, 403, 403, 401, 401]),
]

CASES = [
    pytest.param(method, url, body, who, expected[i], id=f"{method} {url} {who}")
    for method, url, body, expected in MATRIX
    for i, who in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("method", "url", "body", "who", "expected"), CASES)
def test_matrix(client, personas, method, url, body, who, expected):
    need = ratna_need()
    pledge = make_pledge(personas["dina"], need, quantity=5, delivered=2)
    before = list(Pledge.objects.order_by("pk").values())
    deliveries_before = list(Delivery.objects.order_by("pk").values())
    headers = auth(personas[who]) if who != "anonymous" else {}
    payload = {
        None: None,
        "pledge": pledge_body(need, 1),
        "delivery": {"quantity": 1, "delivered_on": today().isoformat()},
        "extend": {"planned_delivery": (today() + dt.timedelta(days=9)).isoformat()},
        "partial": {"quantity": 1, "note": "satu paket belum diterima"},
        "dispute": {"reason": "jumlah tidak sesuai"},
    }[body]
    path = url.format(id=pledge.pk)
    if method == "get":
        r = client.get(path, **headers)
    else:
        r = client.post(path, payload or {}, content_type="application/json", **headers)
    assert r.status_code == expected, r.content
    assert "detail" in r.json() if expected >= 400 else True
    if expected >= 400:
        assert list(Pledge.objects.order_by("pk").values()) == before  # nothing changed
        assert list(Delivery.objects.order_by("pk").values()) == deliveries_before


def test_list_shows_only_own_organisation(client, personas):
    mine = make_pledge(personas["dina"], quantity=2)
    make_pledge(personas["agus"], quantity=3)
    r = client.get("/api/v1/pledges", **auth(personas["dina"]))
    assert [p["id"] for p in r.json()] == [mine.pk]
    r = client.get("/api/v1/pledges?status=cancelled", **auth(personas["dina"]))
    assert r.json() == []
    r = client.get("/api/v1/pledges?status=bogus", **auth(personas["dina"]))
    assert r.status_code == 422


def test_coordinator_elsewhere_gets_404(client, personas):
    from kolaborasi.accounts.models import Organisation, OrgKind
    from tests.pledges_support import other_need

    pledge = make_pledge(personas["dina"], other_need(), quantity=2, delivered=1)
    r = client.post(f"/api/v1/pledges/{pledge.pk}/confirm", **auth(personas["ratna"]))
    assert r.status_code == 404
    # A kelurahan-level coordinator covering ratna's village does see ratna's RW.
    village = Organisation.objects.create(name="Kelurahan Cipulir", kind=OrgKind.COORDINATOR)
    village.regions.add(ratna_need().target.village)
    own = make_pledge(personas["dina"], quantity=2, delivered=1)

    class P:
        organisation = village
        token = ""

    r = client.post(f"/api/v1/pledges/{own.pk}/confirm", **auth(P()))
    assert r.status_code == 200
