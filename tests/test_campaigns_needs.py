"""Needs belong to a campaign. The demo's needs are all in its one open campaign; imports
put new needs in the one open campaign (or the one named), refuse to guess between
several and refuse a closed one; a new campaign gets its own needs beside the old ones;
a correction of a household count leaves a closed campaign's needs as they were."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.models import Campaign, CampaignAidType, CampaignStatus
from kolaborasi.campaigns.services import FIRST_CAMPAIGN_NAME, campaign_close
from kolaborasi.regions.models import Level, Region
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import AidType, Need, Target
from kolaborasi.targets.services import need_update
from tests.pledges_support import open_campaign, ratna_need

pytestmark = pytest.mark.django_db

HEADER = "village_code,rw_number,households,head_name,as_of,source\n"
ROWS = "31.74.03.1001,901,350,,2026-11-01,Kelurahan\n31.74.03.1001,902,120,,2026-11-01,Kelurahan\n"


def _flood(**kwargs: object) -> Campaign:
    return campaign_start(
        actor=None,
        name=str(kwargs.get("name", "Tanggap Banjir Jakarta Timur")),
        region_codes=["31.75"],
        aid_type_slugs=["sembako", "siap-saji"],
        start=dt.date(2026, 12, 1),
    )


def test_the_demo_has_one_open_campaign_holding_every_need() -> None:
    campaign = open_campaign()
    assert campaign.regions.filter(code="31").exists()
    assert sorted(campaign.aid_types.values_list("aid_type__slug", flat=True)) == [
        "lebaran",
        "sembako",
        "siap-saji",
    ]
    assert Need.objects.exclude(campaign=campaign).count() == 0
    assert not Need.objects.filter(accepting=False).exists()


def test_an_import_puts_its_needs_in_the_one_open_campaign(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    campaign = open_campaign()
    run_cli("import", "rw", str(tmp_file("rw.csv", HEADER + ROWS)))
    rw = Target.objects.get(region_id="31.74.03.1001.901")
    assert {(n.campaign_id, n.quantity) for n in rw.needs.all()} == {(campaign.pk, 350)}
    assert rw.needs.count() == 3
    event = AuditEvent.objects.filter(action="targets.rw_imported").latest("seq")
    assert event.after is not None and event.after["campaign"] == campaign.pk


def test_with_two_open_campaigns_an_import_must_name_one(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    flood = _flood()
    needs_before = Need.objects.count()
    path = str(tmp_file("rw.csv", HEADER + ROWS))
    with pytest.raises(CommandError, match="Lebih dari satu program berjalan") as refused:
        run_cli("import", "rw", path)
    assert flood.slug in str(refused.value) and open_campaign_slugs()[0] in str(refused.value)
    assert Need.objects.count() == needs_before
    assert not Target.objects.filter(region_id="31.74.03.1001.901").exists()
    with pytest.raises(CommandError, match="--campaign: program dengan kode tidak-ada tidak ada"):
        run_cli("import", "rw", path, "--campaign", "tidak-ada")
    # Jakarta Selatan's RWs are outside the Jakarta Timur flood response: refused, named.
    said = io.StringIO()
    with pytest.raises(CommandError, match="1 kesalahan; tidak ada yang diubah"):
        call_command("import", "rw", path, "--campaign", flood.slug, stderr=said)
    assert "2 sasaran di luar wilayah program Tanggap Banjir Jakarta Timur (31.75)" in said.getvalue()
    assert "31.74.03.1001.901" in said.getvalue()
    assert Need.objects.count() == needs_before
    assert not Target.objects.filter(region_id="31.74.03.1001.901").exists()

    village = Region.objects.filter(level=Level.VILLAGE, code__startswith="31.75.").order_by("code").first()
    assert village is not None
    run_cli(
        "import",
        "rw",
        str(tmp_file("timur.csv", HEADER + f"{village.code},901,80,,2026-11-01,x\n")),
        "--campaign",
        flood.slug,
    )
    rw = Target.objects.get(region_id=f"{village.code}.901")
    # Only the flood response's aid types.
    assert sorted(rw.needs.values_list("aid_type__slug", flat=True)) == ["sembako", "siap-saji"]
    assert set(rw.needs.values_list("campaign_id", flat=True)) == {flood.pk}


def open_campaign_slugs() -> list[str]:
    return list(
        Campaign.objects.filter(status=CampaignStatus.OPEN).order_by("pk").values_list("slug", flat=True)
    )


def test_an_import_into_a_closed_campaign_is_refused(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    flood = _flood()
    campaign_close(actor=None, campaign=flood)
    needs_before = Need.objects.count()
    with pytest.raises(CommandError, match="sudah ditutup"):
        run_cli("import", "rw", str(tmp_file("rw.csv", HEADER + ROWS)), "--campaign", flood.slug)
    assert Need.objects.count() == needs_before


def test_a_new_campaign_gets_its_own_needs_and_leaves_the_old_ones_alone() -> None:
    demo = open_campaign()
    old = list(Need.objects.order_by("pk").values_list("pk", "campaign_id", "quantity", "held", "updated_at"))
    flood = _flood()
    assert (
        list(
            Need.objects.filter(campaign=demo)
            .order_by("pk")
            .values_list("pk", "campaign_id", "quantity", "held", "updated_at")
        )
        == old
    )
    targets = Target.objects.filter(city_code="31.75")
    new = Need.objects.filter(campaign=flood)
    assert new.count() == targets.count() * 2
    assert all(n.quantity == n.target.size for n in new.select_related("target")[:200])
    assert list(CampaignAidType.objects.filter(campaign=flood).values_list("aid_type__slug", "unit")) == [
        ("sembako", "paket"),
        ("siap-saji", "paket"),
    ]
    # One need per aid type per target in each campaign, never two.
    need = new.first()
    assert need is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.create(campaign=flood, target=need.target, aid_type=need.aid_type, quantity=1)


def test_a_count_correction_leaves_a_closed_campaigns_needs_as_they_were(personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    target = need.target
    demo = open_campaign()
    flood = campaign_start(
        actor=None,
        name="Banjir",
        region_codes=[target.region_id],
        aid_type_slugs=["sembako"],
        start=dt.date(2026, 12, 1),
    )
    campaign_close(actor=None, campaign=demo)
    oki = personas["oki"]
    new_size = target.size + 40
    need_update(
        actor=oki.user,
        organisation=oki.organisation,
        target=target,
        size=new_size,
        reason="Data baru",
    )
    assert Need.objects.get(pk=need.pk).quantity == need.quantity
    flood_need = Need.objects.get(campaign=flood, target=target)
    assert flood_need.quantity == new_size
    event = AuditEvent.objects.filter(action="need.changed").latest("seq")
    assert event.before is not None and event.after is not None
    # Only the open campaign's need changed, and the event names it.
    assert event.before["by_need"] == {str(flood_need.pk): new_size - 40}
    assert event.after["by_need"] == {str(flood_need.pk): new_size}


def test_the_first_import_of_a_fresh_installation_opens_the_first_campaign(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    Need.objects.all().delete()
    CampaignAidType.objects.all().delete()
    Campaign.objects.all().delete()
    AidType.objects.filter(slug="lebaran").update(active=False)
    run_cli("import", "rw", str(tmp_file("rw.csv", HEADER + ROWS)))
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.status) == (FIRST_CAMPAIGN_NAME, CampaignStatus.OPEN)
    assert list(campaign.regions.values_list("code", flat=True)) == ["31"]
    assert sorted(campaign.aid_types.values_list("aid_type__slug", flat=True)) == ["sembako", "siap-saji"]
    assert Need.objects.filter(campaign=campaign).count() == 4
    assert AuditEvent.objects.filter(action="campaign.created", object_id=str(campaign.pk)).exists()
