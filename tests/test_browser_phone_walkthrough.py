"""On a phone, in Bahasa Indonesia, from beginning to end: real headless Chromium at
360×740 walks the two journeys the product exists for, as the people would.

- A donor opens the home page, finds an RW by typing the kelurahan's name into the list's
  area picker, pledges packages to it (logging in on the way), records the delivery with
  a photo from the phone, and the RW's coordinator confirms it.
- A donor gives money to an aggregator; the aggregator confirms the money arrived, makes
  a package, plans an allocation for a kecamatan typed by name and approves the plan.

At every step the page must not scroll sideways and must not show one English word of the
deny-list (tests/one_language.py); where a place is chosen, its name is typed, never a
code. Screenshots of each step go to ``var/screenshots/walkthrough/`` (ignored by git)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.browser import browser_fixture, demo_url_fixture, login_in_browser, picture  # noqa: F401
from tests.one_language import check_page, proper_names

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni"]
MONTHS += ["Juli", "Agustus", "September", "Oktober", "November", "Desember"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots" / "walkthrough"


class Walk:
    """One person's phone: every ``look`` checks the page open now and keeps a picture."""

    def __init__(self, browser: Any, who: str, names: list[str]) -> None:
        self.context = browser.new_context(locale="id-ID", viewport=PHONE, has_touch=True, is_mobile=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.who = who
        self.names = names
        self.steps = 0
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def look(self, step: str) -> Any:
        page = self.page
        page.wait_for_load_state("networkidle")
        self.steps += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        picture(page, SCREENSHOTS / f"{self.who}-{self.steps:02d}-{step}.png")
        label = f"{self.who}, step {self.steps} ({step}, {page.url})"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{label}: the page is {width}px wide on a 360px phone"
        english = check_page(page, label, "id", self.names)
        assert not english, "English on an Indonesian page:\n" + "\n".join(english)
        assert not self.errors, f"{label}: JavaScript errors {self.errors}"
        return page

    def close(self) -> None:
        self.context.close()


def _menu(page: Any, link: str) -> None:
    """On a phone the navigation is behind the menu button."""
    page.locator(".site-menu > summary").click()
    page.locator(".site-menu nav a", has_text=link).first.click()


def _choose(page: Any, select: str, text: str) -> None:
    """Choose the option of ``select`` whose label holds ``text``, as a person reads it."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value)


def _photo(folder: Path) -> Path:
    path = folder / "bukti.jpg"
    Image.new("RGB", (640, 480), (200, 120, 40)).save(path, "JPEG")
    return path


def test_a_donor_from_the_home_page_to_a_confirmed_delivery(
    browser: Any, demo_url: str, personas: dict[str, Any], tmp_path: Path
) -> None:
    from kolaborasi.pledges.models import Pledge
    from tests.personas import PASSWORD

    names = proper_names()
    donor = Walk(browser, "donatur", names)
    page = donor.page
    page.goto(demo_url + "/")
    donor.look("beranda")
    _menu(page, "Sasaran")
    page.wait_for_url("**/daftar/")
    donor.look("daftar")

    # The kelurahan by its name, in the list's area picker.
    page.fill("#f-wilayah_cari", "Cipulir")
    page.wait_for_selector("#f-wilayah option[value='31.74.05.1003']:checked", state="attached")
    page.locator("#filters button[type=submit]").click()
    expect(page.locator(".crumbs strong")).to_have_text("Cipulir")
    donor.look("daftar-cipulir")
    page.locator("table.targets a", has_text=re.compile(r"^RW 001 Cipulir$")).click()
    page.wait_for_selector("h1:has-text('RW 001 Cipulir')")
    donor.look("sasaran")

    # "Beri bantuan" asks a stranger to log in first, then comes back to the pledge.
    page.locator("#cta").click()
    page.wait_for_url("**/akun/masuk/**")
    donor.look("masuk")
    page.fill("#id_username", "dina")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/komitmen/baru/**")
    donor.look("komitmen-baru")

    # Sent without the statement ticked: the form says what is missing and keeps the rest.
    _choose(page, "#id_need", "Sembako")
    page.fill("#id_quantity", "12")
    planned = timezone.localdate() + dt.timedelta(days=3)
    page.fill("#id_planned_delivery", planned.isoformat())
    page.click("form.stacked button[type=submit]")
    expect(page.locator("form.stacked")).to_contain_text("Centang pernyataan komitmen")
    assert page.input_value("#id_quantity") == "12"
    donor.look("komitmen-kurang-pernyataan")
    page.check("#id_statement")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/komitmen/")
    pledge = Pledge.objects.get(organisation=personas["dina"].organisation, quantity=12)
    expect(page.locator(".messages")).to_contain_text(f"Komitmen #{pledge.pk} tercatat")
    donor.look("komitmen-tercatat")

    # The delivery, with a photo from the phone's camera.
    deliver = page.locator(f"form[action='/komitmen/{pledge.pk}/salurkan/']")
    deliver.locator("input[name=quantity]").fill("12")
    deliver.locator("input[name=delivered_on]").fill(timezone.localdate().isoformat())
    deliver.locator("input[name=evidence]").set_input_files(str(_photo(tmp_path)))
    deliver.locator("button[type=submit]").click()
    page.wait_for_load_state()
    donor.look("penyaluran-tercatat")
    # Dates as people here write them: "3 Desember 2026", not 2026-12-03.
    listed = page.locator("main").inner_text()
    for day in (planned, timezone.localdate()):
        assert f"{day.day} {MONTHS[day.month - 1]} {day.year}" in listed
    pledge.refresh_from_db()
    assert (pledge.delivered, pledge.status) == (12, "delivered")
    assert pledge.deliveries.get().evidence
    donor.close()

    # The RW's coordinator confirms what the RW received.
    coordinator = Walk(browser, "koordinator", names)
    page = coordinator.page
    login_in_browser(page, demo_url, personas["ratna"])
    page.goto(demo_url + "/")
    coordinator.look("beranda")
    _menu(page, "Komitmen saya")
    coordinator.look("komitmen")
    page.locator("a", has_text="Penyaluran menunggu konfirmasi").first.click()
    page.wait_for_url("**/komitmen/konfirmasi/")
    coordinator.look("menunggu-konfirmasi")
    page.locator(f"#komitmen-{pledge.pk} button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(f"#{pledge.pk} dikonfirmasi")
    coordinator.look("terkonfirmasi")
    coordinator.close()
    pledge.refresh_from_db()
    assert (pledge.confirmed, pledge.status) == (12, "confirmed")


def test_an_aggregator_from_a_donation_to_an_approved_plan(
    browser: Any, demo_url: str, personas: dict[str, Any]
) -> None:
    from kolaborasi.funds.models import AllocationPlan, Donation
    from kolaborasi.pledges.models import Pledge

    names = proper_names()
    donor = Walk(browser, "donatur-dana", names)
    page = donor.page
    login_in_browser(page, demo_url, personas["dina"])
    page.goto(demo_url + "/dana/donasi/")
    donor.look("donasi")
    page.locator("a", has_text="Catat donasi").click()
    page.wait_for_url("**/dana/donasi/baru/")
    donor.look("donasi-baru")
    _choose(page, "#id_aggregator", "Yayasan Agus Peduli")
    page.fill("#id_donated_on", timezone.localdate().isoformat())
    # An amount that could be read two ways is refused, saying how to write it.
    page.fill("#id_amount", "50.000,5")
    page.locator("form.stacked button[type=submit]").click()
    expect(page.locator("form.stacked")).to_contain_text("Jangan memakai koma")
    assert not Donation.objects.exists()
    donor.look("donasi-jumlah-ditolak")
    # The amount the Indonesian way; the page reads it back before it is saved.
    page.fill("#id_amount", "5.000.000")
    expect(page.locator("output.money-preview")).to_have_text("Rp5.000.000")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url("**/dana/donasi/")
    donor.look("donasi-tercatat")
    donation = Donation.objects.get(donor=personas["dina"].organisation)
    assert (donation.amount, donation.status) == (5_000_000, "pending")
    donor.close()

    aggregator = Walk(browser, "agregator", names)
    page = aggregator.page
    login_in_browser(page, demo_url, personas["agus"])
    page.goto(demo_url + "/dana/donasi/")
    aggregator.look("donasi-masuk")
    page.locator("button", has_text="Konfirmasi diterima").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("masuk ke saldo")
    aggregator.look("donasi-dikonfirmasi")
    donation.refresh_from_db()
    assert donation.status == "confirmed"

    # A package with its price, then a plan paid from the balance.
    page.goto(demo_url + "/dana/paket/")
    aggregator.look("paket")
    _choose(page, "#id_aid_type", "Sembako")
    page.fill("#id_name", "Paket sembako keluarga")
    page.fill("#id_contents", "beras 5 kg, minyak 1 l, gula 1 kg")
    page.fill("#id_unit_cost", "250.000")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    aggregator.look("paket-tersimpan")

    page.goto(demo_url + "/dana/rencana/")
    aggregator.look("perencana")
    _choose(page, "#id_aid_type", "Sembako")
    page.fill("#f-region_cari", "Kebayoran Lama")
    page.wait_for_selector("#id_region option[value='31.74.05']:checked", state="attached")
    aggregator.look("perencana-wilayah-dipilih")
    page.fill("#id_budget", "2.500.000")
    _choose(page, "#id_template", "Paket sembako keluarga")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/dana/rencana/\d+/$"))
    aggregator.look("pratinjau")
    plan = AllocationPlan.objects.get(aggregator=personas["agus"].organisation)
    assert (plan.region_id, plan.status, plan.total) == ("31.74.05", "preview", 10)

    page.locator("button", has_text="Setujui").click()
    page.wait_for_load_state()
    expect(page.locator("h1 .badge")).to_have_text("Disetujui")
    aggregator.look("rencana-disetujui")
    aggregator.close()
    plan.refresh_from_db()
    assert plan.status == "committed"
    pledges = Pledge.objects.filter(organisation=personas["agus"].organisation)
    assert sum(p.quantity for p in pledges) == 10
    assert {p.target.district_code for p in pledges} == {"31.74.05"}
