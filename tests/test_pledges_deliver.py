"""POST /api/v1/pledges/{id}/deliveries: JSON or multipart with an evidence photo."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import gps_exif, image_bytes, make_pledge, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(pledge):
    return f"/api/v1/pledges/{pledge.pk}/deliveries"


def post_json(client, persona, pledge, quantity, day=None):
    body = {"quantity": quantity, "delivered_on": (day or today()).isoformat()}
    return client.post(url(pledge), body, content_type="application/json", **auth(persona))


def post_photo(client, persona, pledge, data, name="bukti.jpg", quantity=1, content_type="image/jpeg"):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(
        url(pledge),
        {"quantity": quantity, "delivered_on": today().isoformat(), "evidence": upload},
        **auth(persona),
    )


def state(pledge):
    pledge.refresh_from_db()
    need = Need.objects.get(pk=pledge.need_id)
    return pledge.status, pledge.delivered, need.delivered, Delivery.objects.filter(pledge=pledge).count()


def test_partial_then_full_delivery(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=5)
    r = post_json(client, dina, pledge, 2)
    assert r.status_code == 201, r.content
    assert r.json()["pledge"]["status"] == "delivered" and r.json()["pledge"]["delivered"] == 2
    assert r.json()["evidence"] is None
    assert state(pledge) == ("delivered", 2, 2, 1)
    # More than is undelivered: the pledge as it stands refuses it → 409.
    r = post_json(client, dina, pledge, 4)
    assert r.status_code == 409 and "quantity" in r.json()["detail"]
    assert state(pledge) == ("delivered", 2, 2, 1)
    assert post_json(client, dina, pledge, 3).status_code == 201
    assert state(pledge) == ("delivered", 5, 5, 2)
    assert post_json(client, dina, pledge, 1).status_code == 409
    assert needs_with_drift([pledge.need_id]) == []


def test_future_date_and_bad_json(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=5)
    r = post_json(client, dina, pledge, 1, today() + dt.timedelta(days=1))
    assert r.status_code == 422 and "delivered_on" in r.json()["detail"]
    r = client.post(url(pledge), "{not json", content_type="application/json", **auth(dina))
    assert r.status_code == 422
    r = client.post(
        url(pledge),
        {"quantity": 0, "delivered_on": "2020-01-01"},
        content_type="application/json",
        **auth(dina),
    )
    assert r.status_code == 422 and "quantity" in r.json()["detail"]
    r = client.post(url(pledge), "quantity=1", content_type="text/plain", **auth(dina))
    assert r.status_code == 422
    assert state(pledge) == ("committed", 0, 0, 0)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_photo_is_reencoded_and_stored(client, personas, fmt):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=5)
    r = post_photo(client, dina, pledge, image_bytes(fmt, exif=gps_exif()), name="foto.bin", quantity=2)
    assert r.status_code == 201, r.content
    delivery = Delivery.objects.get(pledge=pledge)
    assert r.json()["evidence"] == delivery.evidence.url
    with default_storage.open(str(delivery.evidence.name)) as fh:
        stored = fh.read()
    img = Image.open(io.BytesIO(stored))
    assert img.format == fmt
    assert not img.getexif()  # no EXIF, so no GPS position
    assert b"KameraUji" not in stored
    assert state(pledge) == ("delivered", 2, 2, 1)


def test_png_with_gps_exif_is_stripped(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=5)
    raw = image_bytes("PNG", exif=gps_exif())
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the upload does carry GPS
    r = post_photo(client, dina, pledge, raw, name="peta.png", content_type="image/png")
    assert r.status_code == 201
    stored = default_storage.open(str(Delivery.objects.get(pledge=pledge).evidence.name)).read()
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(0x8825)
    assert b"eXIf" not in stored and b"KameraUji" not in stored


def _bad(client, persona, pledge, data, name="bukti.jpg"):
    files_before = set(_all_files())
    r = post_photo(client, persona, pledge, data, name=name)
    assert r.status_code == 422, r.content
    assert "evidence" in r.json()["detail"]
    assert state(pledge) == ("committed", 0, 0, 0)
    assert set(_all_files()) == files_before
    return r.json()["detail"]


def _all_files():
    from django.conf import settings

    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_text_named_jpg_is_rejected(client, personas):
    pledge = make_pledge(personas["dina"])
    detail = _bad(client, personas["dina"], pledge, b"ini bukan foto, hanya teks\n" * 10)
    assert "JPEG" in detail


def test_truncated_image_is_rejected(client, personas):
    pledge = make_pledge(personas["dina"])
    data = image_bytes("JPEG", size=(400, 300))
    detail = _bad(client, personas["dina"], pledge, data[: len(data) // 2])
    assert "rusak" in detail or "corrupt" in detail


def test_truncated_image_is_rejected_after_a_pdf_was_rendered(client, personas):
    """The PDF library loosens Pillow's truncation check for the whole process when it is
    imported; a worker that has rendered the weekly report must still refuse a cut-off
    photo."""
    import kolaborasi.stats.pdf  # noqa: F401  (what a PDF rendering imports)

    pledge = make_pledge(personas["dina"])
    data = image_bytes("JPEG", size=(400, 300))
    detail = _bad(client, personas["dina"], pledge, data[: len(data) // 2])
    assert "rusak" in detail or "corrupt" in detail


def test_oversize_is_rejected(client, personas, settings):
    settings.EVIDENCE_MAX_BYTES = 2_000
    pledge = make_pledge(personas["dina"])
    noisy = Image.effect_noise((200, 200), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 2_000
    detail = _bad(client, personas["dina"], pledge, out.getvalue(), name="besar.png")
    assert "besar" in detail


def test_gif_is_rejected(client, personas):
    pledge = make_pledge(personas["dina"])
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    _bad(client, personas["dina"], pledge, out.getvalue(), name="animasi.jpg")


def test_evidence_as_text_field_is_rejected(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina)
    r = client.post(
        url(pledge), {"quantity": 1, "delivered_on": today().isoformat(), "evidence": "x"}, **auth(dina)
    )
    assert r.status_code == 422 and "evidence" in r.json()["detail"]


def test_cannot_deliver_on_cancelled_pledge(client, personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=3)
    assert client.post(f"/api/v1/pledges/{pledge.pk}/cancel", **auth(dina)).status_code == 200
    r = post_json(client, dina, pledge, 1)
    assert r.status_code == 409 and "Dibatalkan" in r.json()["detail"]
    assert Pledge.objects.get(pk=pledge.pk).delivered == 0
