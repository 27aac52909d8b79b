"""Allocation plans: a preview of a fair split (planner.py) of a stock over an area's
unmet need, replanned over what is left, or committed — every pledge at once, paid from
the balance when the plan has a package template. Atomic, with their audit events, like
every service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot
from kolaborasi.campaigns.errors import CampaignChoiceNeeded, CampaignClosed
from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.campaigns.selectors import open_campaigns, open_campaigns_over
from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.pledges.errors import PlanConflict
from kolaborasi.pledges.holds import default_planned_delivery
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledges_create_many
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType
from kolaborasi.targets.priority import priority_key

from .errors import FundsConflict, FundsError, rupiah
from .models import (
    DONATION_MAX,
    AllocationLine,
    AllocationPlan,
    Kinds,
    PackageTemplate,
    PlanStatus,
)
from .planner import plan_allocation
from .selectors import plan_needs
from .services import allocate, check_aggregator, check_can_pay, check_template, whole_rupiah

MIN_DROP_MAX = 10_000
PLAN_STOCK_MAX = 10_000_000


def plan_snapshot(plan: AllocationPlan) -> dict[str, Any]:
    fields = ("aid_type", "region", "kinds", "min_drop", "stock", "budget", "template", "total", "status")
    state = snapshot(plan, fields)
    # The campaign by its slug; absent on a plan made before plans had one.
    if plan.campaign_id is not None:
        state["campaign"] = Campaign.objects.values_list("slug", flat=True).get(pk=plan.campaign_id)
    return state


def plan_campaign(campaign: Campaign | None, region: Region) -> Campaign:
    """The one campaign a plan splits over: the one named, which must be open (a closed
    or draft one refuses, ``CampaignClosed``); else the one open campaign, or among
    several the one whose area overlaps ``region``. Several overlapping: the caller must
    choose (``CampaignChoiceNeeded``, naming them)."""
    if campaign is not None:
        if campaign.status != CampaignStatus.OPEN:
            raise CampaignClosed(campaign.name, campaign.slug, campaign.status)
        return campaign
    running = open_campaigns()
    if len(running) == 1:
        return running[0]
    over = open_campaigns_over(region.code)
    if len(over) == 1:
        return over[0]
    if not running:
        raise FundsConflict(_("Tidak ada program yang berjalan."), field="campaign")
    choices = over or running
    raise CampaignChoiceNeeded([(c.slug, c.name) for c in choices])


def _int_option(value: Any, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FundsError(_("Harus bilangan bulat."), field=field)
    if not low <= value <= high:
        raise FundsError(_("Harus antara %(low)s dan %(high)s.") % {"low": low, "high": high}, field=field)
    return value


def plan_create(
    *,
    actor: Actor,
    aggregator: Organisation,
    aid_type: AidType,
    region: Region,
    quantity: Any = None,
    budget: Any = None,
    template: PackageTemplate | None = None,
    min_drop: Any = 1,
    kinds: str = Kinds.BOTH,
    campaign: Campaign | None = None,
) -> AllocationPlan:
    """Preview a fair split (see planner.py) of a stock — ``quantity`` packages, or
    ``budget // template.unit_cost`` — over the unmet need of ``aid_type`` in ``region``
    of one open campaign (``plan_campaign``: the one named, else the default), never
    mixing two. With a template the plan is paid from the balance when committed."""
    check_aggregator(aggregator)
    campaign = plan_campaign(campaign, region)
    if kinds not in Kinds.values:
        raise FundsError(_("%(kinds)r harus rw, institutions atau both.") % {"kinds": kinds}, field="kinds")
    min_drop = _int_option(min_drop, "min_drop", low=1, high=MIN_DROP_MAX)
    if (quantity is None) == (budget is None):
        raise FundsError(_("Isi salah satu: jumlah paket atau anggaran."), field="quantity")
    if template is not None:
        check_template(aggregator, template, aid_type.pk)
    if budget is not None:
        if template is None:
            raise FundsError(_("Anggaran memerlukan paket."), field="template")
        budget = whole_rupiah(budget, "budget", cap=DONATION_MAX)
        stock = budget // template.unit_cost
        if stock == 0:
            raise FundsError(
                _("Anggaran %(budget)s tidak cukup untuk satu paket %(cost)s.")
                % {"budget": rupiah(budget), "cost": rupiah(template.unit_cost)},
                field="budget",
            )
    else:
        stock = _int_option(quantity, "quantity", low=1, high=PLAN_STOCK_MAX)
    if template is not None:
        check_can_pay(aggregator, campaign, stock * template.unit_cost)
    needs = plan_needs(aid_type=aid_type, region=region, kinds=kinds, campaign=campaign)
    if len(needs) == 0:
        raise FundsConflict(
            _(
                "Tidak ada kebutuhan %(aid_type)s yang belum terpenuhi di %(region)s "
                "dalam program %(campaign)s."
            )
            % {"aid_type": aid_type.slug, "region": region.code, "campaign": campaign.name},
            field="region",
        )
    # Ranked by target id, as the list breaks its last ties (targets.priority); a target
    # has one need per aid type, so the target id names the need.
    split = plan_allocation(needs[:, [3, 1, 2]], stock, min_drop)
    if not split:
        raise FundsConflict(_("Tidak ada sasaran yang dapat menerima sebanyak ini."), field="min_drop")
    # The need of each target that receives something, with its size and what was held
    # (why it was chosen), from the rows already read.
    by_target = np.argsort(needs[:, 3])
    at = by_target[np.searchsorted(needs[by_target, 3], [t for t, _q in split])]
    rows = dict(zip(needs[at, 3].tolist(), needs[at, :3].tolist(), strict=True))
    with transaction.atomic():
        plan = AllocationPlan.objects.create(
            aggregator=aggregator,
            aid_type=aid_type,
            region=region,
            campaign=campaign,
            kinds=kinds,
            min_drop=min_drop,
            stock=stock,
            budget=budget,
            template=template,
            total=sum(q for _n, q in split),
            created_by=acting_user(actor),
        )
        # Lines in the order the planner ranked their first package (coverage before,
        # then the rest of the priority rule), so the plan reads like the list.
        ranked = sorted(split, key=lambda line: priority_key(rows[line[0]][1], rows[line[0]][2], line[0]))
        AllocationLine.objects.bulk_create(
            AllocationLine(
                plan=plan,
                need_id=rows[target_id][0],
                target_id=target_id,
                quantity=q,
                need_quantity=rows[target_id][1],
                held_before=rows[target_id][2],
            )
            for target_id, q in ranked
        )
        audit_record(
            actor=actor,
            action=AuditAction.ALLOCATION_PLAN_CREATED,
            obj=plan,
            after=plan_snapshot(plan),
            organisation=aggregator,
        )
    return plan


def plan_replan(*, actor: Actor, plan: AllocationPlan) -> AllocationPlan:
    """A new preview with the same parameters over today's need; the old one is superseded."""
    with transaction.atomic():
        new = plan_create(
            actor=actor,
            aggregator=plan.aggregator,
            aid_type=plan.aid_type,
            region=plan.region,
            quantity=plan.stock if plan.budget is None else None,
            budget=plan.budget,
            template=plan.template,
            min_drop=plan.min_drop,
            kinds=plan.kinds,
            campaign=plan.campaign,
        )
        if AllocationPlan.objects.filter(pk=plan.pk, status=PlanStatus.PREVIEW).update(
            status=PlanStatus.SUPERSEDED
        ):
            audit_record(
                actor=actor,
                action=AuditAction.ALLOCATION_PLAN_SUPERSEDED,
                obj=plan,
                before={"status": PlanStatus.PREVIEW},
                after={"status": PlanStatus.SUPERSEDED, "replaced_by": new.pk},
                organisation=plan.aggregator,
            )
    return new


