"""A campaign (UI: "Program"): one response with its own period, area, aid types and
needs — a Ramadan drive, a flood response. Needs (``targets.Need``) belong to one
campaign; RWs, institutions and organisations are shared by every campaign.

Only an open campaign takes new pledges and deliveries. Its needs carry that as
``Need.accepting``, kept equal to "the campaign is open" by the services here, so the
pledge's one conditional UPDATE refuses a closed campaign's need by itself, with no
read of the campaign on the hot path and no window between a close and a pledge
(docs/architecture.md, "Campaigns")."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draf")
    OPEN = "open", _("Berjalan")
    CLOSED = "closed", _("Ditutup")


class NeedRule(models.TextChoices):
    # One unit of each aid type per vulnerable household of an RW (per resident of an
    # institution), from the latest counts when the campaign's needs are computed.
    HOUSEHOLDS = "households", _("Satu unit per KK rentan / penghuni")
    IMPORTED = "imported", _("Diimpor per sasaran")


class Campaign(models.Model):
    name = models.CharField(_("nama"), max_length=120)
    slug = models.SlugField(_("kode"), max_length=60, unique=True)
    description = models.TextField(_("keterangan"), blank=True)
    start = models.DateField(_("mulai"))
    end = models.DateField(_("selesai"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    need_rule = models.CharField(
        _("cara menghitung kebutuhan"), max_length=12, choices=NeedRule.choices, default=NeedRule.HOUSEHOLDS
    )
    regions = models.ManyToManyField("regions.Region", related_name="campaigns", verbose_name=_("wilayah"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "slug"]
        verbose_name = _("program")
        verbose_name_plural = _("program")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="campaign_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN


class CampaignAidType(models.Model):
    """An aid type the campaign collects, in the unit it counts it in (the aid type's
    unit when the campaign was created, kept so a later edit of the aid type does not
    rewrite a closed campaign's report)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="aid_types")
    # Named by string: aid types live in targets, a layer above this app.
    aid_type = models.ForeignKey("targets.AidType", on_delete=models.PROTECT, related_name="campaigns")
    unit = models.CharField(_("satuan"), max_length=30)

    class Meta:
        ordering = ["campaign", "aid_type__sort_order", "aid_type__slug"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "aid_type"], name="campaign_aid_type_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.aid_type_id}"
