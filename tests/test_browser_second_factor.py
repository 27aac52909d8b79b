"""An operator's first login in real headless Chromium on a phone-sized screen: the
password, then the enrolment page (QR code as an inline image under our CSP, the key
typed into an "app"), the recovery codes, and the operator page; no sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser import fits_phone, login_in_browser, screenshot
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_operator_enrols_on_a_phone(phone: Any, demo_url: str) -> None:
    from tests.personas import make_personas

    oki = make_personas()["oki"].user
    page = phone
    page.goto(demo_url + "/akun/masuk/?next=/akun/operator/agregator/")
    page.fill("#id_username", "oki")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/akun/dua-langkah/pasang/**")
    qr = page.locator("img[src^='data:image/svg+xml']")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    fits_phone(page)
    screenshot(page, "dua-langkah-pasang-360")

    device = TOTPDevice.objects.get(user=oki, confirmed=False)
    page.fill("#id_code", f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=Kode pemulihan")
    assert page.locator("ol li code").count() == 10
    fits_phone(page)
    screenshot(page, "dua-langkah-kode-pemulihan-360")

    page.click("text=Sudah saya simpan, lanjut")
    page.wait_for_url("**/akun/operator/agregator/")

    # Next login asks for a code.
    page.context.clear_cookies()
    page.goto(demo_url + "/akun/masuk/")
    page.fill("#id_username", "oki")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.goto(demo_url + "/akun/operator/agregator/")
    assert "/akun/dua-langkah/" in page.url
    fits_phone(page)
    screenshot(page, "dua-langkah-360")


def test_token_page_on_a_phone(phone: Any, demo_url: str) -> None:
    from tests.personas import make_personas

    agus = make_personas()["agus"]  # an aggregator owner: logs in with a code too
    page = phone
    login_in_browser(page, demo_url, agus)
    page.goto(demo_url + f"/akun/organisasi/{agus.organisation.pk}/pengaturan/")  # type: ignore[union-attr]
    assert "/akun/organisasi/" in page.url
    page.check("input[name=scopes][value='read pledge']")
    page.click("form[action$='/token/'] button[type=submit]")
    page.wait_for_selector("text=Token baru")
    assert page.locator("text=read pledge").count() >= 1
    fits_phone(page)
    screenshot(page, "token-360")
