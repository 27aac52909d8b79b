"""Confirmation per delivery through the pages: the coordinator confirms part of one
delivery and disputes another, the donor answers with a note and a photo, an operator
sees the open dispute and settles it, and every page tells the same truth — the
donor's list, the coordinator's inbox, the public target page."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import services
from kolaborasi.pledges.models import Delivery, DisputeAnswer, Pledge, Review
from kolaborasi.pledges.selectors import needs_with_drift
from kolaborasi.targets.models import Need
from kolaborasi.targets.services import need_update
from tests.bombs import zero_png
from tests.personas import login
from tests.pledges_support import image_bytes, make_pledge, ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def photo(name="bukti.jpg", size=(1600, 1200)):
    return SimpleUploadedFile(name, image_bytes("JPEG", size=size), content_type="image/jpeg")


def deliver_with_photo(persona, pledge, quantity):
    return services.delivery_record(
        actor=persona.user,
        organisation=persona.organisation,
        pledge=pledge,
        quantity=quantity,
        delivered_on=today(),
        evidence=photo(),
    )


def snapshot(pledge):
    return (
        list(Pledge.objects.filter(pk=pledge.pk).values()),
        list(Delivery.objects.filter(pledge=pledge).order_by("pk").values()),
        Need.objects.filter(pk=pledge.need_id).values_list("confirmed", flat=True).get(),
        DisputeAnswer.objects.count(),
    )


def test_thumbnail_is_small_and_made_with_the_photo(personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=5)
    delivery = deliver_with_photo(dina, pledge, 2)
    assert delivery.evidence_thumb.name.startswith("evidence/thumbs/")
    with Image.open(delivery.evidence_thumb.open("rb")) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= 192
        assert thumb.size == (192, 144)  # keeps the photo's proportions


def test_the_journey_through_the_pages(client, personas):
    dina, ratna, oki = personas["dina"], personas["ratna"], personas["oki"]
    need = ratna_need()
    first = make_pledge(dina, need, quantity=60)
    partly = deliver_with_photo(dina, first, 40)
    second = make_pledge(dina, need, quantity=20)
    doubtful = deliver_with_photo(dina, second, 20)

    # The coordinator's inbox: who delivered, thumbnails, a page per delivery.
    login(client, ratna)
    inbox = client.get("/komitmen/konfirmasi/").content.decode()
    assert dina.organisation.name in inbox
    assert partly.evidence_thumb.url in inbox and doubtful.evidence_thumb.url in inbox
    assert ">foto<" not in inbox
    assert f"/komitmen/penyaluran/{partly.pk}/" in inbox
    page = client.get(f"/komitmen/penyaluran/{partly.pk}/").content.decode()
    assert 'id="confirm-form"' in page and 'id="dispute-form"' in page
    assert partly.evidence_thumb.url in page and partly.evidence.url in page

    # Bad input: a specific message, and nothing changes.
    before = snapshot(first)
    for data, message in [
        ({"quantity": 0}, "1"),
        ({"quantity": 41, "note": "x"}, "(40)"),
        ({"quantity": 30}, "catatan"),
    ]:
        r = client.post(f"/komitmen/penyaluran/{partly.pk}/konfirmasi/", data)
        assert r.status_code == 422, data
        assert message in r.content.decode().lower() or message in r.content.decode()
        assert snapshot(first) == before
    r = client.post(f"/komitmen/penyaluran/{doubtful.pk}/persoalkan/", {"reason": "  "})
    assert r.status_code == 422 and "Tulis alasannya" in r.content.decode()

    # Part of the first delivery arrived; the second is disputed.
    r = client.post(
        f"/komitmen/penyaluran/{partly.pk}/konfirmasi/",
        {"quantity": 30, "note": "10 paket belum sampai", "next": "/komitmen/konfirmasi/"},
    )
    assert r.status_code == 302 and r["Location"] == "/komitmen/konfirmasi/"
    partly.refresh_from_db()
    assert (partly.confirmed, partly.review, partly.confirm_note) == (
        30,
        Review.PARTIAL,
        "10 paket belum sampai",
    )
    r = client.post(
        f"/komitmen/penyaluran/{doubtful.pk}/persoalkan/", {"reason": "Warga belum menerima apa pun"}
    )
    assert r.status_code == 302
    doubtful.refresh_from_db()
    assert doubtful.review == Review.DISPUTED
    assert Pledge.objects.get(pk=second.pk).disputed == 20

    # The donor's list tells the truth about each pledge.
    login(client, dina)
    mine = client.get("/komitmen/").content.decode()
    assert "Terkonfirmasi sebagian (30/60)" in mine
    assert "Dipersoalkan" in mine and "Warga belum menerima apa pun" in mine
    page = client.get(f"/komitmen/penyaluran/{doubtful.pk}/").content.decode()
    assert 'id="answer-form"' in page and 'id="confirm-form"' not in page

    # An empty answer and a decompression bomb are refused; nothing is stored.
    before = snapshot(second)
    r = client.post(f"/komitmen/penyaluran/{doubtful.pk}/jawab/", {"note": ""})
    assert r.status_code == 422 and "Tulis jawaban atau lampirkan foto" in r.content.decode()
    bomb = SimpleUploadedFile("bom.png", zero_png(6300, 6300), content_type="image/png")
    r = client.post(f"/komitmen/penyaluran/{doubtful.pk}/jawab/", {"note": "lihat", "evidence": bomb})
    assert r.status_code == 422 and "piksel" in r.content.decode()
    assert snapshot(second) == before

    r = client.post(
        f"/komitmen/penyaluran/{doubtful.pk}/jawab/",
        {"note": "Diterima pak RT, foto terlampir", "evidence": photo("serah-terima.jpg")},
    )
    assert r.status_code == 302
    answer = DisputeAnswer.objects.get(delivery=doubtful)
    assert answer.note == "Diterima pak RT, foto terlampir" and answer.evidence and answer.evidence_thumb

    # The operator's list of open disputes shows it with the answer.
    login(client, oki)
    disputes = client.get("/komitmen/dipersoalkan/").content.decode()
    assert f"persoalan-{doubtful.pk}" in disputes
    assert "Diterima pak RT" in disputes and answer.evidence_thumb.url in disputes

    # The public target page: pledged, delivered, confirmed, and each pledger's state.
    client.logout()
    public = client.get(f"/sasaran/{need.target_id}/").content.decode()
    assert "Dipersoalkan" in public
    row = next(
        n
        for n in client.get(f"/sasaran/{need.target_id}/").context["target"]["needs"]
        if n["aid_type"] == "sembako"
    )
    assert (row["committed"], row["delivered"], row["confirmed"]) == (80, 60, 30)

    # The operator settles the dispute by confirming what arrived.
    login(client, oki)
    r = client.post(f"/komitmen/penyaluran/{doubtful.pk}/konfirmasi/", {"next": "/komitmen/dipersoalkan/"})
    assert r.status_code == 302 and r["Location"] == "/komitmen/dipersoalkan/"
    assert f"persoalan-{doubtful.pk}" not in client.get("/komitmen/dipersoalkan/").content.decode()
    second.refresh_from_db()
    assert (second.confirmed, second.disputed, second.progress()) == (20, 0, "confirmed")
    assert Need.objects.get(pk=need.pk).confirmed == 50
    assert needs_with_drift([need.pk]) == []
    assert audit_verify().ok


def test_target_page_flags_over_commitment_and_shows_the_last_change(client, personas):
    oki = personas["oki"]
    need = ratna_need()
    make_pledge(personas["dina"], need, quantity=60, delivered=30)
    size_before = need.target.size
    need_update(
        actor=oki.user, organisation=oki.organisation, target=need.target, size=40, reason="Data DTKS terbaru"
    )
    r = client.get(f"/sasaran/{need.target_id}/")
    body = r.content.decode()
    assert "Komitmen melebihi kebutuhan: 20 paket" in body
    assert "Data DTKS terbaru" in body
    change = r.context["need_change"]
    assert (change["size_before"], change["size_after"]) == (size_before, 40)
    assert "Tersalurkan sebagian (30/60)" in body


def test_status_labels_read_the_counters(personas):
    pledge = make_pledge(personas["dina"], quantity=600 // 10, delivered=30)
    assert pledge.progress_label() == "Tersalurkan sebagian (30/60)"
    with_thousands = Pledge(quantity=1200, delivered=600, confirmed=300, status="delivered")
    assert with_thousands.progress_label() == "Terkonfirmasi sebagian (300/1.200)"
    assert Pledge(quantity=5, delivered=5, confirmed=0, status="delivered").progress_label() == "Tersalurkan"
    assert Pledge(quantity=5, delivered=5, disputed=2, status="delivered").progress_label() == "Dipersoalkan"


def test_thumbnail_of_a_transparent_png_is_flat(personas):
    from kolaborasi.pledges.evidence import evidence_clean

    out = io.BytesIO()
    Image.new("RGBA", (400, 100), (0, 0, 0, 0)).save(out, "PNG")
    out.seek(0)
    clean = evidence_clean(out, size=len(out.getvalue()))
    with Image.open(io.BytesIO(clean.thumbnail)) as thumb:
        assert (thumb.format, thumb.mode, thumb.size) == ("JPEG", "RGB", (192, 48))
        assert thumb.getpixel((0, 0)) == (255, 255, 255)


def _status_cell(html: str, organisation: str) -> str:
    """The status cell of ``organisation``'s row among the target's pledgers."""
    table = html.split('class="pledgers', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr>") if organisation in r)
    return row.rsplit("<td", 1)[1]


def test_target_page_shows_a_dispute_beside_a_partial_confirmation(client, personas):
    """A row with an open dispute still says how much was confirmed: both are true."""
    dina, ratna = personas["dina"], personas["ratna"]
    need = ratna_need()
    pledge = make_pledge(dina, need, quantity=60)
    delivery = deliver_with_photo(dina, pledge, 40)
    login(client, ratna)
    r = client.post(
        f"/komitmen/penyaluran/{delivery.pk}/konfirmasi/", {"quantity": 30, "note": "10 paket belum sampai"}
    )
    assert r.status_code == 302
    r = client.post(
        f"/komitmen/penyaluran/{delivery.pk}/persoalkan/", {"reason": "10 paket tidak pernah tiba"}
    )
    assert r.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.confirmed, delivery.review) == (30, Review.DISPUTED)
    client.logout()

    cell = _status_cell(client.get(f"/sasaran/{need.target_id}/").content.decode(), dina.organisation.name)
    assert "Terkonfirmasi sebagian (30/60)" in cell and "Dipersoalkan" in cell
    assert cell.index("Terkonfirmasi sebagian") < cell.index("Dipersoalkan")
    assert 'class="status partly_confirmed"' in cell and 'class="status disputed"' in cell
    # The donor's own list says the same of the pledge.
    login(client, dina)
    mine = client.get("/komitmen/").content.decode()
    row = mine.split(f'id="komitmen-{pledge.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Terkonfirmasi sebagian (30/60)" in row and "Dipersoalkan" in row
    client.logout()

    # In English, the same two states and nothing Indonesian.
    client.cookies["django_language"] = "en"
    cell = _status_cell(client.get(f"/sasaran/{need.target_id}/").content.decode(), dina.organisation.name)
    assert "Partly confirmed (30/60)" in cell and "Disputed" in cell
    assert "Terkonfirmasi" not in cell and "Dipersoalkan" not in cell

    # Settled: the dispute chip goes, the confirmation stays.
    client.cookies["django_language"] = "id"
    login(client, ratna)
    client.post(f"/komitmen/penyaluran/{delivery.pk}/konfirmasi/", {"quantity": 10})
    client.logout()
    cell = _status_cell(client.get(f"/sasaran/{need.target_id}/").content.decode(), dina.organisation.name)
    assert "Terkonfirmasi sebagian (40/60)" in cell and "Dipersoalkan" not in cell
    assert audit_verify().ok


def test_progress_labels_keep_what_a_dispute_would_hide():
    from kolaborasi.pledges.models import progress_labels

    assert progress_labels(held=60, delivered=40, confirmed=30, disputed=10) == [
        ("partly_confirmed", "Terkonfirmasi sebagian (30/60)"),
        ("disputed", "Dipersoalkan"),
    ]
    assert progress_labels(held=20, delivered=20, confirmed=0, disputed=20) == [
        ("delivered", "Tersalurkan"),
        ("disputed", "Dipersoalkan"),
    ]
    assert progress_labels(held=60, delivered=30, confirmed=0) == [
        ("partly_delivered", "Tersalurkan sebagian (30/60)")
    ]
