"""Permission matrix: every pledge API URL × every persona (and anonymous).

Reading or changing another organisation's pledge → 404, a visible pledge but the wrong
role → 403, no or a bad token → 401. Review (confirm, dispute) and the answer to a
dispute name their party, so any other organisation gets 403 saying who may; a pledge
that does not exist is 404 for everyone. A refusal changes nothing and the audit chain
verifies after every request."""

import datetime as dt
from typing import Any

import pytest

from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import confirmation
from kolaborasi.pledges.models import Delivery, DisputeAnswer, Pledge
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
    ("post", "/api/v1/pledges/{id}/confirm", None, [403, 403, 200, 200, 401, 401]),
    ("post", "/api/v1/pledges/{id}/confirm", "partial", [403, 403, 200, 200, 401, 401]),
    ("post", "/api/v1/pledges/{id}/dispute", "dispute", [403, 403, 200, 200, 401, 401]),
    # The delivery is under dispute (raised by ratna) for this row.
    ("post", "/api/v1/pledges/{id}/deliveries/{delivery}/answer", "answer", [201, 403, 403, 403, 401, 401]),
    ("post", "/api/v1/pledges/{id}/cancel", None, [200, 404, 403, 200, 401, 401]),
    ("post", "/api/v1/pledges/{id}/extend", "extend", [200, 404, 403, 403, 401, 401]),
]

CASES = [
    pytest.param(method, url, body, who, expected[i], id=f"{method} {url} {who}")
    for method, url, body, expected in MATRIX
    for i, who in enumerate(PERSONAS)
]


# The sentence each refusal of a review or an answer says (Indonesian by default).
REFUSALS = {
    ("confirm", "dina"): "Organisasi penyalur tidak dapat mengonfirmasi penyalurannya sendiri.",
    ("confirm", "agus"): "Hanya koordinator wilayah sasaran atau operator yang dapat mengonfirmasi.",
    ("dispute", "dina"): "Organisasi penyalur tidak dapat mempersoalkan penyalurannya sendiri.",
    ("dispute", "agus"): "Hanya koordinator wilayah sasaran atau operator yang dapat mempersoalkan.",
    **{
        ("answer", who): "Hanya organisasi penyalur yang dapat menjawab persoalan penyaluran."
        for who in ("agus", "ratna", "oki")
    },
}


def _everything() -> tuple[list[Any], list[Any], list[Any], int]:
    return (
        list(Pledge.objects.order_by("pk").values()),
        list(Delivery.objects.order_by("pk").values()),
        list(DisputeAnswer.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(("method", "url", "body", "who", "expected"), CASES)
def test_matrix(client, personas, method, url, body, who, expected):
    need = ratna_need()
    pledge = make_pledge(personas["dina"], need, quantity=5, delivered=2)
    delivery = Delivery.objects.get(pledge=pledge)
    if body == "answer":
        ratna = personas["ratna"]
        confirmation.pledge_dispute(
            actor=ratna.user, organisation=ratna.organisation, pledge=pledge, reason="baru 1 paket tiba"
        )
    before = _everything()
    headers = auth(personas[who]) if who != "anonymous" else {}
    payload = {
        None: None,
        "pledge": pledge_body(need, 1),
        "delivery": {"quantity": 1, "delivered_on": today().isoformat()},
        "extend": {"planned_delivery": (today() + dt.timedelta(days=9)).isoformat()},
        "partial": {"quantity": 1, "note": "satu paket belum diterima"},
        "dispute": {"reason": "jumlah tidak sesuai"},
        "answer": {"note": "Dua paket kami serahkan kepada pengurus RW"},
    }[body]
    path = url.format(id=pledge.pk, delivery=delivery.pk)
    if method == "get":
        r = client.get(path, **headers)
    else:
        r = client.post(path, payload or {}, content_type="application/json", **headers)
    assert r.status_code == expected, r.content
    if expected >= 400:
        assert "detail" in r.json()
        assert _everything() == before  # nothing changed, nothing audited
    verb = url.rsplit("/", 1)[-1]
    if expected == 403 and (verb, who) in REFUSALS:
        assert r.json()["detail"] == REFUSALS[(verb, who)]
    assert audit_verify().ok


NOWHERE = 2_000_000_000


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/pledges/{id}/confirm", None),
        ("/api/v1/pledges/{id}/dispute", {"reason": "tidak ada"}),
        ("/api/v1/pledges/{id}/deliveries/{delivery}/answer", {"note": "sudah"}),
    ],
)
def test_a_pledge_that_does_not_exist_is_404(client, personas, who, url, body):
    """Who may review or answer is no secret, but a pledge that does not exist is still
    404 — for the organisations that could act on it, too."""
    delivery = Delivery.objects.get(pledge=make_pledge(personas["dina"], quantity=3, delivered=1))
    before = _everything()
    headers = auth(personas[who]) if who != "anonymous" else {}
    r = client.post(
        url.format(id=NOWHERE, delivery=delivery.pk), body or {}, content_type="application/json", **headers
    )
    assert r.status_code == (401 if who in ("luar", "anonymous") else 404), r.content
    assert _everything() == before


