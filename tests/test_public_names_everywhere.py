"""One public-name rule, on every public surface. An individual donor (their name, e-mail
and phone), a company that gave money without agreeing to be named, and a Ketua RW who
did not agree to be named appear nowhere the public can read: the pages, the map's
data, every API answer without parameters, every export in every format, the weekly
report and the HTML its PDF is made from, and the audit log's export. A company named
for its pledge does appear, so the surfaces searched really carry names."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kolaborasi.accounts.models import Membership, Organisation, OrgKind, OrgSubtype
from kolaborasi.api import api
from kolaborasi.funds import services as funds
from kolaborasi.pledges.services import pledge_create
from kolaborasi.stats.api import FORMATS
from kolaborasi.stats.exports import DATASETS
from tests.pledges_support import make_pledge, ratna_need

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

PERSON = "Budi Santoso Pribadi"
EMAIL = "budi.pribadi@contoh.id"
PHONE = "0812-5555-0000"
QUIET_COMPANY = "PT Tanpa Nama Sejahtera"
HEAD = "Siti Rahmawati Kepala"
SECRETS = (PERSON, EMAIL, PHONE, QUIET_COMPANY, HEAD)
NAMED = "PT Dina Logistik"
# Answers 404 while no signing key is configured (as in the tests).
UNCONFIGURED = {"/api/v1/audit/key", "/api/v1/audit/head"}


def _world(personas: Any) -> Any:
    need = ratna_need()
    target = need.target
    target.head_name, target.head_name_public = HEAD, False
    target.save(update_fields=["head_name", "head_name_public"])

    user = get_user_model().objects.create_user(
        username=EMAIL, email=EMAIL, password="x-uji-2026-panjang", first_name="Budi", last_name="Santoso"
    )
    person = Organisation.objects.create(name=PERSON, kind=OrgKind.DONOR, subtype=OrgSubtype.INDIVIDUAL)
    Membership.objects.create(user=user, organisation=person, role="owner")
    pledge_create(
        actor=user,
        organisation=person,
        need=need,
        quantity=3,
        planned_delivery=dt.date.today() + dt.timedelta(days=4),
        contact_name=PERSON,
        contact_phone=PHONE,
    )
    make_pledge(SimpleNamespace(user=user, organisation=person), need, quantity=2, delivered=2)
    make_pledge(personas["dina"], need, quantity=4, delivered=1)

    agus = personas["agus"].organisation
    for donor, public in (
        (person, False),
        (Organisation.objects.create(name=QUIET_COMPANY, kind=OrgKind.DONOR), False),
    ):
        donation = funds.donation_create(
            actor=None,
            donor=donor,
            aggregator=agus,
            amount=2_000_000,
            donated_on=dt.date.today(),
            public=public,
        )
        funds.donation_confirm(actor=None, donation=donation)
    return SimpleNamespace(target=target, aggregator=agus)


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":  # xlsx: every part of the workbook
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return body.decode("utf-8", "replace")


# The required query of the GETs that have one.
QUERIES = {
    "/api/v1/finder": "?aid_type=sembako&quantity=5",
    "/api/v1/stats/regions": "?level=village&parent=31.74.05",
    "/api/v1/exports/coverage.geojson": "?level=village&parent=31.74.05",
}


def _api_paths() -> list[str]:
    """Every GET of the API that takes no path parameter (with its required query)."""
    schema = api.get_openapi_schema()
    return [
        path + QUERIES.get(path, "")
        for path, ops in schema["paths"].items()
        if "get" in ops and "{" not in path
    ]


def test_no_private_name_on_any_public_surface(personas, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    world = _world(personas)
    tid, code = world.target.pk, world.target.region_id
    pdf_html: list[str] = []
    from kolaborasi.stats import pdf

    real = pdf.html_to_pdf

    def recorded(html: str, *, base_url: str) -> bytes:
        pdf_html.append(html)
        return real(html, base_url=base_url)

    monkeypatch.setattr(pdf, "html_to_pdf", recorded)

    surfaces = [
        "/",
        "/peta/",
        "/daftar/",
        "/cari/",
        "/data/",
        "/data/laporan/",
        "/data/laporan.pdf",
        f"/sasaran/{tid}/",
        f"/peta/sasaran/{tid}.json",
        f"/peta/info/{code}.json",
        "/peta/data/sembako.json",
        f"/dana/sasaran/{tid}/",
        "/dana/agregator/",
        f"/dana/agregator/{world.aggregator.pk}/",
        f"/api/v1/targets/{tid}",
        "/api/v1/exports/audit.jsonl",
        *[f"/api/v1/exports/{d}.{f}" for d in DATASETS for f in FORMATS],
        *_api_paths(),
    ]
    client = Client()
    texts: dict[str, str] = {}
    for url in surfaces:
        response = client.get(url)
        if url.startswith("/api/v1/") and response.status_code in (401, 403):
            continue  # not public: answers nothing to the anonymous
        if url in UNCONFIGURED and response.status_code == 404:
            continue
        assert response.status_code == 200, (url, response.status_code)
        texts[url] = _text(response)
    assert pdf_html, "the PDF was not rendered from HTML"
    texts["/data/laporan.pdf (its HTML)"] = pdf_html[0]

    leaks = {url: [s for s in SECRETS if s in text] for url, text in texts.items()}
    assert {url: found for url, found in leaks.items() if found} == {}
    # The surfaces do carry names: the company named for its pledge is there, and the
    # individual donor is there as what stands in for them.
    assert NAMED in texts[f"/sasaran/{tid}/"] and NAMED in texts["/api/v1/exports/pledges.csv"]
    assert "Donatur perorangan" in texts[f"/sasaran/{tid}/"]
    assert "Ketua RW" in texts[f"/peta/sasaran/{tid}.json"] or "RW" in texts[f"/peta/sasaran/{tid}.json"]
