"""Every write on campaigns: ``<noun>_<verb>(*, actor, ...)``, atomic, with its audit
event in the same transaction.

A campaign's status and its needs' ``accepting`` flag change together, in one
transaction that locks the campaign row and then every one of its need rows: a pledge
or delivery in flight on one of those needs finishes first, or waits and then sees the
new flag (docs/architecture.md, "Campaigns").

Computing a new campaign's needs from the targets' latest counts is a write on needs,
so it lives with them (``targets.campaigns.campaign_start``) and calls
``campaign_create`` here inside its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot
from kolaborasi.core.actor import Actor
from kolaborasi.core.errors import Conflict
from kolaborasi.core.text import formula_refusal
from kolaborasi.regions.models import Region

from .access import check_can_run_campaigns
from .errors import CampaignChoiceNeeded, CampaignInputError
from .models import Campaign, CampaignAidType, CampaignStatus, NeedRule

# The one shape of a campaign in the audit log.
CAMPAIGN_AUDIT_FIELDS = ("name", "slug", "description", "start", "end", "status", "need_rule", "regions")
NAME_MAX = Campaign._meta.get_field("name").max_length or 120
# The name the first campaign gets when a fresh installation imports its first targets
# (and the migration gives the needs that existed before campaigns).
FIRST_CAMPAIGN_NAME = "Program bantuan"


@dataclass(frozen=True)
class AidTypeUnit:
    """An aid type as a campaign collects it: its id and slug (aid types live in targets,
    above this app) and the unit the campaign counts it in."""

    id: int
    slug: str
    unit: str


def _clean_name(name: Any) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise CampaignInputError(_("Nama program wajib diisi."), field="name")
    if len(name) > NAME_MAX:
        raise CampaignInputError(
            _("Nama program paling panjang %(max)s karakter.") % {"max": NAME_MAX}, field="name"
        )
    refusal = formula_refusal(name)
    if refusal:
        raise CampaignInputError(refusal, field="name")
    return name


def _clean_regions(region_codes: Sequence[str]) -> list[Region]:
    codes = list(dict.fromkeys(str(c).strip() for c in region_codes if str(c).strip()))
    if not codes:
        raise CampaignInputError(_("Pilih minimal satu wilayah."), field="region")
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise CampaignInputError(
            _("Kode wilayah tidak dikenal: %(codes)s.") % {"codes": ", ".join(unknown)}, field="region"
        )
    return [found[c] for c in codes]


def _clean_dates(start: Any, end: Any) -> tuple[dt.date, dt.date | None]:
    if not isinstance(start, dt.date):
        raise CampaignInputError(_("Tanggal mulai wajib diisi (YYYY-MM-DD)."), field="start")
    if end is not None:
        if not isinstance(end, dt.date):
            raise CampaignInputError(_("Tanggal selesai harus berupa tanggal (YYYY-MM-DD)."), field="end")
        if end < start:
            raise CampaignInputError(
                _("Tanggal selesai %(end)s sebelum tanggal mulai %(start)s.")
                % {"end": end.isoformat(), "start": start.isoformat()},
                field="end",
            )
    return start, end


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "program"
    slug, n = base, 2
    while Campaign.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def campaign_create(
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    name: str,
    region_codes: Sequence[str],
    aid_types: Sequence[AidTypeUnit],
    start: dt.date,
    end: dt.date | None = None,
    description: str = "",
    need_rule: str = NeedRule.HOUSEHOLDS,
    status: str = CampaignStatus.OPEN,
) -> Campaign:
    """A new campaign (open unless ``status`` says draft) over ``region_codes`` collecting
    ``aid_types``. Its needs are written by the caller (``targets.campaigns``)."""
    check_can_run_campaigns(organisation)
    name = _clean_name(name)
    regions = _clean_regions(region_codes)
    if not aid_types:
        raise CampaignInputError(_("Pilih minimal satu jenis bantuan."), field="aid_type")
    start, end = _clean_dates(start, end)
    if need_rule not in NeedRule.values:
        raise CampaignInputError(_("Cara menghitung kebutuhan tidak dikenal."), field="need_rule")
    if status not in (CampaignStatus.DRAFT, CampaignStatus.OPEN):
        raise CampaignInputError(_("Program baru berstatus draf atau berjalan."), field="status")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            slug=_unique_slug(name),
            description=str(description or "").strip(),
            start=start,
            end=end,
            status=status,
            need_rule=need_rule,
        )
        campaign.regions.set(regions)
        CampaignAidType.objects.bulk_create(
            [CampaignAidType(campaign=campaign, aid_type_id=a.id, unit=a.unit) for a in aid_types]
        )
        after = snapshot(campaign, CAMPAIGN_AUDIT_FIELDS)
        after["aid_types"] = {a.slug: a.unit for a in aid_types}
        audit_record(
            actor=actor,
            action=AuditAction.CAMPAIGN_CREATED,
            obj=campaign,
            after=after,
            organisation=organisation,
        )
    return campaign


def _status_change(
    actor: Actor,
    organisation: Organisation | None,
    campaign: Campaign,
    to: str,
    allowed_from: tuple[str, ...],
) -> Campaign:
    check_can_run_campaigns(organisation)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == to:
            already = (
                _("Program %(name)s sudah ditutup.")
                if to == CampaignStatus.CLOSED
                else _("Program %(name)s sudah berjalan.")
            )
            raise Conflict(already % {"name": locked.name}, field="status")
        if locked.status not in allowed_from:
            raise Conflict(
                _("Program %(name)s berstatus %(status)s; tidak dapat diubah menjadi %(to)s.")
                % {
                    "name": locked.name,
                    "status": locked.get_status_display(),
                    "to": CampaignStatus(to).label,
                },
                field="status",
            )
        before = snapshot(locked, CAMPAIGN_AUDIT_FIELDS)
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
        # Each need row in id order, as every pledge takes them: a pledge on one of these
        # needs either committed before or reads the new flag after (invariant 1).
        locked.needs.order_by("pk").update(accepting=to == CampaignStatus.OPEN, updated_at=timezone.now())
        audit_record(
            actor=actor,
            action=AuditAction.CAMPAIGN_OPENED if to == CampaignStatus.OPEN else AuditAction.CAMPAIGN_CLOSED,
            obj=locked,
            before=before,
            after=snapshot(locked, CAMPAIGN_AUDIT_FIELDS),
            organisation=organisation,
        )
    campaign.refresh_from_db()
    return campaign


def campaign_open(*, actor: Actor, organisation: Organisation | None = None, campaign: Campaign) -> Campaign:
    """Draft → open: its needs start taking pledges."""
    return _status_change(actor, organisation, campaign, CampaignStatus.OPEN, (CampaignStatus.DRAFT,))


def campaign_close(*, actor: Actor, organisation: Organisation | None = None, campaign: Campaign) -> Campaign:
    """Open (or draft) → closed, for good: its needs refuse new pledges and deliveries, so
    its figures stay as they are."""
    return _status_change(
        actor, organisation, campaign, CampaignStatus.CLOSED, (CampaignStatus.DRAFT, CampaignStatus.OPEN)
    )


def campaign_for_new_needs(
    *, actor: Actor, region_codes: Sequence[str], aid_types: Sequence[AidTypeUnit]
) -> Campaign:
    """The campaign that needs written without naming one (an import of targets, the
    demo) belong to: the one open campaign. On an installation without any campaign yet
    the first one is opened here, over ``region_codes`` and collecting ``aid_types``, so
    that loading the first targets works as it always did."""
    open_campaigns = list(Campaign.objects.filter(status=CampaignStatus.OPEN).order_by("pk")[:20])
    if len(open_campaigns) == 1:
        return open_campaigns[0]
    if open_campaigns:
        raise CampaignChoiceNeeded([(c.slug, c.name) for c in open_campaigns])
    if Campaign.objects.exists():
        raise CampaignInputError(
            _("Tidak ada program yang berjalan. Buat program baru dulu (kolaborasi campaign create)."),
            field="campaign",
        )
    return campaign_create(
        actor=actor,
        name=FIRST_CAMPAIGN_NAME,
        region_codes=region_codes,
        aid_types=aid_types,
        start=timezone.localdate(),
    )
