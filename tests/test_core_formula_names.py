"""Names a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return) are refused where they are typed — the organisation page, the CLI, package
templates, imports — with a message that says why; and an export still neutralises
such a name stored before the rule (a leading apostrophe), numbers staying numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.core.errors import ImportRejected
from kolaborasi.funds.models import PackageTemplate
from kolaborasi.pledges.services import pledge_create
from kolaborasi.targets.imports import rw_import
from kolaborasi.targets.models import AidType, Need
from tests.personas import RATNA_RW, login

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://x.example","klik")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]
MESSAGE = "spreadsheet akan membacanya sebagai rumus"


@pytest.mark.parametrize("name", FORMULAS)
def test_the_organisation_page_refuses_a_formula_name(
    client: Client, personas: dict[str, Any], name: str
) -> None:
    login(client, personas["luar"].user)
    before = Organisation.objects.count()
    response = client.post("/akun/organisasi/baru/", {"name": name, "kind": "donor", "subtype": "company"})
    assert response.status_code in (200, 400)
    assert MESSAGE in response.content.decode()
    assert Organisation.objects.count() == before


def test_an_ordinary_name_with_a_dash_inside_is_fine(client: Client, personas: dict[str, Any]) -> None:
    login(client, personas["luar"].user)
    client.post("/akun/organisasi/baru/", {"name": "Yayasan Al-Ikhlas +1", "kind": "aggregator"})
    assert Organisation.objects.filter(name="Yayasan Al-Ikhlas +1").exists()


def test_the_cli_refuses_a_formula_name(run_cli: Any) -> None:
    before = Organisation.objects.count()
    with pytest.raises(CommandError, match=MESSAGE):
        run_cli("org", "create", "--name", "=1+1", "--kind", "donor", "--subtype", "company")
    assert Organisation.objects.count() == before


def test_a_package_template_with_a_formula_name_is_refused(personas: dict[str, Any]) -> None:
    client = Client()
    login(client, personas["agus"].user)
    sembako = AidType.objects.get(slug="sembako")
    form = {"aid_type": sembako.pk, "name": "@SUM(A1)", "contents": "- beras 10 kg", "unit_cost": "250000"}
    response = client.post("/dana/paket/", form)
    assert MESSAGE in response.content.decode()
    assert not PackageTemplate.objects.exists()
    # Contents are not a name and never reach an export: a list may start with "-".
    assert client.post("/dana/paket/", form | {"name": "Sembako A"}).status_code == 302
    assert PackageTemplate.objects.get().contents == "- beras 10 kg"


def test_the_template_service_is_the_home_of_the_rule(personas: dict[str, Any]) -> None:
    from kolaborasi.funds.services import FundsError, template_save

    with pytest.raises(FundsError, match=MESSAGE):
        template_save(
            actor=personas["agus"].user,
            aggregator=personas["agus"].organisation,
            aid_type=AidType.objects.get(slug="sembako"),
            name="+cmd",
            contents="beras",
            unit_cost=1000,
        )


def test_an_import_refuses_a_formula_source() -> None:
    header = "village_code,rw_number,households,head_name,as_of,source\n"
    with pytest.raises(ImportRejected) as info:
        rw_import(
            actor=None, data=(header + "31.74.03.1002,950,10,,2026-11-01,=cmd|' /C calc'!A0\n").encode()
        )
    assert [(e.column, MESSAGE in e.reason) for e in info.value.errors] == [("source", True)]


def test_an_export_neutralises_a_legacy_formula_name(client: Client) -> None:
    org = Organisation.objects.create(name="@SUM(1+1)*cmd", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY)
    need = Need.objects.get(target__region_id=RATNA_RW, aid_type__slug="sembako")
    pledge_create(
        actor=None,
        organisation=org,
        need=need,
        quantity=7,
        planned_delivery=timezone.localdate() + dt.timedelta(days=1),
    )
    response = client.get("/api/v1/exports/pledges.csv")
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))[1:]  # row 2: HXL hashtags
    assert [(r["organisation"], r["held"], r["quantity"]) for r in rows] == [("'@SUM(1+1)*cmd", "7", "7")]
    assert not any(
        cell.startswith(("=", "+", "@")) for line in csv.reader(io.StringIO(text)) for cell in line
    )


def test_an_import_with_a_nul_character_names_its_line() -> None:
    header = "village_code,rw_number,households,head_name,as_of,source\n"
    with pytest.raises(ImportRejected) as info:
        rw_import(actor=None, data=(header + "31.74.03.1002,950,10,Bu\x00di,2026-11-01,x\n").encode())
    assert [(e.row, "tidak dapat disimpan" in e.reason) for e in info.value.errors] == [(2, True)]
