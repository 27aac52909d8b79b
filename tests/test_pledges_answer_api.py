"""The delivering organisation's answer to a dispute through the API:
POST /api/v1/pledges/{id}/deliveries/{delivery_id}/answer, JSON ``{note}`` or multipart
with a note and/or an ``evidence`` photo. It goes through the same service as the
delivery's page, so the receiving side reads it on its list of open disputes. Who may
answer is in the permission matrix (tests/test_pledges_permissions.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import confirmation
from kolaborasi.pledges.models import Delivery, DisputeAnswer, Pledge, Review
from tests.bombs import zero_png
from tests.personas import auth, login
from tests.pledges_support import image_bytes, make_pledge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def disputed(personas):
    """A delivery of dina's, disputed by ratna (the RW's coordinator)."""
    ratna = personas["ratna"]
    pledge = make_pledge(personas["dina"], quantity=10, delivered=6)
    confirmation.pledge_dispute(
        actor=ratna.user, organisation=ratna.organisation, pledge=pledge, reason="Baru 4 paket yang tiba"
    )
    return Delivery.objects.select_related("pledge").get(pledge=pledge)


def url(delivery, pledge_id=None):
    return f"/api/v1/pledges/{pledge_id or delivery.pledge_id}/deliveries/{delivery.pk}/answer"


def answer_json(client, persona, delivery, body, **kwargs):
    return client.post(url(delivery, **kwargs), body, content_type="application/json", **auth(persona))


def everything():
    return (
        list(Pledge.objects.order_by("pk").values()),
        list(Delivery.objects.order_by("pk").values()),
        list(DisputeAnswer.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def test_donor_answers_with_a_note_and_the_dispute_stays_open(client, personas, disputed):
    dina = personas["dina"]
    r = answer_json(client, dina, disputed, {"note": "Enam paket diterima Pak RT, ada tanda terimanya"})
    assert r.status_code == 201, r.content
    answer = DisputeAnswer.objects.get(delivery=disputed)
    assert r.json() == {
        "id": answer.pk,
        "pledge": disputed.pledge_id,
        "delivery": disputed.pk,
        "note": "Enam paket diterima Pak RT, ada tanda terimanya",
        "evidence": None,
        "review": "disputed",
    }
    assert (answer.organisation_id, answer.created_by_id) == (dina.organisation.pk, None)
    disputed.refresh_from_db()
    assert disputed.review == Review.DISPUTED  # only the receiving side ends a dispute
    assert Pledge.objects.get(pk=disputed.pledge_id).disputed == 6
    event = AuditEvent.objects.filter(action="delivery.answered", object_id=str(disputed.pk)).get()
    assert event.organisation_id == dina.organisation.pk
    assert (event.after or {})["note"] == answer.note
    assert audit_verify().ok

    # The same answer as one made on the page: the operator reads it among open disputes.
    login(client, personas["oki"])
    page = client.get("/komitmen/dipersoalkan/").content.decode()
    assert f"persoalan-{disputed.pk}" in page and "ada tanda terimanya" in page


def test_donor_answers_with_a_photo(client, personas, disputed):
    photo = SimpleUploadedFile("serah-terima.jpg", image_bytes("JPEG", size=(800, 600)), "image/jpeg")
    r = client.post(url(disputed), {"note": "Foto serah terima", "evidence": photo}, **auth(personas["dina"]))
    assert r.status_code == 201, r.content
    answer = DisputeAnswer.objects.get(delivery=disputed)
    assert answer.evidence and answer.evidence_thumb
    assert r.json()["evidence"] == answer.evidence.url
    # A photo alone is an answer too, as on the page.
    photo = SimpleUploadedFile("lagi.png", image_bytes("PNG", size=(300, 200)), "image/png")
    r = client.post(url(disputed), {"evidence": photo}, **auth(personas["dina"]))
    assert (r.status_code, r.json()["note"]) == (201, "")
    assert DisputeAnswer.objects.filter(delivery=disputed).count() == 2
    assert audit_verify().ok


def _bad_bodies():
    return [
        ("json", {}, "note", "Tulis jawaban atau lampirkan foto"),
        ("json", {"note": "   "}, "note", "Tulis jawaban atau lampirkan foto"),
        ("json", {"note": "x" * 1001}, "note", "1000"),
        ("json", {"note": 5}, "note", ""),
        ("json", [1, 2], "", "objek JSON"),
        ("raw", b"{not json", "", "JSON"),
        ("form", {"note": "lihat", "evidence": "bukan berkas"}, "evidence", "berkas foto"),
        ("file", ("bukti.jpg", b"GIF89a bukan foto", "image/jpeg"), "evidence", "JPEG"),
        ("file", ("bom.png", zero_png(6300, 6300), "image/png"), "evidence", "piksel"),
    ]


@pytest.mark.parametrize(
    ("kind", "body", "field", "words"),
    _bad_bodies(),
    ids=[f"{b[0]}-{i}" for i, b in enumerate(_bad_bodies())],
)
def test_bad_answer_is_422_and_changes_nothing(client, personas, disputed, kind, body, field, words):
    before = everything()
    dina = personas["dina"]
    if kind == "json":
        r = answer_json(client, dina, disputed, body)
    elif kind == "raw":
        r = client.post(url(disputed), body, content_type="application/json", **auth(dina))
    elif kind == "form":
        r = client.post(url(disputed), body, **auth(dina))
    else:
        name, content, content_type = body
        upload = SimpleUploadedFile(name, content, content_type)
        r = client.post(url(disputed), {"note": "lihat foto", "evidence": upload}, **auth(dina))
    assert r.status_code == 422, r.content
    detail = r.json()["detail"]
    assert field in detail and words in detail, detail
    assert everything() == before


def test_answer_to_a_delivery_not_under_dispute_is_409(client, personas):
    dina, ratna = personas["dina"], personas["ratna"]
    pledge = make_pledge(dina, quantity=5, delivered=3)
    delivery = Delivery.objects.get(pledge=pledge)
    before = everything()
    r = answer_json(client, dina, delivery, {"note": "belum dipersoalkan"})
    assert r.status_code == 409
    assert "tidak sedang dipersoalkan" in r.json()["detail"]
    assert everything() == before
    # Once settled (the coordinator confirms), the dispute is closed to answers again.
    confirmation.pledge_dispute(
        actor=ratna.user, organisation=ratna.organisation, pledge=pledge, reason="kurang"
    )
    confirmation.pledge_confirm(actor=ratna.user, organisation=ratna.organisation, pledge=pledge)
    before = everything()
    r = answer_json(client, dina, delivery, {"note": "terlambat"})
    assert r.status_code == 409
    assert everything() == before
    assert audit_verify().ok


def test_a_delivery_of_another_pledge_is_404(client, personas, disputed):
    dina = personas["dina"]
    other = make_pledge(dina, quantity=3)
    before = everything()
    r = answer_json(client, dina, disputed, {"note": "salah alamat"}, pledge_id=other.pk)
    assert r.status_code == 404
    assert str(disputed.pk) in r.json()["detail"]
    r = client.post(
        f"/api/v1/pledges/{disputed.pledge_id}/deliveries/2000000000/answer",
        {"note": "tidak ada"},
        content_type="application/json",
        **auth(dina),
    )
    assert r.status_code == 404
    assert everything() == before


def test_documented_in_the_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/pledges/{pledge_id}/deliveries/{delivery_id}/answer"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    content = operation["requestBody"]["content"]
    assert content["application/json"]["schema"]["required"] == ["note"]
    assert content["multipart/form-data"]["schema"]["properties"]["evidence"]["format"] == "binary"
