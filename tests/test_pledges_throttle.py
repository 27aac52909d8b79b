"""Pledge writes and evidence uploads are throttled per organisation (THROTTLE_PLEDGES,
120 a minute; THROTTLE_EVIDENCE, 100 photos an hour), through the API and the pages
alike: over the limit the answer is 429 with Retry-After and nothing is reserved or
stored; other organisations are not affected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import image_bytes, make_pledge, pledge_body, ratna_need, today
from tests.throttle_support import assert_throttled, rates

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "one_window", "verified_dina")]
URL = "/api/v1/pledges"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def _pledge(client, persona, need: Need):  # type: ignore[no-untyped-def]
    return client.post(URL, pledge_body(need, 1), content_type="application/json", **auth(persona))


def test_api_pledges_at_the_documented_rate(client, personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    for n in range(120):
        assert _pledge(client, personas["dina"], need).status_code == 201, n
    held = Need.objects.get(pk=need.pk).held
    assert_throttled(_pledge(client, personas["dina"], need), api=True)
    assert Pledge.objects.filter(organisation=personas["dina"].organisation).count() == 120
    assert Need.objects.get(pk=need.pk).held == held  # the refused request reserved nothing
    # Another organisation pledges as usual.
    assert _pledge(client, personas["agus"], need).status_code == 201


@rates(pledges="3/m")
def test_page_pledges_share_the_organisations_count(client, personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    dina = personas["dina"]
    for _n in range(2):
        assert _pledge(client, dina, need).status_code == 201
    client.force_login(dina.user)
    form = {
        "need": need.pk,
        "quantity": 1,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        "contact_name": "Dina",
        "contact_phone": "0812000000",
        "statement": "on",
    }
    url = f"/komitmen/baru/{need.target_id}/"
    assert client.post(url, form).status_code == 302
    refused = client.post(url, form)
    assert_throttled(refused, api=False)
    assert Pledge.objects.filter(organisation=dina.organisation).count() == 3
    # Reading the form is not a write.
    assert client.get(url).status_code == 200
    assert_throttled(_pledge(client, dina, need), api=True)


@rates(evidence="2/h")
def test_evidence_uploads_per_organisation(client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=10)

    def api_upload():  # type: ignore[no-untyped-def]
        photo = SimpleUploadedFile("bukti.jpg", image_bytes("JPEG"), content_type="image/jpeg")
        return client.post(
            f"{URL}/{pledge.pk}/deliveries",
            {"quantity": 1, "delivered_on": today().isoformat(), "evidence": photo},
            **auth(dina),
        )

    assert api_upload().status_code == 201
    # Deliveries without a photo are not uploads.
    plain = client.post(
        f"{URL}/{pledge.pk}/deliveries",
        {"quantity": 1, "delivered_on": today().isoformat()},
        content_type="application/json",
        **auth(dina),
    )
    assert plain.status_code == 201
    client.force_login(dina.user)
    photo = SimpleUploadedFile("bukti.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    page = client.post(
        f"/komitmen/{pledge.pk}/salurkan/",
        {"quantity": 1, "delivered_on": today().isoformat(), "evidence": photo},
    )
    assert page.status_code == 302
    assert Delivery.objects.filter(pledge=pledge).count() == 3

    assert_throttled(api_upload(), api=True)
    photo = SimpleUploadedFile("bukti.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    refused = client.post(
        f"/komitmen/{pledge.pk}/salurkan/",
        {"quantity": 1, "delivered_on": today().isoformat(), "evidence": photo},
    )
    assert_throttled(refused, api=False)
    assert Delivery.objects.filter(pledge=pledge).count() == 3
    pledge.refresh_from_db()
    assert pledge.delivered == 3
