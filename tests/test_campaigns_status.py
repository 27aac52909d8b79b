"""Campaign status, draft → open → closed, through the campaign services (no page writes
campaigns yet; the command line acts as the system): only operators may change it, each
change is audited, and a change to the status it already has is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.models import CampaignStatus
from kolaborasi.campaigns.services import AidTypeUnit, campaign_close, campaign_create, campaign_open
from kolaborasi.core.errors import Conflict, Forbidden
from kolaborasi.targets.models import AidType

pytestmark = pytest.mark.django_db


def _draft(**kwargs: object):  # type: ignore[no-untyped-def]
    sembako = AidType.objects.get(slug="sembako")
    return campaign_create(
        actor=None,
        name="Program Ramadan",
        region_codes=["31.74"],
        aid_types=[AidTypeUnit(sembako.pk, sembako.slug, sembako.unit)],
        start=dt.date(2027, 2, 1),
        status=CampaignStatus.DRAFT,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("who", "allowed"), [("oki", True), ("dina", False), ("agus", False), ("ratna", False)]
)
def test_only_operators_run_campaigns(personas, who, allowed) -> None:  # type: ignore[no-untyped-def]
    persona = personas[who]
    campaign = _draft()
    if allowed:
        campaign_open(actor=persona.user, organisation=persona.organisation, campaign=campaign)
        assert campaign.status == CampaignStatus.OPEN
        event = AuditEvent.objects.filter(action="campaign.opened").latest("seq")
        assert event.organisation_id == persona.organisation.pk and event.actor_id == persona.user.pk
    else:
        with pytest.raises(Forbidden, match="Hanya operator"):
            campaign_open(actor=persona.user, organisation=persona.organisation, campaign=campaign)
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT


def test_draft_opens_then_closes_and_never_twice(personas) -> None:  # type: ignore[no-untyped-def]
    oki = personas["oki"]
    campaign = _draft()
    campaign_open(actor=oki.user, organisation=oki.organisation, campaign=campaign)
    with pytest.raises(Conflict, match="sudah berjalan"):
        campaign_open(actor=oki.user, organisation=oki.organisation, campaign=campaign)
    campaign_close(actor=oki.user, organisation=oki.organisation, campaign=campaign)
    with pytest.raises(Conflict, match="tidak dapat diubah"):
        campaign_open(actor=oki.user, organisation=oki.organisation, campaign=campaign)
    assert list(
        AuditEvent.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["campaign.created", "campaign.opened", "campaign.closed"]
