"""Funds API (a public contract: README, "API"). Thin: parse, check access, call one service.

Errors are JSON ``{"detail": ...}``, answered from the application's errors by
kolaborasi.core.api_contract: 403 wrong kind
of organisation, 404 something the organisation may not see (or a body naming an
aggregator, aid type, region or template that does not exist), 409 a request the current
state refuses (a plan that no longer fits, with ``conflicts`` and a ``replan`` link; the
balance; a donation already decided), 422 bad input (``field`` names it); 401,
429 and 503 can come before the view runs.
Amounts are integers in whole rupiah.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict
from pydantic.config import JsonDict

from kolaborasi.accounts.auth import token_auth
from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.snapshot import snapshot
from kolaborasi.campaigns.selectors import campaign_by_slug
from kolaborasi.core import throttle
from kolaborasi.core.api_contract import (
    AID_TYPE_DESCRIPTION,
    AID_TYPE_MAX,
    AID_TYPE_PATTERN,
    JSON_INTEGER,
    MAX_ID,
    REGION_CODE_MAX,
    REGION_CODE_PATTERN,
    TEXT_PATTERN,
    ErrorOut,
    errors,
    planning_dates,
)
from kolaborasi.core.errors import NotFound
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.schemas import CAMPAIGN_PATTERN
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Target

from . import plans, selectors, services
from .access import (
    get_aggregator_public,
    get_donation_for_org,
    get_plan_for_org,
    get_template_for_org,
    require_aggregator,
    require_donor,
)
from .models import DONATION_MAX, AllocationPlan, Channel, Donation, DonationStatus, Kinds, PlanStatus
from .plans import MIN_DROP_MAX, PLAN_STOCK_MAX

router = Router(tags=["funds"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class DonationIn(Schema):
    aggregator: Annotated[int, Field(ge=1, le=MAX_ID), JSON_INTEGER] = Field(
        ..., description="id of a verified aggregator (404 when there is none)"
    )
    amount: Annotated[int, Field(ge=1, le=DONATION_MAX), JSON_INTEGER] = Field(
        ..., description="whole rupiah"
    )
    donated_on: dt.date = Field(..., description="today or earlier")
    reference: str = Field("", max_length=120, pattern=TEXT_PATTERN)
    public: bool = Field(False, strict=True, description="may the donor's name be shown publicly")
    channel: Channel = Channel.TRANSFER
    campaign: str | None = Field(
        None,
        min_length=1,
        max_length=60,
        pattern=CAMPAIGN_PATTERN,
        description=(
            "slug of an open campaign (`GET /api/v1/campaigns`) the money is earmarked for; "
            "left out (or null) for a general donation. 422 for an unknown, draft or closed campaign"
        ),
        examples=["program-bantuan"],
    )


class DonationOut(Schema):
    id: int
    status: DonationStatus
    donor: int
    aggregator: int
    amount: int
    donated_on: dt.date
    channel: Channel
    reference: str
    public: bool
    campaign: str | None = Field(None, description="slug of the campaign it is earmarked for; null: general")


class RejectIn(Schema):
    reason: str = Field("", max_length=300, pattern=TEXT_PATTERN)


class FundsOut(Schema):
    donated: int
    confirmed: int
    allocated: int
    balance: int


class DonorOut(Schema):
    id: int
    name: str
    total: int


class AggregatorOut(Schema):
    id: int
    name: str
    verified: bool
    description: str
    funds: FundsOut
    pledged: dict[str, int]
    delivered: dict[str, int]
    public_donors: list[DonorOut]


# Exactly one way to size a plan, stated in the schema so that a generated body never
# asks for both: `quantity` packages, or a `budget` with the `template` that prices it.
_PLAN_SIZE: JsonDict = {
    "oneOf": [
        {
            "required": ["quantity"],
            "properties": {"quantity": {"type": "integer"}, "budget": {"type": "null"}},
        },
        {
            "required": ["budget", "template"],
            "properties": {
                "budget": {"type": "integer"},
                "template": {"type": "integer"},
                "quantity": {"type": "null"},
            },
        },
    ]
}


class PlanIn(Schema):
    model_config = ConfigDict(json_schema_extra=_PLAN_SIZE)

    aid_type: str = Field(
        ...,
        min_length=1,
        max_length=AID_TYPE_MAX,
        pattern=AID_TYPE_PATTERN,
        description=AID_TYPE_DESCRIPTION,
        examples=["sembako"],
    )
    region: str = Field(
        ..., min_length=1, max_length=REGION_CODE_MAX, pattern=REGION_CODE_PATTERN, examples=["31.74.05"]
    )
    quantity: Annotated[int, Field(ge=1, le=PLAN_STOCK_MAX), JSON_INTEGER] | None = Field(
        None, description="packages to split; or give `budget`"
    )
    budget: Annotated[int, Field(ge=1, le=DONATION_MAX), JSON_INTEGER] | None = Field(
        None, description="whole rupiah; needs `template`"
    )
    template: Annotated[int, Field(ge=1, le=MAX_ID), JSON_INTEGER] | None = Field(
        None, description="id of one of your package templates (404 when there is none)"
    )
    min_drop: Annotated[int, Field(ge=1, le=MIN_DROP_MAX), JSON_INTEGER] = 1
    kinds: Kinds = Kinds.BOTH
    campaign: str | None = Field(
        None,
        min_length=1,
        max_length=60,
        pattern=CAMPAIGN_PATTERN,
        description=(
            "slug of the open campaign whose needs the plan splits over (`GET /api/v1/campaigns`); "
            "by default the one open campaign, or the one open over `region` (422 with `choices` "
            "when several are); 404 unknown, 409 closed or draft"
        ),
        examples=["program-bantuan"],
    )


class AllocationOut(Schema):
    target: int
    need: int
    quantity: int
    need_quantity: int | None = Field(
        None, description="the need when the plan was made (null on plans made before this was recorded)"
    )
    held_before: int | None = Field(
        None, description="units live pledges held of the need when the plan was made"
    )
    coverage_before: float | None = Field(
        None, description="held_before / need_quantity: the planner serves the lowest first"
    )
    coverage_after: float | None = Field(None, description="the coverage once this allocation is pledged")
    why: str = Field("", description="the reason in words (coverage before and after)")


class PlanOut(Schema):
    id: int
    status: PlanStatus
    aid_type: str
    region: str
    campaign: str | None = Field(None, description="slug of the campaign it splits over")
    kinds: Kinds
    min_drop: int
    stock: int
    budget: int | None
    template: int | None
    cost: int | None
    total: int
    allocations: list[AllocationOut]


class CommitIn(Schema):
    planned_delivery: dt.date | None = Field(
        None,
        description="today or later, within the planning horizon (the `enum`; 422 outside it); "
        "by default a week ahead",
        json_schema_extra=planning_dates,
    )


class FundingOut(Schema):
    pledge: int
    aggregator: str
    aggregator_id: int
    donor: str | None
    donation: int
    donated_on: dt.date
    amount: int


class CommittedPledgeOut(Schema):
    id: int
    target: int
    need: int
    aid_type: str
    quantity: int
    status: str
    planned_delivery: dt.date
    funding: list[FundingOut]


class PlanConflictLine(Schema):
    target: int
    need: int
    requested: int
    remaining: int


class PlanConflictOut(ErrorOut):
    """409: needs that no longer take what the plan allots them (``conflicts``; POST
    ``replan`` for a fresh plan over what is left), or the organisation's hold limit
    (``reason``, ``limit``, ``allowed``) for pledges not paid from its balance."""

    conflicts: list[PlanConflictLine] | None = Field(
        None, description="when needs no longer fit; absent for a hold limit or a plan already committed"
    )
    replan: str | None = None
    reason: str | None = None
    limit: int | None = None
    allowed: int | None = None


class CommitOut(Schema):
    plan: int
    status: str
    pledges: list[CommittedPledgeOut]


def _org(request: HttpRequest) -> Organisation:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _donation_out(d: Donation) -> dict[str, Any]:
    campaign = d.campaign.slug if d.campaign is not None else None
    return {"id": d.pk, **snapshot(d, ("status", *services.DONATION_FIELDS)), "campaign": campaign}


@router.post(
    "/donations",
    auth=token_auth,
    response={201: DonationOut, **errors(403, 404, 409, 422)},
    description=(
        "404 when `aggregator` names no aggregator; 409 when it is not verified yet; "
        "`donated_on` is today or earlier (else 422). `campaign` earmarks the money for an open "
        "campaign (422 naming why for an unknown, draft or closed one); without it the donation "
        "is general."
    ),
)
def donation_create(request: HttpRequest, payload: DonationIn) -> Status:
    throttle.check(request, "donations", throttle.by_organisation(_org(request)))
    donor = require_donor(_org(request))
    aggregator = Organisation.objects.filter(pk=payload.aggregator).first()
    if aggregator is None or aggregator.kind != OrgKind.AGGREGATOR:
        # Like an unknown id in a path: the thing named does not exist.
        raise NotFound(_("Agregator %(id)s tidak ada.") % {"id": payload.aggregator}, field="aggregator")
    donation = services.donation_create(
        actor=None,
        donor=donor,
        aggregator=aggregator,
        amount=payload.amount,
        donated_on=payload.donated_on,
        channel=payload.channel,
        reference=payload.reference,
        public=payload.public,
        campaign=payload.campaign,
    )
    return Status(201, _donation_out(donation))


@router.post(
    "/donations/{donation_id}/confirm",
    auth=token_auth,
    response={200: DonationOut, **errors(403, 404, 409, 422)},
    description="409 when the donation was already confirmed or rejected.",
)
def donation_confirm(request: HttpRequest, donation_id: Id) -> dict[str, Any]:
    donation = get_donation_for_org(_org(request), donation_id, decide=True)
    donation = services.donation_confirm(actor=None, donation=donation)
    return _donation_out(donation)


@router.post(
    "/donations/{donation_id}/reject",
    auth=token_auth,
    response={200: DonationOut, **errors(403, 404, 409, 422)},
    description="409 when the donation was already confirmed or rejected.",
)
def donation_reject(request: HttpRequest, donation_id: Id, payload: RejectIn | None = None) -> dict[str, Any]:
    donation = get_donation_for_org(_org(request), donation_id, decide=True)
    reason = payload.reason if payload else ""
    donation = services.donation_reject(actor=None, donation=donation, reason=reason)
    return _donation_out(donation)


def _aggregator_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "verified": org.verified,
        "description": org.description,
        "funds": selectors.aggregator_funds(org),
        **selectors.aggregator_packages(org),
        "public_donors": selectors.aggregator_public_donors(org),
    }


@router.get("/aggregators", response={200: list[AggregatorOut]})
def aggregators(request: HttpRequest) -> list[dict[str, Any]]:
    return [_aggregator_out(org) for org in selectors.aggregators_list()]


@router.get("/aggregators/{aggregator_id}", response={200: AggregatorOut, **errors(404)})
def aggregator_detail(request: HttpRequest, aggregator_id: Id) -> dict[str, Any]:
    org = get_aggregator_public(aggregator_id)
    return _aggregator_out(org)


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


def _plan_out(plan: AllocationPlan) -> dict[str, Any]:
    cost = plan.total * plan.template.unit_cost if plan.template is not None else None
    return {
        "id": plan.pk,
        "status": plan.status,
        "aid_type": plan.aid_type.slug,
        "region": plan.region_id,
        "campaign": plan.campaign.slug if plan.campaign is not None else None,
        "kinds": plan.kinds,
        "min_drop": plan.min_drop,
        "stock": plan.stock,
        "budget": plan.budget,
        "template": plan.template_id,
        "cost": cost,
        "total": plan.total,
        # In the planner's order of priority (see funds.plans.plan_create).
        "allocations": [
            {
                "target": line.target_id,
                "need": line.need_id,
                "quantity": line.quantity,
                "need_quantity": line.need_quantity,
                "held_before": line.held_before,
                "coverage_before": _rounded(line.coverage_before),
                "coverage_after": _rounded(line.coverage_after),
                "why": selectors.plan_line_why(line),
            }
            for line in plan.lines.order_by("id")
        ],
    }


@router.post(
    "/allocation-plans",
    auth=token_auth,
    response={201: PlanOut, **errors(403, 404, 409, 422)},
    description=(
        "Give `quantity`, or `budget` with the `template` that prices it (the schema's `oneOf`). "
        "The plan splits over the needs of one open campaign (`campaign`, else the default). "
        "404 when `aid_type`, `region`, `template` or `campaign` names nothing of yours; 409 when "
        "the campaign is not open, the balance cannot pay for it or the area has no unmet need "
        "that can take the drop; 422 with `choices` when several open campaigns cover `region` "
        "and none is named."
    ),
)
def plan_create(request: HttpRequest, payload: PlanIn) -> Status:
    org = require_aggregator(_org(request))
    aid_type = AidType.objects.filter(slug=payload.aid_type).first()
    if aid_type is None:
        unknown = _("Jenis bantuan %(slug)r tidak dikenal.") % {"slug": payload.aid_type}
        raise NotFound(unknown, field="aid_type")
    region = Region.objects.filter(code=payload.region).first()
    if region is None:
        raise NotFound(_("Wilayah %(code)r tidak dikenal.") % {"code": payload.region}, field="region")
    template = get_template_for_org(org, payload.template) if payload.template is not None else None
    campaign = None
    if payload.campaign is not None:
        campaign = campaign_by_slug(payload.campaign)
        if campaign is None:
            unknown = _("Program %(campaign)r tidak ada.") % {"campaign": payload.campaign}
            raise NotFound(unknown, field="campaign")
    plan = plans.plan_create(
        actor=None,
        aggregator=org,
        aid_type=aid_type,
        region=region,
        quantity=payload.quantity,
        budget=payload.budget,
        template=template,
        min_drop=payload.min_drop,
        kinds=payload.kinds,
        campaign=campaign,
    )
    return Status(201, _plan_out(plan))


@router.get("/allocation-plans/{plan_id}", auth=token_auth, response={200: PlanOut, **errors(404)})
def plan_detail(request: HttpRequest, plan_id: Id) -> dict[str, Any]:
    plan = get_plan_for_org(_org(request), plan_id)
    return _plan_out(plan)


def _pledge_out(p: Pledge, funding: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "id": p.pk,
        "target": p.target_id,
        "need": p.need_id,
        "aid_type": p.aid_type.slug,
        "quantity": p.quantity,
        "status": p.status,
        "planned_delivery": p.planned_delivery,
        "funding": [dict(f, pledge=p.pk) for f in funding.get(p.pk, [])],
    }


@router.post(
    "/allocation-plans/{plan_id}/commit",
    auth=token_auth,
    response={201: CommitOut, 409: PlanConflictOut, **errors(403, 404, 422)},
)
def plan_commit(request: HttpRequest, plan_id: Id, payload: CommitIn | None = None) -> Status:
    plan = get_plan_for_org(_org(request), plan_id)
    require_aggregator(_org(request))
    pledges = plans.plan_commit(
        actor=None, plan=plan, planned_delivery=payload.planned_delivery if payload else None
    )
    pledges = list(
        Pledge.objects.filter(pk__in=[p.pk for p in pledges]).select_related("aid_type").order_by("id")
    )
    funding = selectors.pledge_fundings([p.pk for p in pledges])
    return Status(
        201,
        {
            "plan": plan.pk,
            "status": "committed",
            "pledges": [_pledge_out(p, funding) for p in pledges],
        },
    )


@router.post(
    "/allocation-plans/{plan_id}/replan",
    auth=token_auth,
    response={201: PlanOut, **errors(403, 404, 409, 422)},
)
def plan_replan(request: HttpRequest, plan_id: Id) -> Status:
    plan = get_plan_for_org(_org(request), plan_id)
    require_aggregator(_org(request))
    new = plans.plan_replan(actor=None, plan=plan)
    return Status(201, _plan_out(new))


@router.get("/targets/{target_id}/funding", response={200: list[FundingOut], **errors(404)})
def target_funding(request: HttpRequest, target_id: Id) -> list[dict[str, Any]]:
    """Whose money paid for the packages pledged to this target (public donors by name)."""
    target = Target.objects.filter(pk=target_id).first()
    if target is None:
        raise NotFound(_("Sasaran tidak ditemukan."))
    return selectors.target_fundings(target)
