"""Two first journeys in real headless Chromium on a phone (360 × 740), each one person
going on without a break:

- a new person signs up from the header, chooses to give as an individual, lands on the
  map, opens an RW's page, pledges a few packages and records their delivery with a photo;
- an operator invites a Ketua RW by e-mail, who opens the link, chooses a password, lands
  logged in as a member of the RW's coordinator organisation, confirms part of one
  delivery to the RW and disputes another; the donor answers the dispute, and the public
  target page shows each state.

No sideways scrolling at any step, and the audit chain verifies afterwards. Evidence
photos are answered from MEDIA_ROOT (see tests.browser.serve_media)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from kolaborasi.accounts.models import Membership, OrgKind, OrgSubtype
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import services
from kolaborasi.pledges.models import Delivery, DisputeAnswer, Pledge, Review
from kolaborasi.targets.models import Need
from tests.browser import fits_phone, login_in_browser, new_phone, screenshot
from tests.pledges_support import image_bytes, today
from tests.tasks_support import run_tasks

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sandi-baru-yang-kuat-2026"


def _mailed_path(prefix: str) -> str:
    run_tasks()
    match = re.search(rf"https?://[^/\s]+({prefix}\S+)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def _photo(tmp_path: Path, name: str = "bukti.jpg") -> str:
    path = tmp_path / name
    path.write_bytes(image_bytes("JPEG", size=(640, 480)))
    return str(path)


def _sembako(rw_code: str) -> Need:
    return Need.objects.select_related("target").get(target__region_id=rw_code, aid_type__slug="sembako")


def test_new_person_gives_as_an_individual(phone: Any, demo_url: str, tmp_path: Path) -> None:
    page = phone
    page.goto(demo_url + "/")
    page.click("summary:has-text('Menu')")
    page.click("nav >> text=Buat akun")
    page.wait_for_url("**/akun/daftar/")
    fits_phone(page)
    page.fill("#id_username", "wulan")
    page.fill("#id_email", "wulan@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("form.stacked button[type=submit]")
    expect(page.locator("main")).to_contain_text("wulan@example.org")

    page.goto(demo_url + _mailed_path("/akun/verifikasi/"))
    page.wait_for_url("**/akun/masuk/")
    page.fill("#id_username", "wulan")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/akun/mulai/")
    fits_phone(page)
    screenshot(page, "mulai-360")

    page.click("text=Mulai dari peta")
    page.wait_for_url("**/peta/")
    expect(page.locator(".messages")).to_contain_text("Profil donatur perorangan Anda siap")
    fits_phone(page)
    membership = Membership.objects.select_related("organisation").get(user__username="wulan")
    assert (membership.organisation.kind, membership.organisation.subtype) == (
        OrgKind.DONOR,
        OrgSubtype.INDIVIDUAL,
    )

    # The same person opens an RW's page and gives a few packages.
    need = _sembako("31.74.05.1003.001")
    page.goto(f"{demo_url}/sasaran/{need.target_id}/")
    expect(page.locator("h1")).to_contain_text("RW 001 Cipulir")
    fits_phone(page)
    page.locator("#cta").click()
    page.wait_for_url("**/komitmen/baru/**")
    fits_phone(page)
    page.select_option("#id_need", str(need.pk))
    page.fill("#id_quantity", "5")
    page.check("#id_statement")
    screenshot(page, "perorangan-komitmen-baru-360")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/komitmen/")
    pledge = Pledge.objects.get(organisation=membership.organisation)
    assert (pledge.need_id, pledge.quantity) == (need.pk, 5)
    expect(page.locator(".messages")).to_contain_text(f"Komitmen #{pledge.pk} tercatat")
    fits_phone(page)

    # The delivery, with a photo from the phone.
    deliver = page.locator(f"form[action='/komitmen/{pledge.pk}/salurkan/']")
    deliver.locator("input[name=quantity]").fill("5")
    deliver.locator("input[name=delivered_on]").fill(today().isoformat())
    deliver.locator("input[name=evidence]").set_input_files(_photo(tmp_path))
    deliver.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(demo_url + "/komitmen/")
    expect(page.locator(f"#komitmen-{pledge.pk}")).to_contain_text("Tersalurkan")
    delivery = Delivery.objects.get(pledge=pledge)
    expect(page.locator(f"#penyaluran-{delivery.pk}")).to_contain_text("Menunggu konfirmasi")
    fits_phone(page)
    screenshot(page, "perorangan-tersalurkan-360")
    pledge.refresh_from_db()
    assert (pledge.delivered, pledge.status) == (5, "delivered")
    assert delivery.evidence and delivery.review == Review.PENDING
    assert audit_verify().ok


@pytest.mark.usefixtures("hold_limits_lifted")
def test_operator_invites_a_ketua_rw_who_accepts(
    browser: Any, phone: Any, demo_url: str, media_root: Path, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.personas import make_personas

    personas = make_personas()
    oki, dina = personas["oki"], personas["dina"]
    assert dina.organisation is not None
    # Two deliveries already made to the RW the invitation is for.
    need = _sembako("31.74.05.1003.002")
    deliveries = []
    for quantity in (10, 6):
        pledge = services.pledge_create(
            actor=dina.user,
            organisation=dina.organisation,
            need=need,
            quantity=quantity,
            planned_delivery=today(),
        )
        photo = SimpleUploadedFile(
            "bukti.jpg", image_bytes("JPEG", size=(800, 600)), content_type="image/jpeg"
        )
        deliveries.append(
            services.delivery_record(
                actor=dina.user,
                organisation=dina.organisation,
                pledge=pledge,
                quantity=quantity,
                delivered_on=today(),
                evidence=photo,
            )
        )
    partly, doubtful = deliveries
    page = phone
    login_in_browser(page, demo_url, oki)
    page.goto(demo_url + "/akun/operator/undang/")
    fits_phone(page)
    page.fill("#id_email", "ketua.rw2@example.org")
    # The area by name: typing narrows the list, then the kelurahan is chosen.
    page.fill("#f-wilayah_cari", "Cipulir")
    expect(page.locator("#id_wilayah option[value='31.74.05.1003']")).to_have_count(1)
    page.select_option("#id_wilayah", "31.74.05.1003")
    page.fill("#id_rw", "2")
    screenshot(page, "undang-360")
    page.click("button:has-text('Kirim undangan')")
    expect(page.locator(".messages")).to_contain_text("Undangan terkirim ke ketua.rw2@example.org")
    fits_phone(page)

    link = _mailed_path("/akun/undangan/")
    page.context.clear_cookies()
    page.goto(demo_url + link)
    page.wait_for_url("**/akun/undangan/sesi/")
    expect(page.locator("main")).to_contain_text("Koordinator RW 002 Kel. Cipulir")
    fits_phone(page)
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r".*/akun/organisasi/\d+/$"))
    expect(page.locator("h1")).to_have_text("Koordinator RW 002 Kel. Cipulir")
    expect(page.locator("main")).to_contain_text("Konfirmasi bantuan yang tiba")
    fits_phone(page)
    screenshot(page, "undangan-diterima-360")

    membership = Membership.objects.select_related("organisation", "user").get(
        user__email="ketua.rw2@example.org"
    )
    assert membership.organisation.kind == OrgKind.COORDINATOR
    assert list(membership.organisation.regions.values_list("code", flat=True)) == ["31.74.05.1003.002"]
    assert membership.user.is_active
    # Logged in as the new member: the header offers the account, not the login.
    page.click("summary:has-text('Menu')")
    expect(page.locator("nav[aria-label='Navigasi utama']")).to_contain_text("Akun")
    page.click("summary:has-text('Menu')")

    # What has come to the RW: part of the first delivery arrived...
    page.click("text=Konfirmasi bantuan yang tiba")
    page.wait_for_url("**/komitmen/konfirmasi/")
    expect(page.locator(f"#penyaluran-{partly.pk}")).to_be_visible()
    expect(page.locator(f"#penyaluran-{doubtful.pk}")).to_be_visible()
    fits_phone(page)
    page.locator(f"#penyaluran-{partly.pk} a.button").click()
    page.wait_for_url(f"**/komitmen/penyaluran/{partly.pk}/**")
    fits_phone(page)
    page.fill("#id_quantity", "7")
    page.fill("#id_note", "3 paket belum sampai di warga")
    page.locator("#confirm-form button[type=submit]").click()
    page.wait_for_url("**/komitmen/konfirmasi/")
    expect(page.locator("body")).to_contain_text("7 paket dari penyaluran")
    fits_phone(page)

    # Anyone sees the RW's page: the donor's row counts what the RW confirmed so far.
    public, public_errors = new_phone(browser, media_root)
    public.goto(f"{demo_url}/sasaran/{need.target_id}/")
    pledgers = public.locator("table.pledgers")
    expect(pledgers).to_contain_text("Terkonfirmasi sebagian (7/16)")
    fits_phone(public)
    screenshot(public, "undangan-sasaran-sebagian-360")

    # ...and the second is disputed.
    page.locator(f"#penyaluran-{doubtful.pk} a.button").click()
    page.wait_for_url(f"**/komitmen/penyaluran/{doubtful.pk}/**")
    fits_phone(page)
    page.fill("#id_reason", "Warga belum menerima paket ini")
    page.locator("#dispute-form button[type=submit]").click()
    page.wait_for_url("**/komitmen/konfirmasi/")
    expect(page.locator(f"#penyaluran-{doubtful.pk}")).to_contain_text("Dipersoalkan")
    fits_phone(page)
    screenshot(page, "undangan-konfirmasi-360")
    partly.refresh_from_db()
    doubtful.refresh_from_db()
    assert (partly.confirmed, partly.review, doubtful.review) == (7, Review.PARTIAL, Review.DISPUTED)

    # The donor, on their own phone, answers the dispute.
    donor, donor_errors = new_phone(browser, media_root)
    login_in_browser(donor, demo_url, dina)
    donor.goto(demo_url + "/komitmen/")
    item = donor.locator(f"#penyaluran-{doubtful.pk}")
    expect(item).to_contain_text("Warga belum menerima paket ini")
    expect(donor.locator(f"#komitmen-{partly.pledge_id}")).to_contain_text("Terkonfirmasi sebagian (7/10)")
    fits_phone(donor)
    item.locator("a.button").click()
    donor.wait_for_url(f"**/komitmen/penyaluran/{doubtful.pk}/**")
    donor.fill("#id_note", "Sudah diterima Pak RT 003, foto serah terima terlampir")
    donor.set_input_files("#id_evidence", _photo(tmp_path, "serah-terima.jpg"))
    fits_phone(donor)
    donor.locator("#answer-form button[type=submit]").click()
    donor.wait_for_url("**/komitmen/")
    expect(donor.locator("body")).to_contain_text("Jawaban Anda untuk penyaluran")
    fits_phone(donor)
    assert DisputeAnswer.objects.filter(delivery=doubtful).exists()
    donor.context.close()
    assert not donor_errors, donor_errors

    # While the dispute is open the public row says so, beside the 7 confirmed.
    public.reload()
    expect(pledgers).to_contain_text("Dipersoalkan")
    expect(pledgers).to_contain_text("Terkonfirmasi sebagian (7/16)")
    cells = pledgers.locator("tbody tr").first.locator("td")
    expect(cells.nth(4)).to_have_text("7")
    fits_phone(public)
    screenshot(public, "undangan-sasaran-dipersoalkan-360")
    public.context.close()
    assert not public_errors, public_errors
    assert audit_verify().ok
