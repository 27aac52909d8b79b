"""Every write on money: donations, the ledger, package templates, funded pledges and
allocation plans. Each function is atomic and appends its audit event in the same
transaction (docs/decisions/0003-audit-chain.md).

Ledger (docs/architecture.md, invariant 5). ``ledger_post`` is the only writer of
ledger rows: it refuses a transaction whose legs do not sum to zero, and moves each
account's cached balance with one ``UPDATE ... SET balance = balance + x``. Spending
(a negative leg on ``cash``) is one conditional UPDATE ``... WHERE balance >= x``: the
database checks and subtracts in one statement, so two concurrent spends can never both
take the last rupiah (the row lock is held to commit on PostgreSQL; SQLite transactions
are IMMEDIATE). A CHECK constraint on the cash row is the last line of defence.

Attribution rule (whose money paid for a pledge): **first in, first out over confirmed
donations** — a funded pledge is paid from the aggregator's confirmed donations in the
order they were confirmed (then by id), each donation being used up before the next
one is touched. Every slice is a ``PledgeFunding`` row (pledge, donation, amount), so
the target page can say "paid by X's donation of <date>".

Refunds: when a funded pledge releases undelivered units (cancelled or expired), the
cost of those units goes back to the balance (``pledge_funding_release``, called from a
``post_save`` receiver on the pledge, inside the pledge service's transaction). The
slices are given back last-in-first-out and the money returns to the donations it came
from, so FIFO reuses it first for the next pledge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.services import audit_record
from kolaborasi.core.text import CONTENTS_MAX_LENGTH, formula_refusal, unstorable_refusal
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledge_create, pledges_create_many
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Need

from .models import (
    DONATION_MAX,
    UNIT_COST_MAX,
    AccountKind,
    AllocationLine,
    AllocationPlan,
    Channel,
    Donation,
    DonationStatus,
    Kinds,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PackageTemplate,
    PlanStatus,
    PledgeFunding,
)
from .planner import plan_allocation
from .selectors import plan_needs

# A plan is a preview; when committed without a date, packages are planned for a week later.
DEFAULT_DELIVERY_DAYS = 7
MIN_DROP_MAX = 10_000
PLAN_STOCK_MAX = 10_000_000


class FundsError(ValueError):
    """Bad input or a state that does not allow the change; nothing was changed."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FundsConflict(FundsError):
    """Well formed, but the current state refuses it (the balance, the needs left in an
    area, a donation or plan already decided): the API answers 409."""


