"""/data/laporan/ (printable weekly report) and /data/laporan.pdf (the same page as PDF)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kolaborasi.pledges.services import pledge_create
from kolaborasi.targets.models import Need

pytestmark = pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")


def _this_week() -> str:
    iso = timezone.localdate().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def test_report_counts_this_weeks_pledges_and_the_pdf_renders(
    client: Client, personas: dict[str, Any]
) -> None:
    need = Need.objects.filter(target__city_code="31.74", target__kind="rw", aid_type__slug="sembako").first()
    assert need is not None
    pledge_create(
        actor=personas["dina"].user,
        organisation=personas["dina"].organisation,
        need=need,
        quantity=need.quantity,
        planned_delivery=timezone.localdate(),
    )
    cache.clear()
    week = _this_week()
    response = client.get("/data/laporan/", {"week": week, "region": "31.74"})
    assert response.status_code == 200
    html = re.sub(r"(?<=\d)[.,](?=\d{3})", "", response.content.decode())
    assert f'data-figure="pledged-sembako">{need.quantity}<' in html
    assert f'data-figure="week-sembako">{need.quantity}<' in html
    assert 'data-figure="rws_met">1<' in html
    assert 'data-figure="rws_receiving">1<' in html
    assert 'data-figure="donor_organisations">1<' in html
    assert week in html
    # The dashboard up to the report's Sunday shows the same number.
    sunday = dt.date.fromisocalendar(*timezone.localdate().isocalendar()[:2], 7)
    dash = client.get("/data/", {"region": "31.74", "until": sunday.isoformat()}).content.decode()
    dash = re.sub(r"(?<=\d)[.,](?=\d{3})", "", dash)
    assert f'data-figure="pledged-sembako">{need.quantity}<' in dash
    # An earlier week knows nothing of it.
    last_year = (timezone.localdate() - dt.timedelta(days=365)).isocalendar()
    old = client.get("/data/laporan/", {"week": f"{last_year.year}-W{last_year.week:02d}", "region": "31.74"})
    assert 'data-figure="pledged-sembako">0<' in old.content.decode()

    pdf = client.get("/data/laporan.pdf", {"week": week, "region": "31.74"})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)  # type: ignore[attr-defined]
    assert content.startswith(b"%PDF-")
    assert len(content) > 5000


@pytest.mark.django_db
def test_report_defaults_to_the_current_week(client: Client) -> None:
    response = client.get("/data/laporan/")
    assert response.status_code == 200
    assert _this_week() in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"week": "2020-17"}, 422),
        ({"week": "2020-W54"}, 422),
        ({"week": "minggu lalu"}, 422),
        ({"week": "2999-W01"}, 422),
        ({"week": "2020-W17", "region": "31.99"}, 404),
        ({"week": "2020-W17", "region": "jakarta"}, 422),
    ],
)
def test_report_bad_input(client: Client, params: dict[str, str], status: int) -> None:
    for url in ("/data/laporan/", "/data/laporan.pdf"):
        response = client.get(url, params)
        assert response.status_code == status, (url, params)
        assert 'role="alert"' in response.content.decode()
