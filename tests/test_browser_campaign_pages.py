"""The operators' campaign pages on a phone, in real headless Chromium: the list and the
new campaign's form fit 360 px (nothing to scroll sideways), and a campaign made by
filling the form on the phone shows up in the list, open."""

from __future__ import annotations

from typing import Any

import pytest

from kolaborasi.campaigns.models import Campaign, CampaignStatus
from tests.browser import fits_phone, login_in_browser, screenshot
from tests.personas import make_personas

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_list_and_the_form_fit_a_phone(phone: Any, demo_url: str) -> None:
    personas = make_personas()
    login_in_browser(phone, demo_url, personas["oki"])
    phone.goto(demo_url + "/akun/operator/program/")
    assert phone.locator("table.programs .badge.status-open").count() >= 1
    fits_phone(phone)
    screenshot(phone, "program-daftar-360")
    phone.locator("a", has_text="Buat program baru").click()
    phone.wait_for_url("**/akun/operator/program/baru/")
    fits_phone(phone)
    screenshot(phone, "program-baru-360")
    phone.fill("#id_name", "Tanggap Banjir Kebayoran")
    phone.fill("#id_start", "2027-01-05")
    phone.fill("#id_kode", "31.74.05")
    phone.check("input[name=aid_types][value=sembako]")
    phone.locator("form.program button.primary").click()
    phone.wait_for_url("**/akun/operator/program/")
    campaign = Campaign.objects.get(name="Tanggap Banjir Kebayoran")
    assert campaign.status == CampaignStatus.OPEN and campaign.needs.exists()
    row = phone.locator(f"#program-{campaign.slug}")
    assert row.locator(".badge.status-open").is_visible()
    fits_phone(phone)
    screenshot(phone, "program-daftar-baru-360")