class InsufficientFunds(FundsConflict):
    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(
            f"saldo tidak cukup: perlu Rp{needed:,}, saldo Rp{balance:,} "
            f"(insufficient balance: Rp{needed:,} needed, Rp{balance:,} available)".replace(",", "."),
            field="balance",
        )
        self.needed = needed
        self.balance = balance


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _whole_rupiah(value: Any, field: str, *, cap: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FundsError(f"{field}: harus bilangan bulat rupiah (must be whole rupiah)", field=field)
    if value <= 0:
        raise FundsError(f"{field}: harus lebih dari 0 (must be greater than zero)", field=field)
    if value > cap:
        raise FundsError(
            f"{field}: melebihi batas Rp{cap:,} (above the cap of Rp{cap:,})".replace(",", "."), field=field
        )
    return value


# --- ledger -----------------------------------------------------------------------


def ledger_accounts(aggregator: Organisation) -> dict[str, LedgerAccount]:
    """The aggregator's three accounts, created on first use."""
    accounts = {a.kind: a for a in LedgerAccount.objects.filter(aggregator=aggregator)}
    for kind in AccountKind.values:
        if kind not in accounts:
            accounts[kind], _ = LedgerAccount.objects.get_or_create(aggregator=aggregator, kind=kind)
    return accounts


def ledger_post(
    *,
    actor: Any,
    aggregator: Organisation,
    memo: str,
    legs: list[tuple[str, int]],
    donation: Donation | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction. ``legs`` are (account kind, signed amount)."""
    if not legs or any(amount == 0 for _kind, amount in legs):
        raise FundsError("transaksi buku besar tanpa nilai (empty ledger leg)")
    if sum(amount for _kind, amount in legs) != 0:
        raise FundsError("transaksi buku besar tidak seimbang (ledger transaction does not sum to zero)")
    with transaction.atomic():
        accounts = ledger_accounts(aggregator)
        tx = LedgerTransaction.objects.create(
            aggregator=aggregator, memo=memo[:200], donation=donation, created_by=_user(actor)
        )
        for kind, amount in legs:
            account = accounts[kind]
            rows = LedgerAccount.objects.filter(pk=account.pk)
            if kind == AccountKind.CASH and amount < 0:
                # Spend only if the money is there, checked and taken in one statement.
                rows = rows.filter(balance__gte=-amount)
            if not rows.update(balance=F("balance") + amount):
                balance = LedgerAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
                raise InsufficientFunds(-amount, int(balance))
            LedgerEntry.objects.create(transaction=tx, account=account, amount=amount)
    return tx


# --- donations --------------------------------------------------------------------


def donation_snapshot(donation: Donation) -> dict[str, Any]:
    return {
        "donor": donation.donor_id,
        "aggregator": donation.aggregator_id,
        "amount": donation.amount,
        "donated_on": donation.donated_on.isoformat(),
        "channel": donation.channel,
        "reference": donation.reference,
        "public": donation.public,
        "status": donation.status,
        "allocated": donation.allocated,
    }


def donation_create(
    *,
    actor: Any,
    donor: Organisation,
    aggregator: Organisation,
    amount: Any,
    donated_on: Any,
    channel: str = Channel.TRANSFER,
    reference: str = "",
    public: bool = False,
    today: dt.date | None = None,
) -> Donation:
    """A donor records money given to a verified aggregator; pending until confirmed."""
    if donor.kind != OrgKind.DONOR:
        raise PermissionDenied("hanya donatur yang dapat mencatat donasi (only donors can record donations)")
    amount = _whole_rupiah(amount, "amount", cap=DONATION_MAX)
    if aggregator.kind != OrgKind.AGGREGATOR:
        raise FundsError("aggregator: organisasi ini bukan agregator (not an aggregator)", field="aggregator")
    if not aggregator.verified:
        raise FundsConflict(
            "aggregator: agregator belum terverifikasi (the aggregator is not verified)", field="aggregator"
        )
    if not isinstance(donated_on, dt.date):
        raise FundsError("donated_on: tanggal donasi wajib (date required)", field="donated_on")
    if donated_on > _today(today):
        raise FundsError(
            f"donated_on: {donated_on} di masa depan (date is in the future)", field="donated_on"
        )
    if channel not in Channel.values:
        raise FundsError(f"channel: {channel!r} tidak dikenal (unknown channel)", field="channel")
    reference = (reference or "").strip()
    if len(reference) > 120:
        raise FundsError("reference: maksimal 120 karakter (at most 120 characters)", field="reference")
    with transaction.atomic():
        donation = Donation.objects.create(
            donor=donor,
            aggregator=aggregator,
            amount=amount,
            donated_on=donated_on,
            channel=channel,
            reference=reference,
            public=bool(public),
            created_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="donation.create",
            obj=donation,
            after=donation_snapshot(donation),
            organisation=donor,
        )
    return donation


def _donation_decide(*, actor: Any, donation: Donation, status: str, reason: str = "") -> Donation:
    before = donation_snapshot(donation)
    with transaction.atomic():
        # Only a pending donation can be decided, checked and changed in one statement.
        changed = Donation.objects.filter(pk=donation.pk, status=DonationStatus.PENDING).update(
            status=status, decided_by=_user(actor), decided_at=timezone.now(), reject_reason=reason[:300]
        )
        if not changed:
            current = Donation.objects.values_list("status", flat=True).get(pk=donation.pk)
            raise FundsConflict(_("Donasi ini sudah %(status)s.") % {"status": current}, field="status")
        donation.refresh_from_db()
        if status == DonationStatus.CONFIRMED:
            ledger_post(
                actor=actor,
                aggregator=donation.aggregator,
                memo=f"donasi #{donation.pk} dikonfirmasi",
                legs=[(AccountKind.CASH, donation.amount), (AccountKind.CONTRIBUTIONS, -donation.amount)],
                donation=donation,
            )
        audit_record(
            actor=actor,
            action=f"donation.{'confirm' if status == DonationStatus.CONFIRMED else 'reject'}",
            obj=donation,
            before=before,
            after=donation_snapshot(donation),
            organisation=donation.aggregator,
        )
    return donation


def donation_confirm(*, actor: Any, donation: Donation) -> Donation:
    """The aggregator confirms it received the money: cash +amount, contributions -amount."""
    return _donation_decide(actor=actor, donation=donation, status=DonationStatus.CONFIRMED)


def donation_reject(*, actor: Any, donation: Donation, reason: str = "") -> Donation:
    """The aggregator says the money never arrived; nothing reaches the ledger."""
    return _donation_decide(actor=actor, donation=donation, status=DonationStatus.REJECTED, reason=reason)


# --- package templates ------------------------------------------------------------


def _check_aggregator(organisation: Organisation) -> None:
    if organisation.kind != OrgKind.AGGREGATOR:
        raise PermissionDenied("hanya agregator (aggregators only)")
    if not organisation.verified:
        raise PermissionDenied("agregator belum terverifikasi (the aggregator is not verified)")


def template_snapshot(template: PackageTemplate) -> dict[str, Any]:
    return {
        "aid_type": template.aid_type_id,
        "name": template.name,
        "contents": template.contents,
        "unit_cost": template.unit_cost,
    }


def template_save(
    *,
    actor: Any,
    aggregator: Organisation,
    aid_type: AidType,
    name: str,
    contents: str,
    unit_cost: Any,
    template: PackageTemplate | None = None,
) -> PackageTemplate:
    """Create a package template, or change ``template`` (already fetched for this aggregator)."""
    _check_aggregator(aggregator)
    name = (name or "").strip()
    contents = (contents or "").strip()
    if not name or len(name) > 120:
        raise FundsError(
            "name: wajib, maksimal 120 karakter (required, at most 120 characters)", field="name"
        )
    if problem := formula_refusal(name):
        raise FundsError(f"name: {problem}", field="name")
    if not contents:
        raise FundsError("contents: isi paket wajib (package contents required)", field="contents")
    if problem := unstorable_refusal(contents):
        raise FundsError(f"contents: {problem}", field="contents")
    if len(contents) > CONTENTS_MAX_LENGTH:
        raise FundsError(
            "contents: " + _("maksimal %(max)s karakter.") % {"max": CONTENTS_MAX_LENGTH}, field="contents"
        )
    unit_cost = _whole_rupiah(unit_cost, "unit_cost", cap=UNIT_COST_MAX)
    clash = PackageTemplate.objects.filter(aggregator=aggregator, aid_type=aid_type, name=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise FundsError("name: nama paket sudah dipakai (a template with this name exists)", field="name")
    with transaction.atomic():
        before = template_snapshot(template) if template is not None else None
        if template is None:
            template = PackageTemplate(aggregator=aggregator)
        template.aid_type = aid_type
        template.name = name
        template.contents = contents
        template.unit_cost = unit_cost
        template.save()
        audit_record(
            actor=actor,
            action="package_template.create" if before is None else "package_template.update",
            obj=template,
            before=before,
            after=template_snapshot(template),
            organisation=aggregator,
        )
    return template


# --- paying pledges from the balance ----------------------------------------------


def _allocate(
    *,
    actor: Any,
    aggregator: Organisation,
    costs: list[tuple[Pledge, int]],
    template: PackageTemplate,
    memo: str,
) -> LedgerTransaction:
    """Pay ``costs`` (pledge, rupiah) from the balance and attribute them FIFO."""
    total = sum(cost for _p, cost in costs)
    # The conditional UPDATE on the cash row comes first: it is the serialisation point,
    # so the FIFO reads below see every earlier spend of this aggregator.
    tx = ledger_post(
        actor=actor,
        aggregator=aggregator,
        memo=memo,
        legs=[(AccountKind.CASH, -total), (AccountKind.ALLOCATED, total)],
    )
    donations = iter(
        Donation.objects.filter(
            aggregator=aggregator, status=DonationStatus.CONFIRMED, allocated__lt=F("amount")
        )
        .order_by("decided_at", "id")
        .only("id", "amount", "allocated")
    )
    current: Donation | None = None
    for pledge, cost in costs:
        left = cost
        while left > 0:
            if current is None or current.amount - current.allocated == 0:
                # cash >= total guarantees enough unspent confirmed money; if the rows
                # disagree with the ledger, refuse (and roll back) rather than guess.
                current = next(donations, None)
                if current is None:
                    raise FundsError("donasi tidak cukup untuk alokasi (ledger and donations disagree)")
            take = min(left, current.amount - current.allocated)
            updated = Donation.objects.filter(pk=current.pk, allocated__lte=F("amount") - take).update(
                allocated=F("allocated") + take
            )
            if not updated:  # cannot happen while the cash row is locked; refuse loudly
                raise FundsError("alokasi donasi bentrok (donation allocation conflict)")
            current.allocated += take
            PledgeFunding.objects.create(
                pledge=pledge, donation=current, template=template, transaction=tx, amount=take
            )
            left -= take
        audit_record(
            actor=actor,
            action="pledge.fund",
            obj=pledge,
            after={
                "template": template.pk,
                "unit_cost": template.unit_cost,
                "cost": cost,
                "ledger_tx": tx.pk,
            },
            organisation=aggregator,
        )
    return tx


def _template_for(aggregator: Organisation, template: PackageTemplate, aid_type_id: int) -> None:
    if template.aggregator_id != aggregator.pk:
        raise FundsError(
            "template: bukan milik agregator ini (not this aggregator's template)", field="template"
        )
    if template.aid_type_id != aid_type_id:
        raise FundsError(
            "template: jenis bantuan berbeda dengan kebutuhan (template is for another aid type)",
            field="template",
        )


def funded_pledge_create(
    *,
    actor: Any,
    aggregator: Organisation,
    need: Need,
    quantity: int,
    template: PackageTemplate,
    planned_delivery: dt.date,
    today: dt.date | None = None,
) -> Pledge:
    """A pledge paid from the aggregator's balance: the same pledge flow (and the same
    reservation), plus the ledger allocation of ``quantity × unit_cost``, in one
    transaction — either both happen or neither."""
    _check_aggregator(aggregator)
    _template_for(aggregator, template, need.aid_type_id)
    with transaction.atomic():
        pledge = pledge_create(
            actor=actor,
            organisation=aggregator,
            need=need,
            quantity=quantity,
            planned_delivery=planned_delivery,
            funded=True,
            today=today,
        )
        _allocate(
            actor=actor,
            aggregator=aggregator,
            costs=[(pledge, pledge.quantity * template.unit_cost)],
            template=template,
            memo=f"komitmen #{pledge.pk} dari dana",
        )
    return pledge


# --- allocation plans -------------------------------------------------------------


def plan_snapshot(plan: AllocationPlan) -> dict[str, Any]:
    return {
        "aid_type": plan.aid_type_id,
        "region": plan.region_id,
        "kinds": plan.kinds,
        "min_drop": plan.min_drop,
        "stock": plan.stock,
        "budget": plan.budget,
        "template": plan.template_id,
        "total": plan.total,
        "status": plan.status,
    }


def _int_option(value: Any, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FundsError(f"{field}: harus bilangan bulat (must be a whole number)", field=field)
    if not low <= value <= high:
        raise FundsError(
            f"{field}: harus antara {low} dan {high} (must be between {low} and {high})", field=field
        )
    return value


def plan_create(
    *,
    actor: Any,
    aggregator: Organisation,
    aid_type: AidType,
    region: Region,
    quantity: Any = None,
    budget: Any = None,
    template: PackageTemplate | None = None,
    min_drop: Any = 1,
    kinds: str = Kinds.BOTH,
) -> AllocationPlan:
    """Preview a fair split (see planner.py) of a stock — ``quantity`` packages, or
    ``budget // template.unit_cost`` — over the unmet need of ``aid_type`` in ``region``.
    With a template the plan is paid from the balance when committed."""
    _check_aggregator(aggregator)
    if kinds not in Kinds.values:
        raise FundsError(f"kinds: {kinds!r} harus rw, institutions atau both", field="kinds")
    min_drop = _int_option(min_drop, "min_drop", low=1, high=MIN_DROP_MAX)
    if (quantity is None) == (budget is None):
        raise FundsError(
            "quantity/budget: isi salah satu, jumlah paket atau anggaran (give either quantity or budget)",
            field="quantity",
        )
    if template is not None:
        _template_for(aggregator, template, aid_type.pk)
    if budget is not None:
        if template is None:
            raise FundsError(
                "template: anggaran memerlukan paket (a budget needs a template)", field="template"
            )
        budget = _whole_rupiah(budget, "budget", cap=DONATION_MAX)
        stock = budget // template.unit_cost
        if stock == 0:
            raise FundsError(
                f"budget: Rp{budget:,} tidak cukup untuk satu paket Rp{template.unit_cost:,} "
                f"(the budget buys nothing)".replace(",", "."),
                field="budget",
            )
    else:
        stock = _int_option(quantity, "quantity", low=1, high=PLAN_STOCK_MAX)
    if template is not None:
        balance = ledger_accounts(aggregator)[AccountKind.CASH].balance
        if stock * template.unit_cost > balance:
            raise InsufficientFunds(stock * template.unit_cost, balance)
    needs = plan_needs(aid_type=aid_type, region=region, kinds=kinds)
    if len(needs) == 0:
        raise FundsConflict(
            f"region: tidak ada kebutuhan {aid_type.slug} yang belum terpenuhi di {region.code} "
            "(no unmet need in this area)",
            field="region",
        )
    split = plan_allocation(needs[:, :3], stock, min_drop)
    if not split:
        raise FundsConflict(
            "min_drop: tidak ada sasaran yang dapat menerima (no target can receive this drop)"
        )
    # The target of each need that receives something, from the rows already read.
    by_id = np.argsort(needs[:, 0])
    at = by_id[np.searchsorted(needs[by_id, 0], [n for n, _q in split])]
    target_of = dict(zip(needs[at, 0].tolist(), needs[at, 3].tolist(), strict=True))
    with transaction.atomic():
        plan = AllocationPlan.objects.create(
            aggregator=aggregator,
            aid_type=aid_type,
            region=region,
            kinds=kinds,
            min_drop=min_drop,
            stock=stock,
            budget=budget,
            template=template,
            total=sum(q for _n, q in split),
            created_by=_user(actor),
        )
        AllocationLine.objects.bulk_create(
            AllocationLine(plan=plan, need_id=need_id, target_id=target_of[need_id], quantity=q)
            for need_id, q in split
        )
        audit_record(
            actor=actor,
            action="allocation_plan.create",
            obj=plan,
            after=plan_snapshot(plan),
            organisation=aggregator,
        )
    return plan


def plan_replan(*, actor: Any, plan: AllocationPlan) -> AllocationPlan:
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
        )
        if AllocationPlan.objects.filter(pk=plan.pk, status=PlanStatus.PREVIEW).update(
            status=PlanStatus.SUPERSEDED
        ):
            audit_record(
                actor=actor,
                action="allocation_plan.supersede",
                obj=plan,
                before={"status": PlanStatus.PREVIEW},
                after={"status": PlanStatus.SUPERSEDED, "replaced_by": new.pk},
                organisation=plan.aggregator,
            )
    return new


def plan_commit(
    *,
    actor: Any,
    plan: AllocationPlan,
    planned_delivery: dt.date | None = None,
    today: dt.date | None = None,
) -> list[Pledge]:
    """Create every pledge of the plan at once (all or nothing, PlanConflict naming what
    no longer fits) and, for a funded plan, pay them from the balance in the same
    transaction."""
    _check_aggregator(plan.aggregator)
    # The default stays within the planning horizon however short it is set.
    days = min(DEFAULT_DELIVERY_DAYS, settings.PLEDGE_HORIZON_DAYS)
    planned_delivery = planned_delivery or _today(today) + dt.timedelta(days=days)
    lines = list(plan.lines.select_related("need").order_by("id"))
    with transaction.atomic():
        if not AllocationPlan.objects.filter(pk=plan.pk, status=PlanStatus.PREVIEW).update(
            status=PlanStatus.COMMITTED, committed_at=timezone.now(), planned_delivery=planned_delivery
        ):
            raise FundsConflict(
                f"rencana sudah {plan.status} (the plan is already {plan.status})", field="status"
            )
        pledges = pledges_create_many(
            actor=actor,
            organisation=plan.aggregator,
            items=[(line.need, line.quantity) for line in lines],
            planned_delivery=planned_delivery,
            funded=plan.template is not None,
            today=today,
        )
        for line, pledge in zip(lines, pledges, strict=True):
            line.pledge = pledge
        AllocationLine.objects.bulk_update(lines, ["pledge"])
        if plan.template is not None:
            _allocate(
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
            action="allocation_plan.commit",
            obj=plan,
            before=before,
            after=plan_snapshot(plan) | {"pledges": [p.pk for p in pledges]},
            organisation=plan.aggregator,
        )
    return pledges


def pledge_funding_release(*, actor: Any, pledge: Pledge) -> int:
    """Give back to the balance the cost of the units ``pledge`` released. Idempotent:
    the refund is what the pledge paid minus what its still-held units cost."""
    with transaction.atomic():
        rows = list(PledgeFunding.objects.filter(pledge=pledge).order_by("-id"))
        if not rows:
            return 0
        unit_cost = sum(f.amount for f in rows) // pledge.quantity
        keep = (pledge.quantity - pledge.released) * unit_cost
        refund = sum(f.net for f in rows) - keep
        if refund <= 0:
            return 0
        aggregator = rows[0].transaction.aggregator
        tx = ledger_post(
            actor=actor,
            aggregator=aggregator,
            memo=f"pengembalian komitmen #{pledge.pk}",
            legs=[(AccountKind.CASH, refund), (AccountKind.ALLOCATED, -refund)],
        )
        left = refund
        for f in rows:
            take = min(left, f.net)
            if take <= 0:
                continue
            PledgeFunding.objects.filter(pk=f.pk).update(refunded=F("refunded") + take)
            if not Donation.objects.filter(pk=f.donation_id, allocated__gte=take).update(
                allocated=F("allocated") - take
            ):
                raise FundsError("pengembalian dana bentrok (refund conflict)")
            left -= take
            if left == 0:
                break
        audit_record(
            actor=actor,
            action="pledge.refund",
            obj=pledge,
            after={"refund": refund, "unit_cost": unit_cost, "ledger_tx": tx.pk},
            organisation=aggregator,
        )
    return refund
