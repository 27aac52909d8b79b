"""GET /api/v1/exports/{needs|pledges|deliveries|funds}.{csv|xlsx}: HXL that libhxl
parses, the same rows in XLSX, and no private data (docs/architecture.md, invariant 7)."""

from __future__ import annotations

import io
from typing import Any

import hxl
import pytest
from django.test import Client
from openpyxl import load_workbook

from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import Target
from tests.history_support import History, build_history

pytestmark = pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")

DATASETS = ["needs", "pledges", "deliveries", "funds"]


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def history(personas: dict[str, Any]) -> History:
    return build_history(personas, seed=11, pledges=25)


def test_every_export_parses_with_libhxl_and_xlsx_has_the_same_rows(client: Client, history: History) -> None:
    for dataset in DATASETS:
        query = "?region=31.74" if dataset == "needs" else ""
        response = client.get(f"/api/v1/exports/{dataset}.csv{query}")
        assert response.status_code == 200, dataset
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        raw = _body(response)
        data = hxl.data(io.BytesIO(raw), hxl.input.InputOptions(allow_local=True))
        tags = [c.display_tag for c in data.columns]
        assert all(tag and tag.startswith("#") for tag in tags), (dataset, tags)
        rows = [r.values for r in data]
        assert rows, dataset
        if dataset != "funds":
            assert "#adm1+code" in tags and "#adm2+name" in tags and "#adm4+code" in tags
            assert "#loc+rw" in tags and "#item+name" in tags
        if dataset == "needs":
            assert "#inneed+hh" in tags and "#targeted" in tags and "#reached" in tags
            assert len(rows) == sum(t.needs.count() for t in Target.objects.filter(city_code="31.74"))
        if dataset == "pledges":
            assert "#org+name" in tags and "#date+created" in tags
            assert len(rows) == Pledge.objects.count()
        x = client.get(f"/api/v1/exports/{dataset}.xlsx{query}")
        assert x.status_code == 200
        sheet = load_workbook(io.BytesIO(_body(x)), read_only=True).active
        xlsx_rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
        csv_rows = [line.split(",") for line in raw.decode().splitlines()]
        assert xlsx_rows[0] == csv_rows[0] and xlsx_rows[1] == csv_rows[1]
        assert len(xlsx_rows) == len(rows) + 2


@pytest.mark.slow
def test_exports_hold_no_private_data(client: Client, history: History) -> None:
    heads = [h for h in Target.objects.exclude(head_name="").values_list("head_name", flat=True)[:200]]
    texts = []
    for dataset in DATASETS:
        texts.append(_body(client.get(f"/api/v1/exports/{dataset}.csv")).decode())
        sheet = load_workbook(
            io.BytesIO(_body(client.get(f"/api/v1/exports/{dataset}.xlsx"))), read_only=True
        )
        texts.append("\n".join(str(v) for r in sheet.active.iter_rows(values_only=True) for v in r))
    everything = "\n".join(texts)
    assert history.phones
    for phone in history.phones:
        assert phone not in everything
    for name in history.contact_names:
        assert name not in everything
    for name in history.private_names:  # the individual donor's own name
        assert name not in everything
    assert "Donatur perorangan" in everything
    for head in heads:
        assert f",{head}," not in everything
    assert "PT Dina Logistik" in everything  # organisations are public


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/exports/people.csv", 404),
        ("/api/v1/exports/pledges.pdf", 404),
        ("/api/v1/exports/pledges.csv?region=12.34", 404),
        ("/api/v1/exports/pledges.csv?since=2020-04-31", 422),
        ("/api/v1/exports/pledges.xlsx?since=2020-05-02&until=2020-05-01", 422),
        ("/api/v1/exports/needs.csv?since=2020-05-01", 422),
    ],
)
def test_exports_bad_input(client: Client, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["detail"]


def test_individual_donor_who_chose_public_is_named_in_funds(
    client: Client, personas: dict[str, Any]
) -> None:
    from django.utils import timezone

    from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
    from kolaborasi.funds.services import donation_create

    budi = Organisation.objects.create(name="Budi Terbuka", kind=OrgKind.DONOR, subtype=OrgSubtype.INDIVIDUAL)
    sari = Organisation.objects.create(
        name="Sari Tertutup", kind=OrgKind.DONOR, subtype=OrgSubtype.INDIVIDUAL
    )
    for org, public in ((budi, True), (sari, False)):
        donation_create(
            actor=None,
            donor=org,
            aggregator=personas["agus"].organisation,
            amount=250_000,
            donated_on=timezone.localdate(),
            public=public,
        )
    text = _body(client.get("/api/v1/exports/funds.csv")).decode()
    assert "Budi Terbuka" in text
    assert "Sari Tertutup" not in text
    assert "Donatur perorangan" in text


def test_a_company_that_chose_not_to_be_named_is_not_named_in_funds(
    client: Client, personas: dict[str, Any]
) -> None:
    """One rule for pages, API and open data (accounts.models.named_in_public): on a
    donation the donor's choice decides, a company's as much as a person's."""
    from django.utils import timezone

    from kolaborasi.accounts.models import UNNAMED_DONOR, Organisation, OrgKind, OrgSubtype
    from kolaborasi.funds.services import donation_create

    quiet = Organisation.objects.create(name="PT Diam Saja", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY)
    donation_create(
        actor=None,
        donor=quiet,
        aggregator=personas["agus"].organisation,
        amount=250_000,
        donated_on=timezone.localdate(),
        public=False,
    )
    text = _body(client.get("/api/v1/exports/funds.csv")).decode()
    assert "PT Diam Saja" not in text
    assert UNNAMED_DONOR in text


def test_xlsx_keeps_a_formula_like_name_as_text(client: Client, personas: dict[str, Any]) -> None:
    from django.utils import timezone

    from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
    from kolaborasi.pledges.services import pledge_create
    from kolaborasi.targets.models import Need

    org = Organisation.objects.create(
        name='=HYPERLINK("x","y")', kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY
    )
    need = Need.objects.filter(quantity__gt=0).first()
    assert need is not None
    pledge_create(actor=None, organisation=org, need=need, quantity=1, planned_delivery=timezone.localdate())
    sheet = load_workbook(io.BytesIO(_body(client.get("/api/v1/exports/pledges.xlsx")))).active
    # Stored before such names were refused: written as text with a leading apostrophe.
    cells = [c for row in sheet.iter_rows() for c in row if c.value == '\'=HYPERLINK("x","y")']
    assert cells and all(c.data_type == "s" for c in cells)
    assert not [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
