"""Two first journeys in real headless Chromium on a phone (360 × 740): a new person
signs up from the header, chooses to give as an individual and lands on the map; an
operator invites a Ketua RW by e-mail, who opens the link, chooses a password and lands
logged in as a member of the RW's coordinator organisation. No sideways scrolling, and
the audit chain verifies afterwards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from kolaborasi.accounts.models import Membership, OrgKind, OrgSubtype
from kolaborasi.audit.services import audit_verify
from tests.browser import login_in_browser, screenshot
from tests.tasks_support import run_tasks

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sandi-baru-yang-kuat-2026"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="id-ID", viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def console(msg: Any) -> None:
        # The site has no favicon; any other failed load or script error counts.
        if msg.type == "error" and not str(msg.location.get("url", "")).endswith("/favicon.ico"):
            errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    page.on("console", console)
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert not errors, errors


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _mailed_path(prefix: str) -> str:
    run_tasks()
    match = re.search(rf"https?://[^/\s]+({prefix}\S+)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_new_person_gives_as_an_individual(phone: Any, demo_url: str) -> None:
    page = phone
    page.goto(demo_url + "/")
    page.click("summary:has-text('Menu')")
    page.click("nav >> text=Buat akun")
    page.wait_for_url("**/akun/daftar/")
    _fits(page)
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
    _fits(page)
    screenshot(page, "mulai-360")

    page.click("text=Mulai dari peta")
    page.wait_for_url("**/peta/")
    expect(page.locator(".messages")).to_contain_text("Profil donatur perorangan Anda siap")
    _fits(page)
    membership = Membership.objects.select_related("organisation").get(user__username="wulan")
    assert (membership.organisation.kind, membership.organisation.subtype) == (
        OrgKind.DONOR,
        OrgSubtype.INDIVIDUAL,
    )
    assert audit_verify().ok


def test_operator_invites_a_ketua_rw_who_accepts(phone: Any, demo_url: str) -> None:
    from tests.personas import make_personas

    oki = make_personas()["oki"]
    page = phone
    login_in_browser(page, demo_url, oki)
    page.goto(demo_url + "/akun/operator/undang/")
    _fits(page)
    page.fill("#id_email", "ketua.rw2@example.org")
    # The area by name: typing narrows the list, then the kelurahan is chosen.
    page.fill("#f-wilayah_cari", "Cipulir")
    expect(page.locator("#id_wilayah option[value='31.74.05.1003']")).to_have_count(1)
    page.select_option("#id_wilayah", "31.74.05.1003")
    page.fill("#id_rw", "2")
    screenshot(page, "undang-360")
    page.click("button:has-text('Kirim undangan')")
    expect(page.locator(".messages")).to_contain_text("Undangan terkirim ke ketua.rw2@example.org")
    _fits(page)

    link = _mailed_path("/akun/undangan/")
    page.context.clear_cookies()
    page.goto(demo_url + link)
    page.wait_for_url("**/akun/undangan/sesi/")
    expect(page.locator("main")).to_contain_text("Koordinator RW 002 Kel. Cipulir")
    _fits(page)
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r".*/akun/organisasi/\d+/$"))
    expect(page.locator("h1")).to_have_text("Koordinator RW 002 Kel. Cipulir")
    expect(page.locator("main")).to_contain_text("Konfirmasi bantuan yang tiba")
    _fits(page)
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
    assert audit_verify().ok