def test_refusals_in_english(client, personas):
    pledge = make_pledge(personas["dina"], quantity=3, delivered=1)
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    for who, verb, body in [
        ("dina", "dispute", {"reason": "saya sendiri"}),
        ("agus", "dispute", {"reason": "bukan urusan saya"}),
        ("agus", "confirm", {}),
    ]:
        r = client.post(
            f"/api/v1/pledges/{pledge.pk}/{verb}",
            body,
            content_type="application/json",
            **auth(personas[who]),
            **english,
        )
        assert r.status_code == 403
        detail = r.json()["detail"]
        assert detail.startswith(("Only", "The delivering organisation")), detail
        assert "koordinator" not in detail and "penyalur" not in detail


def test_list_shows_only_own_organisation(client, personas):
    mine = make_pledge(personas["dina"], quantity=2)
    make_pledge(personas["agus"], quantity=3)
    r = client.get("/api/v1/pledges", **auth(personas["dina"]))
    assert [p["id"] for p in r.json()] == [mine.pk]
    r = client.get("/api/v1/pledges?status=cancelled", **auth(personas["dina"]))
    assert r.json() == []
    r = client.get("/api/v1/pledges?status=bogus", **auth(personas["dina"]))
    assert r.status_code == 422


def test_coordinator_elsewhere(client, personas):
    """A coordinator of another RW cannot read the pledge (404), and is told that only
    the target's coordinator or an operator reviews it (403)."""
    from kolaborasi.accounts.models import Organisation, OrgKind
    from tests.pledges_support import other_need

    pledge = make_pledge(personas["dina"], other_need(), quantity=2, delivered=1)
    before = _everything()
    assert client.get(f"/api/v1/pledges/{pledge.pk}", **auth(personas["ratna"])).status_code == 404
    r = client.post(f"/api/v1/pledges/{pledge.pk}/confirm", **auth(personas["ratna"]))
    assert r.status_code == 403
    assert r.json()["detail"] == REFUSALS[("confirm", "agus")]
    r = client.post(
        f"/api/v1/pledges/{pledge.pk}/dispute",
        {"reason": "bukan wilayah saya"},
        content_type="application/json",
        **auth(personas["ratna"]),
    )
    assert (r.status_code, r.json()["detail"]) == (403, REFUSALS[("dispute", "agus")])
    assert _everything() == before
    # A kelurahan-level coordinator covering ratna's village does see ratna's RW.
    village = Organisation.objects.create(name="Kelurahan Cipulir", kind=OrgKind.COORDINATOR)
    village.regions.add(ratna_need().target.village)
    own = make_pledge(personas["dina"], quantity=2, delivered=1)

    class P:
        organisation = village
        token = ""

    r = client.post(f"/api/v1/pledges/{own.pk}/confirm", **auth(P()))
    assert r.status_code == 200
    assert audit_verify().ok
