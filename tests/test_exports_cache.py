"""Exports, the coverage map and the weekly PDF are computed once per data version: a
second download at the same version is served from the stored file, a committed write
moves the version and the next download includes it; with every work slot taken a
download that must be computed is answered 503 with Retry-After, a stored one is not."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from kolaborasi.core import heavy
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledge_create
from kolaborasi.targets.models import Need
from tests.personas import RATNA_RW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("still_clock")]


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _computed(caplog: pytest.LogCaptureFixture) -> int:
    return sum(1 for r in caplog.records if r.getMessage().startswith("heavy: computed"))


def _pledge(personas: dict[str, Any], quantity: int = 3) -> Pledge:
    need = Need.objects.get(target__region_id=RATNA_RW, aid_type__slug="sembako")
    return pledge_create(
        actor=personas["dina"].user,
        organisation=personas["dina"].organisation,
        need=need,
        quantity=quantity,
        planned_delivery=timezone.localdate() + dt.timedelta(days=2),
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/exports/pledges.csv",
        "/api/v1/exports/needs.xlsx?region=31.74.05",
        "/api/v1/exports/coverage.geojson?level=village&parent=31.74.05",
    ],
)
def test_two_downloads_at_one_version_compute_once_and_a_write_moves_it(
    url: str, client: Client, personas: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="kolaborasi.heavy")
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert _computed(caplog) == 1
    assert _body(first) == _body(second)

    version = heavy.data_version()
    pledge = _pledge(personas)
    assert heavy.data_version() != version
    third = client.get(url)
    assert third.status_code == 200
    assert _computed(caplog) == 2
    if "pledges.csv" in url:
        assert f"\r\n{pledge.pk}," in _body(third).decode()


def test_the_weekly_pdf_is_rendered_once_per_version(
    client: Client, personas: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="kolaborasi.heavy")
    params = {"region": "31.74"}
    first, second = client.get("/data/laporan.pdf", params), client.get("/data/laporan.pdf", params)
    assert first.status_code == second.status_code == 200
    assert _body(first).startswith(b"%PDF-") and _body(second).startswith(b"%PDF-")
    assert _computed(caplog) == 1
    _pledge(personas)
    assert client.get("/data/laporan.pdf", params).status_code == 200
    assert _computed(caplog) == 2


@override_settings(HEAVY_WORK_SLOTS=2, HEAVY_RETRY_AFTER=7)
def test_with_every_slot_taken_a_computation_is_refused_with_retry_after(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="kolaborasi.heavy")
    stored = client.get("/api/v1/exports/funds.csv")
    assert stored.status_code == 200
    with heavy.slot("heavy", 2), heavy.slot("heavy", 2):
        busy = client.get("/api/v1/exports/needs.csv?region=31.74.05")
        assert busy.status_code == 503
        assert busy["Retry-After"] == "7"
        assert busy.json()["retry_after"] == 7 and busy.json()["detail"]
        page = client.get("/data/laporan.pdf", {"region": "31.74"})
        assert page.status_code == 503 and page["Retry-After"] == "7"
        assert "Coba lagi dalam 7 detik" in page.content.decode()
        # What is already computed at this version needs no slot.
        again = client.get("/api/v1/exports/funds.csv")
        assert again.status_code == 200 and _body(again) == _body(stored)
    assert _computed(caplog) == 1
    assert client.get("/api/v1/exports/needs.csv?region=31.74.05").status_code == 200


def test_bad_parameters_are_answered_and_nothing_is_stored(client: Client) -> None:
    response = client.get("/api/v1/exports/coverage.geojson", {"level": "rw", "parent": "31.74.05"})
    assert response.status_code == 422
    folder = heavy.work_dir() / "cache"
    assert not folder.exists() or not [p for p in folder.iterdir() if not p.name.endswith("-lock")]


def test_numbers_stay_numbers_in_the_xlsx(client: Client, personas: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    _pledge(personas, quantity=4)
    sheet = load_workbook(io.BytesIO(_body(client.get("/api/v1/exports/pledges.xlsx")))).active
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    held = rows[0].index("held")
    assert [r[held] for r in rows[2:]] == [4]
