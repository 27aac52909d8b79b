"""The weekly report and its PDF per campaign (``?program=SLUG``): a picker when there is
a choice, the campaign's name on the report, each campaign's own figures; and a closed
campaign's report, PDF and exports stay the same, byte for byte, when a new campaign opens
(apart from the moments they were made: the generated-at line and the as-of stamps)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

import kolaborasi.stats.pdf as pdf_module
from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.pledges import services as pledge_services
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.history_support import CITY, build_history
from tests.pledges_support import open_campaign, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def _week() -> str:
    iso = timezone.localdate().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _report_part(html: str) -> str:
    """The report itself (from its header to the end of the page's content), without the
    moments it was made: the generated-at line and the as-of stamps."""
    body = html[html.index('<header class="report-head">') : html.index("</main>")]
    body = re.sub(r'<p class="generated">.*?</p>', "", body, flags=re.S)
    return re.sub(r"<time[^>]*>[^<]*</time>", "<time/>", body)


def _digits(html: str) -> str:
    return re.sub(r"(?<=\d)[.,](?=\d{3})", "", html)


def _flood_with_a_pledge(personas: Any) -> Campaign:
    """A second campaign over the city whose first RW need dina pledges in full."""
    flood = campaign_start(
        actor=None, name="Tanggap Banjir", region_codes=[CITY], aid_type_slugs=["sembako"], start=today()
    )
    need = Need.objects.filter(campaign=flood, target__kind="rw").order_by("pk").first()
    assert need is not None
    dina = personas["dina"]
    pledge_services.pledge_create(
        actor=dina.user,
        organisation=dina.organisation,
        need=need,
        quantity=need.quantity,
        planned_delivery=today(),
    )
    return flood


def test_each_campaign_has_its_own_report_with_its_name(client: Client, personas: Any) -> None:
    demo = open_campaign()
    # One open campaign: the report names it and offers no picker.
    html = client.get("/data/laporan/", {"week": _week()}).content.decode()
    assert f'data-campaign="{demo.slug}">{demo.name}<' in html
    assert 'class="campaign-switch"' not in html
    flood = _flood_with_a_pledge(personas)
    cache.clear()
    flood_html = _digits(
        client.get("/data/laporan/", {"week": _week(), "program": flood.slug}).content.decode()
    )
    demo_html = _digits(
        client.get("/data/laporan/", {"week": _week(), "program": demo.slug}).content.decode()
    )
    assert f'data-campaign="{flood.slug}">Tanggap Banjir<' in flood_html
    pledged = Need.objects.get(campaign=flood, pledges__isnull=False).quantity
    assert f'data-figure="pledged-sembako">{pledged}<' in flood_html
    assert 'data-figure="rws_met">1<' in flood_html
    assert f'data-campaign="{demo.slug}">{demo.name}<' in demo_html
    assert 'data-figure="pledged-sembako">0<' in demo_html
    # The picker: a plain form with a select of both campaigns, the shown one selected,
    # and the report's links keep the campaign.
    assert 'class="campaign-switch"' in flood_html and 'name="program"' in flood_html
    assert f'<option value="{flood.slug}" selected>' in flood_html
    assert f'<option value="{demo.slug}">' in flood_html
    assert f"program={flood.slug}" in flood_html  # the PDF link and the chart
    # The PDF of one campaign names it.
    pdf = client.get("/data/laporan.pdf", {"week": _week(), "program": flood.slug})
    assert pdf.status_code == 200 and flood.slug in pdf["Content-Disposition"]
    # A slug that is not a campaign: the report says so, with a 404.
    missing = client.get("/data/laporan/", {"program": "tidak-ada"})
    assert missing.status_code == 404
    assert "tidak-ada" in missing.content.decode()


def test_a_closed_campaigns_report_and_exports_stay_the_same_when_a_new_one_opens(
    client: Client, personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    real = pdf_module.html_to_pdf

    def capture(html: str, **kwargs: Any) -> bytes:
        rendered.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf_module, "html_to_pdf", capture)
    demo = open_campaign()
    build_history(personas, seed=3, pledges=30)
    campaign_close(actor=None, campaign=demo)
    params = {"week": _week(), "region": CITY, "program": demo.slug}
    exports = [
        f"/api/v1/exports/{name}?campaign={demo.slug}"
        for name in ("needs.csv", "pledges.csv", "deliveries.csv", "pledges.xlsx", "deliveries.xlsx")
    ]

    def snapshot() -> tuple[str, str, list[bytes]]:
        cache.clear()
        page = client.get("/data/laporan/", params)
        assert page.status_code == 200
        pdf = client.get("/data/laporan.pdf", params)
        assert pdf.status_code == 200
        files = []
        for url in exports:
            response = client.get(url)
            assert response.status_code == 200, url
            files.append(b"".join(response.streaming_content))  # type: ignore[attr-defined]
        return _report_part(page.content.decode()), _report_part(rendered[-1]), files

    page_before, pdf_before, files_before = snapshot()
    assert "data-figure" in page_before and demo.name in pdf_before
    flood = _flood_with_a_pledge(personas)
    rendered.clear()
    page_after, pdf_after, files_after = snapshot()
    assert rendered, "the PDF was rendered again for the new data"
    assert page_after == page_before
    assert pdf_after == pdf_before
    for url, before, after in zip(exports, files_before, files_after, strict=True):
        assert after == before, url
    # The new campaign's report differs: it is another picture.
    flood_page = client.get("/data/laporan/", {**params, "program": flood.slug}).content.decode()
    assert _report_part(flood_page) != page_after
