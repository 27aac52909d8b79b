"""The pledge form and an allocation plan at phone width in real Chromium: the statement
box beside its text with a thumb-sized target, the default date shown, an over-asked
quantity answered with the remaining need and other targets, and the plan's reasons —
all without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CIPULIR = "31.74.05.1003"


def _phone(browser: Any, persona: Any, base_url: str) -> Any:
    from tests.personas import login

    client = Client()
    login(client, persona)
    context = browser.new_context(locale="id-ID", viewport={"width": 360, "height": 740})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )
    return context


def test_pledge_form_and_plan_at_360px(browser: Any, demo_url: str) -> None:
    from kolaborasi.funds.plans import plan_create
    from kolaborasi.pledges.holds import default_planned_delivery
    from kolaborasi.regions.models import Region
    from kolaborasi.targets.models import AidType, Need, Target
    from tests.personas import make_personas

    personas = make_personas()
    targets = list(Target.objects.filter(village_id=CIPULIR).order_by("id"))
    first = targets[0]
    Need.objects.filter(target=first, aid_type__slug="sembako").update(quantity=1200, held=0)
    for other in targets[1:4]:
        Need.objects.filter(target=other, aid_type__slug="sembako").update(quantity=900, held=0)

    context = _phone(browser, personas["dina"], demo_url)
    page = context.new_page()
    page.goto(f"{demo_url}/komitmen/baru/{first.pk}/")
    assert page.input_value("#id_planned_delivery") == default_planned_delivery().isoformat()
    label = page.locator("label.check[for=id_statement]")
    box, text = label.bounding_box(), label.locator("span").bounding_box()
    checkbox = page.locator("#id_statement").bounding_box()
    assert box and text and checkbox
    assert box["height"] >= 44  # the whole label is the touch target
    assert abs(checkbox["y"] - text["y"]) < 12 and checkbox["x"] < text["x"]  # beside its text
    label.locator("span").click()  # a tap on the text ticks the box
    assert page.is_checked("#id_statement")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "pledge-form-360")

    page.fill("#id_quantity", "1500")
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()
    message = page.locator("#exhausted").inner_text()
    assert "Sisa kebutuhan saat ini 1.200 paket" in message and "tidak lagi muat" not in message
    links = page.locator("#alternatives a").evaluate_all("(as) => as.map(a => a.getAttribute('href'))")
    assert links and f"/komitmen/baru/{first.pk}/" not in links
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "pledge-form-refused-360")
    context.close()

    agus = personas["agus"]
    assert agus.organisation is not None
    plan = plan_create(
        actor=agus.user,
        aggregator=agus.organisation,
        aid_type=AidType.objects.get(slug="sembako"),
        region=Region.objects.get(code=CIPULIR),
        quantity=60,
        min_drop=20,
    )
    context = _phone(browser, agus, demo_url)
    page = context.new_page()
    page.goto(f"{demo_url}/dana/rencana/{plan.pk}/")
    assert "Cakupan 0% sebelum rencana (0 dari 1.200 paket sudah dikomitmenkan)" in page.inner_text(
        "table.plan-lines"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "plan-why-360")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, "plan-why-1366")
    page.goto(f"{demo_url}/komitmen/baru/{first.pk}/")
    screenshot(page, "pledge-form-1366")
    context.close()
