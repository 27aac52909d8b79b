"""Every write on money: donations, the ledger, package templates, funded pledges and
refunds (allocation plans: plans.py). Each function is atomic and appends its audit event in the same
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
one is touched. A donation earmarked for a campaign pays only for that campaign's
pledges, and before any general money does (``models.may_pay_for``); a pledge the
general money and its campaign's money cannot cover is refused, whatever the balance.
Every slice is a ``PledgeFunding`` row (pledge, donation, amount), so
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

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot
from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.core.errors import Forbidden
from kolaborasi.core.text import CONTENTS_MAX_LENGTH, formula_refusal, unstorable_refusal
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledge_create
from kolaborasi.targets.models import AidType, Need

from .access import AGGREGATORS_ONLY, DONORS_ONLY, UNVERIFIED_AGGREGATOR, UNVERIFIED_RECEIVER
from .errors import EarmarkedElsewhere, FundsConflict, FundsError, InsufficientFunds, rupiah
from .models import (
    DONATION_MAX,
    UNIT_COST_MAX,
    AccountKind,
    Channel,
    Donation,
    DonationStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PackageTemplate,
    PledgeFunding,
    may_pay_for,
)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def whole_rupiah(value: Any, field: str, *, cap: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FundsError(_("Harus bilangan bulat rupiah."), field=field)
    if value <= 0:
        raise FundsError(_("Harus lebih dari 0."), field=field)
    if value > cap:
        raise FundsError(_("Melebihi batas %(cap)s.") % {"cap": rupiah(cap)}, field=field)
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
    actor: Actor,
    aggregator: Organisation,
    memo: str,
    legs: list[tuple[str, int]],
    donation: Donation | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction. ``legs`` are (account kind, signed amount)."""
    if not legs or any(amount == 0 for _kind, amount in legs):
        raise FundsError(_("Transaksi buku besar tanpa nilai."))
    if sum(amount for _kind, amount in legs) != 0:
        raise FundsError(_("Transaksi buku besar tidak seimbang."))
    with transaction.atomic():
        accounts = ledger_accounts(aggregator)
        tx = LedgerTransaction.objects.create(
            aggregator=aggregator, memo=memo[:200], donation=donation, created_by=acting_user(actor)
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


DONATION_FIELDS = ("donor", "aggregator", "amount", "donated_on", "channel", "reference", "public")


def donation_snapshot(donation: Donation) -> dict[str, Any]:
    state = snapshot(donation, (*DONATION_FIELDS, "status", "allocated"))
    # The earmark by its slug (stable, readable in the audit log); absent on a general
    # donation, so the snapshot of a donation without one keeps its earlier shape.
    if donation.campaign_id is not None:
        state["campaign"] = Campaign.objects.values_list("slug", flat=True).get(pk=donation.campaign_id)
    return state


def donation_campaign(slug: str | None) -> Campaign | None:
    """The open campaign a donation is earmarked for, by its slug, read under the
    campaign row's lock (a close queues behind it, so no donation is earmarked for a
    campaign that closed meanwhile); None for a general donation. An unknown, draft or
    closed campaign is refused, each with its reason."""
    slug = (slug or "").strip()
    if not slug:
        return None
    campaign = Campaign.objects.select_for_update().filter(slug=slug).first()
    if campaign is None:
        raise FundsError(_("Program %(slug)r tidak ada.") % {"slug": slug[:60]}, field="campaign")
    if campaign.status == CampaignStatus.DRAFT:
        raise FundsError(
            _("Program %(name)s belum dibuka; donasi belum dapat diperuntukkan baginya.")
            % {"name": campaign.name},
            field="campaign",
        )
    if campaign.status != CampaignStatus.OPEN:
        raise FundsError(
            _(
                "Program %(name)s sudah ditutup; donasi tidak dapat diperuntukkan lagi baginya. "
                "Pilih program yang masih berjalan, atau catat sebagai donasi umum."
            )
            % {"name": campaign.name},
            field="campaign",
        )
    return campaign


def donation_create(
    *,
    actor: Actor,
    donor: Organisation,
    aggregator: Organisation,
    amount: Any,
    donated_on: Any,
    channel: str = Channel.TRANSFER,
    reference: str = "",
    public: bool = False,
    campaign: str | None = None,
    today: dt.date | None = None,
) -> Donation:
    """A donor records money given to a verified aggregator; pending until confirmed.
    ``campaign``: the slug of an open campaign the money is earmarked for (else general)."""
    if donor.kind != OrgKind.DONOR:
        raise Forbidden(DONORS_ONLY)
    amount = whole_rupiah(amount, "amount", cap=DONATION_MAX)
    if aggregator.kind != OrgKind.AGGREGATOR:
        raise FundsError(_("Organisasi ini bukan agregator."), field="aggregator")
    if not aggregator.verified:
        raise FundsConflict(UNVERIFIED_AGGREGATOR, field="aggregator")
    if not isinstance(donated_on, dt.date):
        raise FundsError(_("Tanggal donasi wajib diisi."), field="donated_on")
    if donated_on > _today(today):
        raise FundsError(_("Tanggal %(date)s di masa depan.") % {"date": donated_on}, field="donated_on")
    if channel not in Channel.values:
        raise FundsError(_("Saluran %(channel)r tidak dikenal.") % {"channel": channel}, field="channel")
    reference = (reference or "").strip()
    if len(reference) > 120:
        raise FundsError(_("Maksimal 120 karakter."), field="reference")
    with transaction.atomic():
        earmark = donation_campaign(campaign)
        donation = Donation.objects.create(
            donor=donor,
            aggregator=aggregator,
            amount=amount,
            donated_on=donated_on,
            channel=channel,
            reference=reference,
            public=bool(public),
            campaign=earmark,
            created_by=acting_user(actor),
        )
        audit_record(
            actor=actor,
            action=AuditAction.DONATION_CREATED,
            obj=donation,
            after=donation_snapshot(donation),
            organisation=donor,
        )
    return donation


def _donation_decide(*, actor: Actor, donation: Donation, status: str, reason: str = "") -> Donation:
    before = donation_snapshot(donation)
    with transaction.atomic():
        if status == DonationStatus.CONFIRMED:
            # Only a verified aggregator takes money into its ledger; read under the
            # lock, so a verification withdrawn meanwhile is seen.
            aggregator = Organisation.objects.select_for_update().get(pk=donation.aggregator_id)
            if not aggregator.verified:
                raise Forbidden(UNVERIFIED_RECEIVER)
        # Only a pending donation can be decided, checked and changed in one statement.
        changed = Donation.objects.filter(pk=donation.pk, status=DonationStatus.PENDING).update(
            status=status,
            decided_by=acting_user(actor),
            decided_at=timezone.now(),
            reject_reason=reason[:300],
        )
        if not changed:
            current = Donation.objects.values_list("status", flat=True).get(pk=donation.pk)
            label = str(DonationStatus(current).label).lower()
            raise FundsConflict(_("Donasi ini sudah %(status)s.") % {"status": label}, field="status")
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
            action=AuditAction.DONATION_CONFIRMED
            if status == DonationStatus.CONFIRMED
            else AuditAction.DONATION_REJECTED,
            obj=donation,
            before=before,
            after=donation_snapshot(donation),
            organisation=donation.aggregator,
        )
    return donation


