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


def test_report_prints_the_chain_head_of_its_period(
    client: Client, personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report anchors the audit log: it names the last link written before the end
    of its week, which the chain must still hold. A past week's anchor stays the same as
    new events are written; this week's moves with them."""
    from kolaborasi.audit.models import AuditEvent
    from kolaborasi.audit.services import audit_verify

    need = Need.objects.filter(target__city_code="31.74", target__kind="rw", aid_type__slug="sembako").first()
    assert need is not None

    def pledge() -> None:
        pledge_create(
            actor=personas["dina"].user,
            organisation=personas["dina"].organisation,
            need=need,
            quantity=1,
            planned_delivery=timezone.localdate(),
        )

    def anchor(week: str) -> tuple[int, str] | None:
        html = client.get("/data/laporan/", {"week": week}).content.decode()
        found = re.search(r'class="audit-anchor">[^<]*#(\d+), hash <code>([0-9a-f]{64})</code>', html)
        return (int(found.group(1)), found.group(2)) if found else None

    # A pledge two weeks ago: the clock of that moment writes its audit event.
    real_now = timezone.now
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: real_now() - dt.timedelta(days=14))
        pledge()
    then = AuditEvent.objects.order_by("-seq").first()
    pledge()
    now = anchor(_this_week())
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and now == (last.seq, last.hash)
    assert audit_verify().ok
    # The week two weeks ago anchors the last event written before it ended.
    assert then is not None
    old_week = (timezone.localdate() - dt.timedelta(days=14)).isocalendar()
    old_label = f"{old_week.year}-W{old_week.week:02d}"
    before = anchor(old_label)
    assert before == (then.seq, then.hash)
    pledge()
    assert anchor(old_label) == before
    moved = anchor(_this_week())
    assert moved is not None and now is not None and moved[0] > now[0]
    # In English too, without a word of Indonesian around it.
    client.cookies["django_language"] = "en"
    english = client.get("/data/laporan/").content.decode()
    assert "Audit chain up to the end of this period: event #" in english
