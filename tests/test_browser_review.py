"""Confirmation per delivery in real headless Chromium on a phone (360×740): the Ketua RW
confirms part of one delivery and disputes another, the donor answers the dispute with a
note and a photo, the RW settles it — and the public target page shows each state. No
page scrolls sideways; the thumbnails are real images.

Evidence files are served by the reverse proxy in production (the app serves media only
with DEBUG); here the browser's requests for ``/media/`` are answered from MEDIA_ROOT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import services
from kolaborasi.pledges.models import Delivery, DisputeAnswer, Review
from tests.browser import PHONE, fits_phone, login_in_browser, new_phone, screenshot
from tests.pledges_support import image_bytes, ratna_need, today

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hold_limits_lifted"),
]


def _images_loaded(page: Any, selector: str) -> int:
    images = page.locator(selector)
    count = images.count()
    for i in range(count):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    return count


def test_review_on_a_phone(browser: Any, demo_url: str, media_root: Path, tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.personas import make_personas

    personas = make_personas()
    dina, ratna = personas["dina"], personas["ratna"]
    assert dina.organisation is not None
    need = ratna_need()
    pledges, deliveries = [], []
    for quantity in (60, 20):
        pledge = services.pledge_create(
            actor=dina.user,
            organisation=dina.organisation,
            need=need,
            quantity=quantity,
            planned_delivery=today(),
        )
        photo = SimpleUploadedFile(
            "bukti.jpg", image_bytes("JPEG", size=(1200, 900)), content_type="image/jpeg"
        )
        delivered = 40 if quantity == 60 else 20
        deliveries.append(
            services.delivery_record(
                actor=dina.user,
                organisation=dina.organisation,
                pledge=pledge,
                quantity=delivered,
                delivered_on=today(),
                evidence=photo,
            )
        )
        pledges.append(pledge)
    partly, doubtful = deliveries

    # The Ketua RW's inbox: each delivery with its thumbnail and who delivered it.
    rw, rw_errors = new_phone(browser, media_root)
    login_in_browser(rw, demo_url, ratna)
    rw.goto(demo_url + "/komitmen/konfirmasi/")
    expect(rw.locator(f"#penyaluran-{partly.pk}")).to_be_visible()
    assert _images_loaded(rw, ".deliveries .thumb img") == 2
    assert "PT Dina Logistik" in rw.locator(f"#komitmen-{pledges[0].pk}").inner_text()
    fits_phone(rw)
    screenshot(rw, "konfirmasi-360")

    # Part of the first delivery arrived.
    rw.locator(f"#penyaluran-{partly.pk} a.button").click()
    rw.wait_for_url(f"**/komitmen/penyaluran/{partly.pk}/**")
    fits_phone(rw)
    rw.fill("#id_quantity", "30")
    rw.fill("#id_note", "10 paket belum sampai di warga")
    screenshot(rw, "penyaluran-konfirmasi-sebagian-360")
    rw.locator("#confirm-form button[type=submit]").click()
    rw.wait_for_url("**/komitmen/konfirmasi/")
    expect(rw.locator("body")).to_contain_text("30 paket dari penyaluran")

    # The second is disputed.
    rw.locator(f"#penyaluran-{doubtful.pk} a.button").click()
    rw.wait_for_url(f"**/komitmen/penyaluran/{doubtful.pk}/**")
    rw.fill("#id_reason", "Warga belum menerima paket ini")
    rw.locator("#dispute-form button[type=submit]").click()
    rw.wait_for_url("**/komitmen/konfirmasi/")
    expect(rw.locator(f"#penyaluran-{doubtful.pk}")).to_contain_text("Dipersoalkan")
    fits_phone(rw)
    partly.refresh_from_db()
    doubtful.refresh_from_db()
    assert (partly.confirmed, partly.review, doubtful.review) == (30, Review.PARTIAL, Review.DISPUTED)

    # The public sees both states: the dispute does not hide what was confirmed.
    public, public_errors = new_phone(browser, media_root)
    public.goto(f"{demo_url}/sasaran/{need.target_id}/")
    table = public.locator("table.pledgers")
    expect(table).to_contain_text("Dipersoalkan")
    expect(table).to_contain_text("Terkonfirmasi sebagian (30/80)")
    needs = public.locator("table.needs").inner_text()
    assert "30" in needs  # confirmed sembako
    fits_phone(public)
    screenshot(public, "sasaran-dipersoalkan-360")
    public.set_viewport_size({"width": 1280, "height": 900})
    screenshot(public, "sasaran-dipersoalkan-1280")
    public.set_viewport_size(PHONE)

    # The donor answers with a note and a photo.
    donor, donor_errors = new_phone(browser, media_root)
    login_in_browser(donor, demo_url, dina)
    donor.goto(demo_url + "/komitmen/")
    item = donor.locator(f"#penyaluran-{doubtful.pk}")
    expect(item).to_contain_text("Dipersoalkan")
    expect(item).to_contain_text("Warga belum menerima paket ini")
    expect(donor.locator(f"#komitmen-{pledges[0].pk}")).to_contain_text("Terkonfirmasi sebagian (30/60)")
    fits_phone(donor)
    screenshot(donor, "komitmen-dipersoalkan-360")
    item.locator("a.button").click()
    donor.wait_for_url(f"**/komitmen/penyaluran/{doubtful.pk}/**")
    donor.fill("#id_note", "Sudah diterima Pak RT 001, foto serah terima terlampir")
    answer_photo = tmp_path / "serah-terima.jpg"
    answer_photo.write_bytes(image_bytes("JPEG", size=(800, 600)))
    donor.set_input_files("#id_evidence", str(answer_photo))
    fits_phone(donor)
    donor.locator("#answer-form button[type=submit]").click()
    donor.wait_for_url("**/komitmen/")
    expect(donor.locator("body")).to_contain_text("Jawaban Anda untuk penyaluran")
    answer = DisputeAnswer.objects.get(delivery=doubtful)
    assert answer.evidence_thumb

    # The Ketua RW reads the answer among the open disputes and settles it.
    rw.goto(demo_url + "/komitmen/dipersoalkan/")
    card = rw.locator(f"#persoalan-{doubtful.pk}")
    expect(card).to_contain_text("Sudah diterima Pak RT 001")
    assert _images_loaded(rw, f"#persoalan-{doubtful.pk} img") == 2
    fits_phone(rw)
    screenshot(rw, "dipersoalkan-360")
    card.locator("a.button").click()
    rw.wait_for_url(f"**/komitmen/penyaluran/{doubtful.pk}/**")
    rw.locator("#confirm-form button[type=submit]").click()
    rw.wait_for_url("**/komitmen/dipersoalkan/")
    expect(rw.locator("body")).to_contain_text("Tidak ada penyaluran yang dipersoalkan.")
    assert Delivery.objects.get(pk=doubtful.pk).review == Review.CONFIRMED

    public.reload()
    expect(public.locator("table.pledgers")).not_to_contain_text("Dipersoalkan")
    expect(public.locator("table.pledgers")).to_contain_text("Terkonfirmasi sebagian (50/80)")
    screenshot(public, "sasaran-terkonfirmasi-360")

    assert audit_verify().ok
    for errors in (rw_errors, public_errors, donor_errors):
        assert not errors, errors