def donation_confirm(*, actor: Actor, donation: Donation) -> Donation:
    """The aggregator confirms it received the money: cash +amount, contributions -amount."""
    return _donation_decide(actor=actor, donation=donation, status=DonationStatus.CONFIRMED)


def donation_reject(*, actor: Actor, donation: Donation, reason: str = "") -> Donation:
    """The aggregator says the money never arrived; nothing reaches the ledger."""
    return _donation_decide(actor=actor, donation=donation, status=DonationStatus.REJECTED, reason=reason)


# --- package templates ------------------------------------------------------------


def check_aggregator(organisation: Organisation) -> None:
    if organisation.kind != OrgKind.AGGREGATOR:
        raise Forbidden(AGGREGATORS_ONLY)
    if not organisation.verified:
        raise Forbidden(UNVERIFIED_AGGREGATOR)


def template_snapshot(template: PackageTemplate) -> dict[str, Any]:
    return snapshot(template, ("aid_type", "name", "contents", "unit_cost"))


def template_save(
    *,
    actor: Actor,
    aggregator: Organisation,
    aid_type: AidType,
    name: str,
    contents: str,
    unit_cost: Any,
    template: PackageTemplate | None = None,
) -> PackageTemplate:
    """Create a package template, or change ``template`` (already fetched for this aggregator)."""
    check_aggregator(aggregator)
    name = (name or "").strip()
    contents = (contents or "").strip()
    if not name or len(name) > 120:
        raise FundsError(_("Wajib diisi, maksimal 120 karakter."), field="name")
    if problem := formula_refusal(name):
        raise FundsError(problem, field="name")
    if not contents:
        raise FundsError(_("Isi paket wajib diisi."), field="contents")
    if problem := unstorable_refusal(contents):
        raise FundsError(problem, field="contents")
    if len(contents) > CONTENTS_MAX_LENGTH:
        raise FundsError(_("maksimal %(max)s karakter.") % {"max": CONTENTS_MAX_LENGTH}, field="contents")
    unit_cost = whole_rupiah(unit_cost, "unit_cost", cap=UNIT_COST_MAX)
    clash = PackageTemplate.objects.filter(aggregator=aggregator, aid_type=aid_type, name=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise FundsError(_("Nama paket sudah dipakai."), field="name")
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
            action=AuditAction.PACKAGE_TEMPLATE_CREATED
            if before is None
            else AuditAction.PACKAGE_TEMPLATE_CHANGED,
            obj=template,
            before=before,
            after=template_snapshot(template),
            organisation=aggregator,
        )
    return template


