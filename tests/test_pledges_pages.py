"""The pledge pages: the newcomer's path (pledge → deliver with photo → the RW's
coordinator confirms) and the page permission matrix."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.targets.models import Need
from tests.personas import login
from tests.pledges_support import image_bytes, make_pledge, ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_pledge_deliver_confirm_through_the_pages(client, personas):
    need = ratna_need()
    dina, ratna = personas["dina"], personas["ratna"]
    login(client, dina)
    page = client.get(f"/komitmen/baru/{need.target_id}/")
    assert page.status_code == 200 and need.target.name in page.content.decode()
    form = {
        "need": need.pk,
        "quantity": 6,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        "contact_name": "Dina",
        "contact_phone": "0812000000",
    }
    # Without the statement of commitment nothing is created.
    r = client.post(f"/komitmen/baru/{need.target_id}/", form)
    assert r.status_code == 200 and not Pledge.objects.exists()
    r = client.post(f"/komitmen/baru/{need.target_id}/", {**form, "statement": "on"})
    assert r.status_code == 302 and r["Location"] == "/komitmen/"
    pledge = Pledge.objects.get()
    assert (pledge.quantity, pledge.organisation_id, pledge.contact_phone) == (
        6,
        dina.organisation.pk,
        "0812000000",
    )
    assert Need.objects.get(pk=need.pk).remaining == need.quantity - 6

    mine = client.get("/komitmen/")
    assert f"komitmen-{pledge.pk}" in mine.content.decode()
    photo = SimpleUploadedFile("bukti.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    r = client.post(
        f"/komitmen/{pledge.pk}/salurkan/",
        {"quantity": 6, "delivered_on": today().isoformat(), "evidence": photo},
    )
    assert r.status_code == 302
    delivery = Delivery.objects.get(pledge=pledge)
    assert delivery.quantity == 6 and delivery.evidence
    assert Need.objects.get(pk=need.pk).delivered == 6

    login(client, ratna)
    inbox = client.get("/komitmen/konfirmasi/")
    assert f"komitmen-{pledge.pk}" in inbox.content.decode()
    r = client.post(f"/komitmen/{pledge.pk}/konfirmasi/", {"next": "/komitmen/konfirmasi/"})
    assert r.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.status, pledge.confirmed) == ("confirmed", 6)
    assert Need.objects.get(pk=need.pk).confirmed == 6
    assert f"komitmen-{pledge.pk}" not in client.get("/komitmen/konfirmasi/").content.decode()
    assert audit_verify().ok


def test_form_says_what_remains_when_it_does_not_fit(client, personas):
    need = ratna_need()
    login(client, personas["dina"])
    r = client.post(
        f"/komitmen/baru/{need.target_id}/",
        {
            "need": need.pk,
            "quantity": need.quantity + 1,
            "planned_delivery": today().isoformat(),
            "contact_name": "Dina",
            "contact_phone": "0812",
            "statement": "on",
        },
    )
    assert r.status_code == 200
    assert r.context["exhausted"]["remaining"] == need.quantity
    assert str(need.quantity) in r.content.decode()
    assert not Pledge.objects.exists()


def test_bad_photo_on_page_changes_nothing(client, personas):
    pledge = make_pledge(personas["dina"], quantity=3)
    login(client, personas["dina"])
    fake = SimpleUploadedFile("bukti.jpg", b"bukan gambar", content_type="image/jpeg")
    r = client.post(
        f"/komitmen/{pledge.pk}/salurkan/",
        {"quantity": 1, "delivered_on": today().isoformat(), "evidence": fake},
    )
    # The form comes back with the reason beside the photo field and the quantity kept.
    assert r.status_code == 422
    assert not Delivery.objects.exists()
    body = r.content.decode()
    assert "JPEG" in body and 'name="quantity"' in body and 'value="1"' in body


def test_operator_overview_lists_over_covered(client, personas):
    from kolaborasi.targets.services import need_update

    oki = personas["oki"]
    need = ratna_need()
    make_pledge(personas["dina"], need, quantity=10)
    need_update(actor=oki.user, organisation=oki.organisation, target=need.target, size=3, reason="koreksi")
    login(client, oki)
    r = client.get("/komitmen/semua/")
    assert r.status_code == 200
    assert [(n.pk, n.excess) for n in r.context["over_covered"]] == [(need.pk, 7)]


PERSONAS = ["dina", "agus", "ratna", "oki", "luar", "anonymous"]
PAGES = [
    ("get", "/komitmen/baru/{target}/", [200, 200, 403, 403, 403, 302]),
    ("get", "/komitmen/", [200, 200, 200, 200, 200, 302]),
    ("get", "/komitmen/konfirmasi/", [403, 403, 200, 200, 403, 302]),
    ("get", "/komitmen/semua/", [403, 403, 403, 200, 403, 302]),
    ("post", "/komitmen/{id}/salurkan/", [302, 404, 403, 403, 404, 302]),
    ("post", "/komitmen/{id}/batal/", [302, 404, 403, 302, 404, 302]),
    ("post", "/komitmen/{id}/perpanjang/", [302, 404, 403, 403, 404, 302]),
    ("post", "/komitmen/{id}/konfirmasi/", [403, 403, 302, 302, 403, 302]),
    ("get", "/komitmen/dipersoalkan/", [403, 403, 200, 200, 403, 302]),
    ("get", "/komitmen/penyaluran/{delivery}/", [200, 404, 200, 200, 404, 302]),
    # Confirm one unit of two, with a note: partial confirmation.
    ("post", "/komitmen/penyaluran/{delivery}/konfirmasi/", [403, 403, 302, 302, 403, 302]),
    ("post", "/komitmen/penyaluran/{delivery}/persoalkan/", [403, 403, 302, 302, 403, 302]),
]


@pytest.mark.parametrize(
    ("method", "url", "who", "expected"),
    [
        pytest.param(m, u, who, exp[i], id=f"{m} {u} {who}")
        for m, u, exp in PAGES
        for i, who in enumerate(PERSONAS)
    ],
)
def test_page_matrix(client, personas, method, url, who, expected):
    need = ratna_need()
    pledge = make_pledge(personas["dina"], need, quantity=5, delivered=2)
    before = list(Pledge.objects.values())
    if who != "anonymous":
        login(client, personas[who])
    delivery = Delivery.objects.get(pledge=pledge)
    deliveries_before = list(Delivery.objects.values())
    path = url.format(id=pledge.pk, target=need.target_id, delivery=delivery.pk)
    data = {
        "yakin": "1",  # destructive actions ask first; the matrix is about who may
        "quantity": 1,
        "note": "satu paket belum diterima",
        "reason": "jumlah tidak sesuai",
        "delivered_on": today().isoformat(),
        "planned_delivery": (today() + dt.timedelta(days=5)).isoformat(),
    }
    events = AuditEvent.objects.count()
    r = client.get(path) if method == "get" else client.post(path, data)
    assert r.status_code == expected
    if who == "anonymous":
        assert r["Location"].startswith("/akun/masuk/")
    if expected != 302 or who == "anonymous":
        assert list(Pledge.objects.values()) == before
        assert list(Delivery.objects.values()) == deliveries_before
        assert AuditEvent.objects.count() == events
    elif method == "post":
        assert list(Pledge.objects.values()) != before
    assert audit_verify().ok


ANSWER = [302, 403, 403, 403, 403, 302]


@pytest.mark.parametrize(("who", "expected"), list(zip(PERSONAS, ANSWER, strict=True)))
def test_answer_matrix(client, personas, who, expected):
    """Only the delivering organisation answers a dispute; nobody else adds anything."""
    from kolaborasi.pledges import confirmation
    from kolaborasi.pledges.models import DisputeAnswer

    ratna = personas["ratna"]
    pledge = make_pledge(personas["dina"], quantity=5, delivered=2)
    confirmation.pledge_dispute(
        actor=ratna.user, organisation=ratna.organisation, pledge=pledge, reason="kurang"
    )
    delivery = Delivery.objects.get(pledge=pledge)
    if who != "anonymous":
        login(client, personas[who])
    events = AuditEvent.objects.count()
    r = client.post(f"/komitmen/penyaluran/{delivery.pk}/jawab/", {"note": "Sudah kami antar semua"})
    assert r.status_code == expected
    answered = expected == 302 and who != "anonymous"
    assert DisputeAnswer.objects.count() == (1 if answered else 0)
    assert AuditEvent.objects.count() == events + (1 if answered else 0)
    if expected == 403:
        assert "Hanya organisasi penyalur yang dapat menjawab" in r.content.decode()
    assert audit_verify().ok