def plan_commit(
    *,
    actor: Actor,
    plan: AllocationPlan,
    planned_delivery: dt.date | None = None,
    today: dt.date | None = None,
) -> list[Pledge]:
    """Create every pledge of the plan at once (all or nothing, PlanConflict naming what
    no longer fits) and, for a funded plan, pay them from the balance in the same
    transaction."""
    check_aggregator(plan.aggregator)
    # A plan is a preview; committed without a date, its packages get the pledges' default.
    planned_delivery = planned_delivery or default_planned_delivery(today)
    lines = list(plan.lines.select_related("need").order_by("id"))
    with transaction.atomic():
        if not AllocationPlan.objects.filter(pk=plan.pk, status=PlanStatus.PREVIEW).update(
            status=PlanStatus.COMMITTED, committed_at=timezone.now(), planned_delivery=planned_delivery
        ):
            raise FundsConflict(_("Rencana sudah %(status)s.") % {"status": plan.status}, field="status")
        try:
            pledges = pledges_create_many(
                actor=actor,
                organisation=plan.aggregator,
                items=[(line.need, line.quantity) for line in lines],
                planned_delivery=planned_delivery,
                funded=plan.template is not None,
                today=today,
            )
        except PlanConflict as exc:
            exc.replan = f"/api/v1/allocation-plans/{plan.pk}/replan"
            raise
        for line, pledge in zip(lines, pledges, strict=True):
            line.pledge = pledge
        AllocationLine.objects.bulk_update(lines, ["pledge"])
        if plan.template is not None:
            allocate(
                actor=actor,
                aggregator=plan.aggregator,
                costs=[(p, p.quantity * plan.template.unit_cost) for p in pledges],
                template=plan.template,
                memo=f"rencana alokasi #{plan.pk}",
            )
        before = plan_snapshot(plan)
        plan.refresh_from_db()
        audit_record(
            actor=actor,
            action=AuditAction.ALLOCATION_PLAN_COMMITTED,
            obj=plan,
            before=before,
            after=plan_snapshot(plan) | {"pledges": [p.pk for p in pledges]},
            organisation=plan.aggregator,
        )
    return pledges