# --- paying pledges from the balance ----------------------------------------------


def spendable(aggregator: Organisation, campaign_id: int | None) -> int:
    """Confirmed, unspent money of ``aggregator`` that may pay for a pledge in campaign
    ``campaign_id``: general donations and those earmarked for that campaign."""
    left = (
        Donation.objects.filter(aggregator=aggregator, status=DonationStatus.CONFIRMED)
        .filter(may_pay_for(campaign_id))
        .aggregate(s=Sum(F("amount") - F("allocated")))["s"]
    )
    return int(left or 0)


def check_can_pay(aggregator: Organisation, campaign: Campaign, needed: int) -> None:
    """Refuse, before anything is written, a spend of ``needed`` for ``campaign`` that
    the balance, or the money that may pay for that campaign, does not cover."""
    balance = ledger_accounts(aggregator)[AccountKind.CASH].balance
    if needed > balance:
        raise InsufficientFunds(needed, balance)
    available = spendable(aggregator, campaign.pk)
    if needed > available:
        raise EarmarkedElsewhere(needed, available, campaign.name)


def _pay(
    *,
    actor: Actor,
    aggregator: Organisation,
    campaign_id: int | None,
    costs: list[tuple[Pledge, int]],
    template: PackageTemplate,
    tx: LedgerTransaction,
) -> None:
    """Attribute ``costs`` (pledges of one campaign) to the donations that may pay for
    them: the campaign's earmarked money first, then general money, FIFO within each."""
    needed = sum(cost for _p, cost in costs)
    available = spendable(aggregator, campaign_id)
    if needed > available:
        name = Campaign.objects.values_list("name", flat=True).get(pk=campaign_id) if campaign_id else ""
        raise EarmarkedElsewhere(needed, available, name)
    donations = iter(
        Donation.objects.filter(
            aggregator=aggregator, status=DonationStatus.CONFIRMED, allocated__lt=F("amount")
        )
        .filter(may_pay_for(campaign_id))
        # Only this campaign's money and general money are left: earmarked (non-null) first.
        .order_by(F("campaign_id").asc(nulls_last=True), "decided_at", "id")
        .only("id", "amount", "allocated")
    )
    current: Donation | None = None
    for pledge, cost in costs:
        left = cost
        while left > 0:
            if current is None or current.amount - current.allocated == 0:
                # The sum above guarantees enough money; if the rows disagree with it,
                # refuse (and roll back) rather than guess.
                current = next(donations, None)
                if current is None:
                    raise FundsError(
                        _("Donasi tidak cukup untuk alokasi: buku besar dan donasi tidak cocok.")
                    )
            take = min(left, current.amount - current.allocated)
            updated = Donation.objects.filter(pk=current.pk, allocated__lte=F("amount") - take).update(
                allocated=F("allocated") + take
            )
            if not updated:  # cannot happen while the cash row is locked; refuse loudly
                raise FundsError(_("Alokasi donasi bentrok."))
            current.allocated += take
            PledgeFunding.objects.create(
                pledge=pledge, donation=current, template=template, transaction=tx, amount=take
            )
            left -= take
        audit_record(
            actor=actor,
            action=AuditAction.PLEDGE_FUNDED,
            obj=pledge,
            after={
                "template": template.pk,
                "unit_cost": template.unit_cost,
                "cost": cost,
                "ledger_tx": tx.pk,
            },
            organisation=aggregator,
        )


