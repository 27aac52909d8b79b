"""`kolaborasi campaign create` / `close` (a public contract) and GET /api/v1/campaigns.

create: one line of JSON {"id", "slug"}; the new campaign's needs come from the latest
counts of the targets in its regions, one per aid type, and no earlier campaign changes;
bad input names its option and changes nothing. close: the campaign stops taking
pledges, for good."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management.base import CommandError

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.campaigns.services import AidTypeUnit, campaign_create
from kolaborasi.targets.models import AidType, Need, Target
from tests.pledges_support import open_campaign

pytestmark = pytest.mark.django_db

CREATE = ["campaign", "create", "--name", "Tanggap Banjir Jakarta Timur", "--start", "2026-12-01"]


def _counts() -> tuple[int, int, int, list[tuple[int, int, int, bool]]]:
    return (
        Campaign.objects.count(),
        Need.objects.count(),
        AuditEvent.objects.count(),
        list(Need.objects.order_by("pk").values_list("pk", "quantity", "held", "accepting")[:500]),
    )


def test_create_computes_needs_from_the_latest_counts(run_cli) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    rw = Target.objects.filter(city_code="31.75", kind="rw").order_by("pk").first()
    assert rw is not None
    Target.objects.filter(pk=rw.pk).update(size=rw.size + 17)  # a newer count than the demo's needs
    old_needs = list(
        Need.objects.order_by("pk").values_list("pk", "campaign_id", "quantity", "held", "updated_at")
    )
    out, _err = run_cli(
        *CREATE, "--region", "31.75", "--aid-type", "sembako", "siap-saji", "--end", "2027-01-31"
    )
    assert out.count("\n") <= 1
    answer = json.loads(out)
    campaign = Campaign.objects.get(pk=answer["id"])
    assert answer == {"id": campaign.pk, "slug": "tanggap-banjir-jakarta-timur"}
    assert (campaign.status, campaign.start, campaign.end) == (
        CampaignStatus.OPEN,
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 31),
    )
    assert list(campaign.regions.values_list("code", flat=True)) == ["31.75"]
    targets = Target.objects.filter(city_code="31.75")
    needs = Need.objects.filter(campaign=campaign)
    assert needs.count() == targets.count() * 2
    assert needs.get(target=rw, aid_type__slug="sembako").quantity == rw.size + 17
    assert not needs.exclude(target__city_code="31.75").exists()
    # The demo's campaign is exactly as it was.
    assert (
        list(
            Need.objects.filter(campaign=demo)
            .order_by("pk")
            .values_list("pk", "campaign_id", "quantity", "held", "updated_at")
        )
        == old_needs
    )
    actions = list(
        AuditEvent.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["campaign.created", "campaign.needs_computed"]
    # A second campaign of the same name gets its own slug.
    again = json.loads(run_cli(*CREATE, "--region", "31.75.01", "--aid-type", "sembako")[0])
    assert again["slug"] == "tanggap-banjir-jakarta-timur-2"


BAD = [
    (["--region", "31.75", "99.99", "--aid-type", "sembako"], "--region: Kode wilayah tidak dikenal: 99.99"),
    (
        ["--region", "31.75", "--aid-type", "sembako", "beras"],
        "--aid-type: Jenis bantuan tidak dikenal: beras",
    ),
    (
        ["--region", "31.75", "--aid-type", "sembako", "--end", "2026-11-30"],
        "--end: Tanggal selesai 2026-11-30 sebelum",
    ),
    (
        ["--region", "31.75", "--aid-type", "sembako", "--end", "31/12/2026"],
        "--end: '31/12/2026' bukan tanggal",
    ),
]


@pytest.mark.parametrize(("extra", "message"), BAD)
def test_bad_input_names_the_option_and_changes_nothing(run_cli, extra, message) -> None:  # type: ignore[no-untyped-def]
    before = _counts()
    with pytest.raises(CommandError, match=message):
        run_cli(*CREATE, *extra)
    assert _counts() == before


def test_bad_start_and_inactive_aid_type_are_refused(run_cli) -> None:  # type: ignore[no-untyped-def]
    AidType.objects.filter(slug="lebaran").update(active=False)
    before = _counts()
    with pytest.raises(CommandError, match="--start: '2026-02-30' bukan tanggal"):
        run_cli(
            "campaign",
            "create",
            "--name",
            "X",
            "--region",
            "31",
            "--aid-type",
            "sembako",
            "--start",
            "2026-02-30",
        )
    with pytest.raises(CommandError, match="--aid-type: Jenis bantuan tidak aktif: lebaran"):
        run_cli(*CREATE, "--region", "31", "--aid-type", "lebaran")
    with pytest.raises(CommandError, match="--name: Nama tidak boleh diawali"):
        run_cli(
            "campaign",
            "create",
            "--name",
            "=SUM(A1)",
            "--region",
            "31",
            "--aid-type",
            "sembako",
            "--start",
            "2026-12-01",
        )
    assert _counts() == before


def test_close_stops_a_campaign_for_good(run_cli) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    out, _err = run_cli("campaign", "close", demo.slug)
    assert json.loads(out) == {"id": demo.pk, "slug": demo.slug, "status": "closed"}
    demo.refresh_from_db()
    assert demo.status == CampaignStatus.CLOSED
    assert not Need.objects.filter(campaign=demo, accepting=True).exists()
    event = AuditEvent.objects.filter(action="campaign.closed").latest("seq")
    assert event.before is not None and event.after is not None
    assert (event.before["status"], event.after["status"]) == ("open", "closed")
    before = _counts()
    with pytest.raises(CommandError, match="sudah ditutup"):
        run_cli("campaign", "close", demo.slug)
    with pytest.raises(CommandError, match="Program dengan kode tidak-ada tidak ada"):
        run_cli("campaign", "close", "tidak-ada")
    assert _counts() == before


def test_the_public_list_of_campaigns(client, run_cli) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    run_cli(*CREATE, "--region", "31.75", "31.71", "--aid-type", "siap-saji")
    sembako = AidType.objects.get(slug="sembako")
    campaign_create(
        actor=None,
        name="Draf rahasia",
        region_codes=["31"],
        aid_types=[AidTypeUnit(sembako.pk, sembako.slug, "karung")],
        start=dt.date(2027, 1, 1),
        status=CampaignStatus.DRAFT,
    )
    r = client.get("/api/v1/campaigns")
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": demo.pk,
            "slug": demo.slug,
            "name": demo.name,
            "status": "open",
            "start": demo.start.isoformat(),
            "end": None,
            "regions": ["31"],
            "aid_types": [
                {"slug": "sembako", "unit": "paket"},
                {"slug": "siap-saji", "unit": "paket"},
                {"slug": "lebaran", "unit": "paket"},
            ],
        },
        {
            "id": Campaign.objects.get(slug="tanggap-banjir-jakarta-timur").pk,
            "slug": "tanggap-banjir-jakarta-timur",
            "name": "Tanggap Banjir Jakarta Timur",
            "status": "open",
            "start": "2026-12-01",
            "end": None,
            "regions": ["31.71", "31.75"],
            "aid_types": [{"slug": "siap-saji", "unit": "paket"}],
        },
    ]
