"""The operators' campaign pages (/akun/operator/program/...) and the needs CSV of a new
campaign (pages and `kolaborasi campaign create --needs`).

An operator lists every campaign, creates one whose needs come from the latest counts or
from a needs CSV, opens a draft and closes an open one (after a warning that it is final;
a second close is refused with the service's message). A needs file is all or nothing:
each bad row is named with its row number and nothing is created. No earlier campaign's
needs change. Everyone else is refused and nothing changes."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.models import Campaign, CampaignStatus, NeedRule
from kolaborasi.campaigns.services import AidTypeUnit, campaign_create
from kolaborasi.targets.models import AidType, Need, Target, TargetKind, within_q
from tests.personas import login
from tests.pledges_support import open_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

LIST = "/akun/operator/program/"
NEW = "/akun/operator/program/baru/"
JAKTIM = "31.75"
KEBAYORAN_LAMA = "31.74.05"


def _world() -> tuple[int, int, int, list[tuple[Any, ...]]]:
    """What must not change when something is refused: the campaigns, the needs (every
    one of them, with its counters), the audit log."""
    return (
        Campaign.objects.count(),
        Need.objects.count(),
        AuditEvent.objects.count(),
        list(
            Need.objects.order_by("pk").values_list(
                "pk", "campaign_id", "quantity", "held", "accepting", "updated_at"
            )
        ),
    )


def _needs_of(campaign: Campaign) -> list[tuple[Any, ...]]:
    return list(
        Need.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list("pk", "target_id", "aid_type_id", "quantity", "held", "accepting", "updated_at")
    )


def _operator(client: Client, personas: dict[str, Any]) -> Client:
    login(client, personas["oki"])
    return client


def _form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Tanggap Banjir Jakarta Timur",
        "description": "Banjir awal tahun",
        "start": "2027-01-05",
        "end": "2027-02-28",
        "kode": JAKTIM,
        "aid_types": ["sembako"],
        "source": "counts",
    }
    data.update(fields)
    return data


def _csv(*rows: str, header: str = "target,aid_type,quantity") -> SimpleUploadedFile:
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile("kebutuhan-banjir.csv", text.encode(), content_type="text/csv")


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _rw(code_prefix: str) -> Target:
    rw = Target.objects.filter(within_q(code_prefix), kind=TargetKind.RW).order_by("pk").first()
    assert rw is not None
    return rw


def _institution(code_prefix: str) -> Target:
    found = Target.objects.exclude(kind=TargetKind.RW).filter(within_q(code_prefix)).order_by("pk").first()
    assert found is not None
    return found


# --- The operator -----------------------------------------------------------------------


def test_the_list_shows_every_campaign_with_its_status_and_needs(client: Client, personas) -> None:
    demo = open_campaign()
    _operator(client, personas)
    page = client.get(LIST)
    assert page.status_code == 200
    text = _text(page)
    assert demo.name in text and "Berjalan" in text
    needs = Need.objects.filter(campaign=demo, aid_type__slug="sembako").count()
    assert f"{needs:,}".replace(",", ".") in text or str(needs) in text
    assert f'action="/akun/operator/program/{demo.pk}/tutup/"' in text
    # Operators find it with their other tools.
    assert LIST in _text(client.get("/akun/"))
    assert LIST in _text(client.get(f"/akun/organisasi/{personas['oki'].organisation.pk}/"))


def test_operator_creates_a_campaign_from_the_latest_counts(client: Client, personas) -> None:
    demo = open_campaign()
    before = _needs_of(demo)
    rw = _rw(JAKTIM)
    Target.objects.filter(pk=rw.pk).update(size=rw.size + 11)  # a newer count than the demo's needs
    _operator(client, personas)
    assert client.get(NEW).status_code == 200
    # The place picker: "add this area" ticks it in the list and creates nothing.
    campaigns = Campaign.objects.count()
    added = client.post(NEW, _form(kode="", wilayah=JAKTIM, add_area="1"))
    assert added.status_code == 200
    assert re.search(r'name="area" value="31\.75"[^>]*checked', added.content.decode())
    assert Campaign.objects.count() == campaigns
    answer = client.post(NEW, _form(kode="", area=[JAKTIM], aid_types=["sembako", "siap-saji"]))
    assert answer.status_code == 302 and answer["Location"] == LIST
    campaign = Campaign.objects.latest("pk")
    assert (campaign.name, campaign.status, campaign.need_rule) == (
        "Tanggap Banjir Jakarta Timur",
        CampaignStatus.OPEN,
        NeedRule.HOUSEHOLDS,
    )
    assert (campaign.start, campaign.end) == (dt.date(2027, 1, 5), dt.date(2027, 2, 28))
    assert list(campaign.regions.values_list("code", flat=True)) == [JAKTIM]
    needs = Need.objects.filter(campaign=campaign)
    assert needs.count() == Target.objects.filter(city_code=JAKTIM).count() * 2
    assert needs.get(target=rw, aid_type__slug="sembako").quantity == rw.size + 11
    assert set(needs.values_list("accepting", flat=True)) == {True}
    assert _needs_of(demo) == before
    events = AuditEvent.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk))
    assert list(events.order_by("seq").values_list("action", flat=True)) == [
        "campaign.created",
        "campaign.needs_computed",
    ]
    assert set(events.values_list("actor_id", flat=True)) == {personas["oki"].user.pk}
    listed = _text(client.get(LIST))
    assert "Tanggap Banjir Jakarta Timur" in listed and "berjalan dengan" in listed


def test_operator_creates_a_campaign_from_a_needs_csv(client: Client, personas) -> None:
    demo = open_campaign()
    before = _needs_of(demo)
    rw, other_rw, home = _rw(KEBAYORAN_LAMA), _rw("31.74.06"), _institution(KEBAYORAN_LAMA)
    _operator(client, personas)
    upload = _csv(
        f"{rw.region_id},sembako,120",
        f"00{home.pk},sembako,35",  # an id as a spreadsheet may pad it
        f"{rw.pk},siap-saji,60",  # the same RW by its id, another aid type
    )
    answer = client.post(
        NEW,
        _form(kode=KEBAYORAN_LAMA, aid_types=["sembako", "siap-saji"], source="csv", needs=upload),
    )
    assert answer.status_code == 302, _text(answer)
    campaign = Campaign.objects.latest("pk")
    assert campaign.need_rule == NeedRule.IMPORTED
    got = set(Need.objects.filter(campaign=campaign).values_list("target_id", "aid_type__slug", "quantity"))
    assert got == {(rw.pk, "sembako", 120), (home.pk, "sembako", 35), (rw.pk, "siap-saji", 60)}
    assert not Need.objects.filter(campaign=campaign, target=other_rw).exists()
    assert set(Need.objects.filter(campaign=campaign).values_list("source", "accepting")) == {
        ("kebutuhan-banjir.csv", True)
    }
    assert _needs_of(demo) == before
    event = AuditEvent.objects.get(action="campaign.needs_imported", object_id=str(campaign.pk))
    assert event.after is not None and (event.after["needs"], event.after["units"]) == (3, 215)
    assert not AuditEvent.objects.filter(
        action="campaign.needs_computed", object_id=str(campaign.pk)
    ).exists()
    assert "kebutuhan dari berkas CSV" in _text(client.get(LIST))


BAD_ROWS = [
    ("99999999,sembako,5", "target", "tidak dikenal"),
    ("31.74.05.9999.001,sembako,5", "target", "tidak dikenal"),
    ("{outside},sembako,5", "target", "di luar wilayah program"),
    ("{rw},lebaran,5", "aid_type", "tidak termasuk program ini"),
    ("{rw},sembako,0", "quantity", "bilangan bulat positif"),
    ("{rw},sembako,-3", "quantity", "negatif"),
    ("{rw},sembako,dua", "quantity", "bukan bilangan bulat"),
    ("{rw},sembako,", "quantity", "kosong"),
    ("{rw},sembako,5000000", "quantity", "lebih dari"),
    ("{rw_id},sembako,5", "target", "ganda, juga di baris 2"),
    ("{rw},sembako,5,tambahan", "", "kolomnya lebih banyak"),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_ROWS)
def test_a_bad_row_refuses_the_whole_file(
    client: Client, personas, row: str, column: str, reason: str
) -> None:
    rw, outside = _rw(KEBAYORAN_LAMA), _rw(JAKTIM)
    bad = row.format(rw=rw.region_id, rw_id=rw.pk, outside=outside.region_id)
    _operator(client, personas)
    before = _world()
    # Row 2 is good, row 3 the bad one, row 4 good again.
    upload = _csv(f"{rw.region_id},sembako,10", bad, f"{_institution(KEBAYORAN_LAMA).pk},sembako,4")
    answer = client.post(NEW, _form(kode=KEBAYORAN_LAMA, source="csv", needs=upload))
    assert answer.status_code == 400
    text = _text(answer)
    expected = "Baris 3" + (f", kolom {column}" if column else "") + ": "
    assert expected in text and reason in text.split(expected, 1)[1][:200]
    assert "Baris 2" not in text and "Baris 4" not in text
    assert _world() == before


def test_every_bad_row_is_named_at_once(client: Client, personas) -> None:
    rw = _rw(KEBAYORAN_LAMA)
    _operator(client, personas)
    before = _world()
    upload = _csv("abc,sembako,1", f"{rw.region_id},sembako,1", f"{rw.region_id},sembako,2", f"{rw.pk},x,0")
    text = _text(client.post(NEW, _form(kode=KEBAYORAN_LAMA, source="csv", needs=upload)))
    assert "Baris 2, kolom target: sasaran &#x27;abc&#x27; tidak dikenal" in text
    assert "Baris 4, kolom target: kebutuhan ganda, juga di baris 3" in text
    assert "Baris 5, kolom aid_type" in text and "Baris 5, kolom quantity" in text
    assert "4 kesalahan; tidak ada yang diubah" in text
    assert _world() == before


@pytest.mark.parametrize(
    ("body", "header", "message"),
    [
        ("", "target,aid_type,quantity", "berkas tidak berisi satu baris kebutuhan pun"),
        ("x,y", "sasaran,jumlah", "kolom wajib tidak ada"),
    ],
)
def test_an_empty_or_malformed_file_is_refused(client: Client, personas, body, header, message) -> None:
    _operator(client, personas)
    before = _world()
    upload = _csv(*([body] if body else []), header=header)
    answer = client.post(NEW, _form(kode=KEBAYORAN_LAMA, source="csv", needs=upload))
    assert answer.status_code == 400 and message in _text(answer)
    assert _world() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " "}, "Nama program wajib diisi."),
        ({"kode": "99.99 31.75"}, "Kode wilayah tidak dikenal: 99.99."),
        ({"kode": ""}, "Pilih minimal satu wilayah."),
        ({"aid_types": []}, "Pilih minimal satu jenis bantuan."),
        ({"start": ""}, "Tanggal mulai wajib diisi"),
        ({"start": "5/1/2027"}, "Tulis tanggal sebagai YYYY-MM-DD."),
        ({"end": "2026-12-31"}, "Tanggal selesai 2026-12-31 sebelum tanggal mulai 2027-01-05."),
        ({"source": "csv"}, "Pilih berkas CSV kebutuhan"),
        ({"needs": "upload"}, "berkas ini tidak dipakai"),
    ],
)
def test_a_bad_field_is_named_next_to_it_and_nothing_is_created(client: Client, personas, fields, message):
    if fields.get("needs") == "upload":
        fields = {"needs": _csv(f"{_rw(JAKTIM).region_id},sembako,3")}
    _operator(client, personas)
    before = _world()
    answer = client.post(NEW, _form(**fields))
    assert answer.status_code == 400
    assert message in _text(answer).replace("&#x27;", "'")
    assert _world() == before


def test_a_draft_is_opened_from_the_list(client: Client, personas) -> None:
    draft = campaign_create(
        actor=None,
        name="Paket Lebaran 2027",
        region_codes=[KEBAYORAN_LAMA],
        aid_types=[AidTypeUnit(AidType.objects.get(slug="lebaran").pk, "lebaran", "paket")],
        start=dt.date(2027, 3, 1),
        status=CampaignStatus.DRAFT,
    )
    _operator(client, personas)
    listed = _text(client.get(LIST))
    assert "Draf" in listed and f'action="/akun/operator/program/{draft.pk}/buka/"' in listed
    opened = client.post(f"/akun/operator/program/{draft.pk}/buka/", follow=True)
    assert "dibuka dan menerima komitmen" in _text(opened)
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.OPEN
    assert AuditEvent.objects.filter(action="campaign.opened", object_id=str(draft.pk)).count() == 1
    before = _world()
    again = client.post(f"/akun/operator/program/{draft.pk}/buka/", follow=True)
    assert "Program Paket Lebaran 2027 sudah berjalan." in _text(again)
    assert _world() == before


def test_closing_asks_first_and_a_second_close_is_refused(client: Client, personas) -> None:
    demo = open_campaign()
    _operator(client, personas)
    close = f"/akun/operator/program/{demo.pk}/tutup/"
    asked = client.post(close)
    assert asked.status_code == 200
    text = _text(asked)
    assert "final" in text and "tidak lagi menerima komitmen maupun penyaluran baru" in text
    assert 'name="yakin" value="1"' in text
    demo.refresh_from_db()
    assert demo.status == CampaignStatus.OPEN  # asking changed nothing
    done = client.post(close, {"yakin": "1"}, follow=True)
    assert "ditutup: tidak ada komitmen atau penyaluran baru" in _text(done)
    demo.refresh_from_db()
    assert demo.status == CampaignStatus.CLOSED
    assert not Need.objects.filter(campaign=demo, accepting=True).exists()
    assert "Ditutup" in _text(done) and close not in _text(done)
    before = _world()
    second = client.post(close, {"yakin": "1"}, follow=True)
    assert f"Program {demo.name} sudah ditutup." in _text(second)
    assert _world() == before
    assert AuditEvent.objects.filter(action="campaign.closed", object_id=str(demo.pk)).count() == 1


def test_the_close_form_needs_its_csrf_token(personas) -> None:
    demo = open_campaign()
    client = Client(enforce_csrf_checks=True)
    _operator(client, personas)
    answer = client.post(f"/akun/operator/program/{demo.pk}/tutup/", {"yakin": "1"})
    assert answer.status_code == 403
    demo.refresh_from_db()
    assert demo.status == CampaignStatus.OPEN


# --- Everyone else ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dina", "agus", "ratna", "luar"])
def test_other_people_are_refused_and_nothing_changes(client: Client, personas, who: str) -> None:
    demo = open_campaign()
    login(client, personas[who])
    before = _world()
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _form()).status_code == 403
    upload = _csv(f"{_rw(JAKTIM).region_id},sembako,3")
    assert client.post(NEW, _form(source="csv", needs=upload)).status_code == 403
    assert client.post(f"/akun/operator/program/{demo.pk}/tutup/", {"yakin": "1"}).status_code == 403
    assert client.post(f"/akun/operator/program/{demo.pk}/buka/").status_code == 403
    assert _world() == before
    assert LIST not in _text(client.get("/akun/"))


def test_anonymous_visitors_are_sent_to_log_in(client: Client, personas) -> None:
    demo = open_campaign()
    before = _world()
    for path in (LIST, NEW):
        answer = client.get(path)
        assert answer.status_code == 302 and answer["Location"].startswith("/akun/masuk/?next=")
    assert client.post(NEW, _form())["Location"].startswith("/akun/masuk/")
    assert client.post(f"/akun/operator/program/{demo.pk}/tutup/", {"yakin": "1"}).status_code == 302
    assert _world() == before


# --- The command line -------------------------------------------------------------------


CREATE = ["campaign", "create", "--name", "Tanggap Banjir Kebayoran", "--start", "2027-01-05"]


def test_cli_creates_a_campaign_from_a_needs_csv(run_cli, tmp_file) -> None:
    demo = open_campaign()
    before = _needs_of(demo)
    rw, home = _rw(KEBAYORAN_LAMA), _institution(KEBAYORAN_LAMA)
    path = tmp_file(
        "kebutuhan.csv", f"target,aid_type,quantity\n{rw.region_id},sembako,7\n{home.pk},sembako,9\n"
    )
    out, _err = run_cli(*CREATE, "--region", KEBAYORAN_LAMA, "--aid-type", "sembako", "--needs", str(path))
    answer = json.loads(out)
    campaign = Campaign.objects.get(pk=answer["id"])
    assert answer == {"id": campaign.pk, "slug": "tanggap-banjir-kebayoran"}
    assert campaign.need_rule == NeedRule.IMPORTED
    assert set(Need.objects.filter(campaign=campaign).values_list("target_id", "quantity")) == {
        (rw.pk, 7),
        (home.pk, 9),
    }
    assert _needs_of(demo) == before
    # Without --needs it is as it always was: needs from the latest counts.
    counted = json.loads(run_cli(*CREATE, "--region", KEBAYORAN_LAMA, "--aid-type", "sembako")[0])
    computed = Campaign.objects.get(pk=counted["id"])
    assert computed.need_rule == NeedRule.HOUSEHOLDS
    assert (
        Need.objects.filter(campaign=computed).count()
        == Target.objects.filter(district_code=KEBAYORAN_LAMA).count()
    )


def test_cli_refuses_a_bad_needs_csv_naming_each_row(run_cli, tmp_file) -> None:
    rw, outside, home = _rw(KEBAYORAN_LAMA), _rw(JAKTIM), _institution(KEBAYORAN_LAMA)
    path = tmp_file(
        "kebutuhan.csv",
        f"target,aid_type,quantity\n{rw.region_id},sembako,7\n{outside.region_id},sembako,2\n{home.pk},sembako,0\n",
    )
    before = _world()
    err = StringIO()
    with pytest.raises(CommandError, match=r"--needs: 2 kesalahan; tidak ada yang diubah"):
        call_command(
            *CREATE, "--region", KEBAYORAN_LAMA, "--aid-type", "sembako", "--needs", str(path), stderr=err
        )
    lines = err.getvalue().splitlines()
    assert any("baris 3, kolom 'target'" in line and "di luar wilayah program" in line for line in lines)
    assert any("baris 4, kolom 'quantity'" in line for line in lines)
    assert _world() == before
    with pytest.raises(CommandError, match="--needs: berkas tidak ditemukan"):
        run_cli(*CREATE, "--region", KEBAYORAN_LAMA, "--aid-type", "sembako", "--needs", str(path) + ".tidak")
    assert _world() == before
