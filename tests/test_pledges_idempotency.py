"""Idempotency-Key on POST /api/v1/pledges: same key + same body replays the first
answer (no second pledge); same key + another body → 409."""

import pytest

from kolaborasi.pledges.models import IdempotencyKey, Pledge
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import pledge_body, ratna_need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]
URL = "/api/v1/pledges"


def post(client, persona, body, key):
    return client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **auth(persona))


def test_replay_returns_first_response(client, personas):
    need = ratna_need()
    body = pledge_body(need, 4)
    first = post(client, personas["dina"], body, "kunci-1")
    assert first.status_code == 201
    again = post(client, personas["dina"], body, "kunci-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Pledge.objects.count() == 1
    assert Need.objects.get(pk=need.pk).held == 4
    # The replay is the first answer even after the pledge changed.
    client.post(f"{URL}/{first.json()['id']}/cancel", **auth(personas["dina"]))
    assert post(client, personas["dina"], body, "kunci-1").json()["status"] == "committed"


def test_same_key_other_body_is_409(client, personas):
    need = ratna_need()
    assert post(client, personas["dina"], pledge_body(need, 4), "kunci-2").status_code == 201
    r = post(client, personas["dina"], pledge_body(need, 5), "kunci-2")
    assert r.status_code == 409 and "Idempotency-Key" in r.json()["detail"]
    assert Pledge.objects.count() == 1


def test_keys_are_per_organisation(client, personas):
    need = ratna_need()
    body = pledge_body(need, 1)
    a = post(client, personas["dina"], body, "sama")
    b = post(client, personas["agus"], body, "sama")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert IdempotencyKey.objects.count() == 2


def test_failed_request_is_not_remembered(client, personas):
    need = ratna_need()
    too_much = pledge_body(need, need.quantity + 1)
    assert post(client, personas["dina"], too_much, "kunci-3").status_code == 409
    assert not IdempotencyKey.objects.exists()
    # The same key may then be used for a request that fits.
    assert post(client, personas["dina"], pledge_body(need, 1), "kunci-3").status_code == 201


def test_without_key_every_post_creates(client, personas):
    need = ratna_need()
    body = pledge_body(need, 1)
    for _ in range(2):
        assert (
            client.post(URL, body, content_type="application/json", **auth(personas["dina"])).status_code
            == 201
        )
    assert Pledge.objects.count() == 2


def test_overlong_key_is_422(client, personas):
    r = post(client, personas["dina"], pledge_body(ratna_need(), 1), "k" * 201)
    assert r.status_code == 422
    assert not Pledge.objects.exists()
