"""The pages that became per campaign, on a 360 px phone in real headless Chromium: the
finder and the home page with the campaign switcher, the donation form's "Program"
select and the donations list with the earmark, and a closed campaign's pledge on the
donor's list and the coordinator's delivery page ("Program ditutup", no buttons)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kolaborasi.campaigns.services import campaign_close
from kolaborasi.funds.services import donation_create
from kolaborasi.pledges.models import Delivery
from tests.browser import fits_phone, login_in_browser, new_phone
from tests.campaigns_support import CIPULIR, second_campaign
from tests.pledges_support import make_pledge, today

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _touchable(page: Any, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 360, (selector, box)


def test_campaign_pages_on_a_phone(
    phone: Any, browser: Any, media_root: Any, demo_url: str, personas
) -> None:  # type: ignore[no-untyped-def]
    dina, ratna = personas["dina"], personas["ratna"]
    pledge = make_pledge(dina, quantity=6, delivered=4)
    demo = pledge.need.campaign
    flood = second_campaign(region_codes=[CIPULIR], start=today())

    phone.goto(f"{demo_url}/cari/?jumlah=5&jenis=sembako&wilayah={CIPULIR}")
    expect(phone.locator("form.campaign-switch")).to_be_visible()
    expect(phone.locator("#suggestions")).to_contain_text(flood.name)
    _touchable(phone, "form.campaign-switch select")
    fits_phone(phone)
    phone.goto(f"{demo_url}/")
    expect(phone.locator("form.campaign-switch select option:checked")).to_have_text(flood.name)
    fits_phone(phone)

    donation_create(
        actor=None,
        donor=dina.organisation,
        aggregator=personas["agus"].organisation,
        amount=2_500_000,
        donated_on=today(),
        campaign=flood.slug,
    )
    login_in_browser(phone, demo_url, dina)
    phone.goto(f"{demo_url}/dana/donasi/baru/")
    expect(phone.locator("select[name=campaign] option:checked")).to_have_text("Umum (tanpa program)")
    fits_phone(phone)
    phone.goto(f"{demo_url}/dana/donasi/")
    expect(phone.locator(f"[data-campaign='{flood.slug}']")).to_have_text(flood.name)
    fits_phone(phone)

    campaign_close(actor=None, campaign=demo)
    phone.goto(f"{demo_url}/komitmen/")
    row = phone.locator(f"#komitmen-{pledge.pk} + tr")
    expect(row).to_contain_text("Program ditutup")
    assert row.locator("button").count() == 0
    fits_phone(phone)

    rw, rw_errors = new_phone(browser, media_root)
    login_in_browser(rw, demo_url, ratna)
    rw.goto(f"{demo_url}/komitmen/penyaluran/{Delivery.objects.get(pledge=pledge).pk}/")
    expect(rw.locator(".note.frozen")).to_contain_text("Program ditutup")
    assert rw.locator("#confirm-form").count() == 0
    fits_phone(rw)
    rw.context.close()
    assert not rw_errors
