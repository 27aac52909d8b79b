"""A new campaign with its needs, computed from the targets' latest counts — the one
write that spans a campaign (campaigns app, below) and its needs (here): "starting the
next response takes minutes". Earlier campaigns and their needs are never touched: the
new needs are new rows, in the new campaign only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.campaigns.errors import CampaignInputError
from kolaborasi.campaigns.models import Campaign, NeedRule
from kolaborasi.campaigns.services import AidTypeUnit, campaign_create
from kolaborasi.core.actor import Actor

from .imports import write_needs
from .models import AidType, Target, within_any_q


def _aid_types(slugs: Sequence[str]) -> list[AidTypeUnit]:
    wanted = list(dict.fromkeys(str(s).strip() for s in slugs if str(s).strip()))
    if not wanted:
        raise CampaignInputError(_("Pilih minimal satu jenis bantuan."), field="aid_type")
    found = {a.slug: a for a in AidType.objects.filter(slug__in=wanted)}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        known = ", ".join(AidType.objects.filter(active=True).values_list("slug", flat=True))
        raise CampaignInputError(
            _("Jenis bantuan tidak dikenal: %(slugs)s. Yang ada: %(known)s.")
            % {"slugs": ", ".join(unknown), "known": known},
            field="aid_type",
        )
    inactive = [s for s in wanted if not found[s].active]
    if inactive:
        raise CampaignInputError(
            _("Jenis bantuan tidak aktif: %(slugs)s.") % {"slugs": ", ".join(inactive)}, field="aid_type"
        )
    return [AidTypeUnit(found[s].pk, s, found[s].unit) for s in wanted]


def campaign_start(
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    name: str,
    region_codes: Sequence[str],
    aid_type_slugs: Sequence[str],
    start: dt.date,
    end: dt.date | None = None,
    description: str = "",
) -> Campaign:
    """Open a campaign over ``region_codes`` collecting ``aid_type_slugs``, and give every
    target in those regions one need per aid type of one unit per vulnerable household
    (residents for an institution), from the target's latest count. All or nothing."""
    aid_types = _aid_types(aid_type_slugs)
    with transaction.atomic():
        campaign = campaign_create(
            actor=actor,
            organisation=organisation,
            name=name,
            region_codes=region_codes,
            aid_types=aid_types,
            start=start,
            end=end,
            description=description,
            need_rule=NeedRule.HOUSEHOLDS,
        )
        codes = list(campaign.regions.values_list("code", flat=True))
        targets = list(Target.objects.filter(within_any_q(codes)).order_by("pk"))
        needs = write_needs(targets, campaign)
        audit_record(
            actor=actor,
            action=AuditAction.CAMPAIGN_NEEDS_COMPUTED,
            obj=campaign,
            after={"rule": NeedRule.HOUSEHOLDS, "targets": len(targets), "needs": needs},
            organisation=organisation,
        )
    return campaign