def allocate(
    *,
    actor: Actor,
    aggregator: Organisation,
    costs: list[tuple[Pledge, int]],
    template: PackageTemplate,
    memo: str,
) -> LedgerTransaction:
    """Pay ``costs`` (pledge, rupiah) from the balance and attribute them FIFO, each
    pledge from the money that may pay for its campaign."""
    total = sum(cost for _p, cost in costs)
    with transaction.atomic():
        # The conditional UPDATE on the cash row comes first: it is the serialisation
        # point, so the reads below see every earlier spend of this aggregator.
        tx = ledger_post(
            actor=actor,
            aggregator=aggregator,
            memo=memo,
            legs=[(AccountKind.CASH, -total), (AccountKind.ALLOCATED, total)],
        )
        campaign_of = dict(
            Need.objects.filter(pk__in={p.need_id for p, _c in costs}).values_list("pk", "campaign_id")
        )
        by_campaign: dict[int | None, list[tuple[Pledge, int]]] = {}
        for pledge, cost in costs:
            by_campaign.setdefault(campaign_of[pledge.need_id], []).append((pledge, cost))
        for campaign_id, group in by_campaign.items():
            _pay(
                actor=actor,
                aggregator=aggregator,
                campaign_id=campaign_id,
                costs=group,
                template=template,
                tx=tx,
            )
    return tx


def check_template(aggregator: Organisation, template: PackageTemplate, aid_type_id: int) -> None:
    if template.aggregator_id != aggregator.pk:
        raise FundsError(_("Paket ini bukan milik agregator ini."), field="template")
    if template.aid_type_id != aid_type_id:
        raise FundsError(_("Jenis bantuan paket berbeda dengan kebutuhan."), field="template")


def funded_pledge_create(
    *,
    actor: Actor,
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
    check_aggregator(aggregator)
    check_template(aggregator, template, need.aid_type_id)
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
        allocate(
            actor=actor,
            aggregator=aggregator,
            costs=[(pledge, pledge.quantity * template.unit_cost)],
            template=template,
            memo=f"komitmen #{pledge.pk} dari dana",
        )
    return pledge


def pledge_funding_release(*, actor: Actor, pledge: Pledge) -> int:
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
                raise FundsError(_("Pengembalian dana bentrok."))
            left -= take
            if left == 0:
                break
        audit_record(
            actor=actor,
            action=AuditAction.PLEDGE_REFUNDED,
            obj=pledge,
            after={"refund": refund, "unit_cost": unit_cost, "ledger_tx": tx.pk},
            organisation=aggregator,
        )
    return refund
