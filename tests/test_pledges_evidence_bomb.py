"""Decompression bombs as delivery evidence: the declared size is checked before any
pixel is decoded, against EVIDENCE_MAX_PIXELS; a refused photo writes no delivery and
no file; with every image slot taken an upload is answered 503 with Retry-After."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from kolaborasi.core import heavy
from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.pledges.services import pledge_create
from tests.bombs import zero_png
from tests.personas import login
from tests.pledges_support import image_bytes, ratna_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledge(personas: dict[str, Any], settings: Any, tmp_path: Path) -> Pledge:
    settings.MEDIA_ROOT = tmp_path / "media"
    return pledge_create(
        actor=personas["dina"].user,
        organisation=personas["dina"].organisation,
        need=ratna_need(),
        quantity=5,
        planned_delivery=timezone.localdate() + dt.timedelta(days=2),
    )


def _upload(client: Client, pledge: Pledge, token: str, image: bytes, name: str = "bukti.png") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/pledges/{pledge.pk}/deliveries",
        {
            "quantity": "1",
            "delivered_on": str(timezone.localdate()),
            "evidence": SimpleUploadedFile(name, image, content_type="image/png"),
        },
        headers={"Authorization": f"Bearer {token}"},
    )


def _nothing_written(pledge: Pledge, media: Path) -> None:
    pledge.refresh_from_db()
    assert pledge.delivered == 0
    assert not Delivery.objects.filter(pledge=pledge).exists()
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_zero_filled_6300_square_png_is_refused_before_decoding(
    client: Client, personas: dict[str, Any], pledge: Pledge, settings: Any
) -> None:
    bomb = zero_png(6300, 6300)
    assert len(bomb) < 200_000
    response = _upload(client, pledge, personas["dina"].token, bomb)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "6300×6300 piksel" in detail and "maksimal 20 megapiksel" in detail
    _nothing_written(pledge, Path(settings.MEDIA_ROOT))


def test_the_pixel_limit_is_a_setting(
    client: Client, personas: dict[str, Any], pledge: Pledge, settings: Any
) -> None:
    settings.EVIDENCE_MAX_PIXELS = 100 * 100
    response = _upload(client, pledge, personas["dina"].token, image_bytes("PNG", (101, 100)))
    assert response.status_code == 422
    assert "101×100 piksel" in response.json()["detail"]
    ok = _upload(client, pledge, personas["dina"].token, image_bytes("PNG", (100, 100)))
    assert ok.status_code == 201
    assert Delivery.objects.filter(pledge=pledge).count() == 1


@override_settings(IMAGE_WORK_SLOTS=1, IMAGE_WORK_WAIT_SECONDS=0, HEAVY_RETRY_AFTER=3)
def test_with_every_image_slot_taken_an_upload_gets_503_and_writes_nothing(
    client: Client, personas: dict[str, Any], pledge: Pledge, settings: Any
) -> None:
    with heavy.slot("image", 1):
        response = _upload(client, pledge, personas["dina"].token, image_bytes("PNG"))
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert "banyak foto" in response.json()["detail"]
    _nothing_written(pledge, Path(settings.MEDIA_ROOT))


def test_the_delivery_page_shows_the_refusal(
    client: Client, personas: dict[str, Any], pledge: Pledge, settings: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, personas["dina"].user)
    response = client.post(
        f"/komitmen/{pledge.pk}/salurkan/",
        {
            "quantity": "1",
            "delivered_on": str(timezone.localdate()),
            "evidence": SimpleUploadedFile("b.png", zero_png(6300, 6300), content_type="image/png"),
        },
    )
    assert response.status_code == 422
    assert "Foto terlalu besar: 6300×6300 piksel" in response.content.decode()
    _nothing_written(pledge, Path(settings.MEDIA_ROOT))
