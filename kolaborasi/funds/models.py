"""Money given through aggregators (docs/architecture.md, invariant 5: the ledger balances).

Donations are recorded by donors and confirmed (or rejected) by the aggregator. Only a
confirmed donation touches the ledger. The ledger is double-entry: every
``LedgerTransaction`` has entries whose signed amounts sum to zero. Each aggregator has
three accounts:

- ``cash``          – money the aggregator holds and may still spend (debit-positive);
                      never negative (DB check + conditional UPDATE on its balance row);
- ``contributions`` – what donors gave (credit side, so it is negative or zero);
- ``allocated``     – money spent on pledges (debit-positive).

So ``cash = confirmed - allocated`` and ``-contributions = confirmed``. The cached
``balance`` of each account equals the sum of its entries (``ledger_verify`` recomputes).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Largest single donation accepted: Rp100.000.000.000 (one hundred billion rupiah).
# Larger sums are almost certainly typos (extra zeros); split them if they are real.
DONATION_MAX = 100_000_000_000
# A package never costs more than Rp100.000.000 (a typo guard for templates).
UNIT_COST_MAX = 100_000_000


class DonationStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu konfirmasi")
    CONFIRMED = "confirmed", _("Dikonfirmasi")
    REJECTED = "rejected", _("Ditolak")


class Channel(models.TextChoices):
    TRANSFER = "transfer", _("Transfer bank")
    QRIS = "qris", _("QRIS / dompet digital")
    CASH = "cash", _("Tunai")
    OTHER = "other", _("Lainnya")


def may_pay_for(campaign_id: int | None) -> Q:
    """The donations whose money may pay for a pledge in campaign ``campaign_id``: the
    general ones, and those earmarked for that campaign — never another campaign's."""
    return Q(campaign__isnull=True) | Q(campaign_id=campaign_id)


class Donation(models.Model):
    donor = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="donations_given"
    )
    aggregator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="donations_received"
    )
    amount = models.BigIntegerField()
    # Part of the amount already paid out to pledges (FIFO attribution, see services).
    allocated = models.BigIntegerField(default=0)
    donated_on = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.TRANSFER)
    reference = models.CharField(max_length=120, blank=True)
    public = models.BooleanField(default=False)
    # Earmarked for one campaign (open when the donation was recorded), or general (null).
    # Earmarked money pays only for that campaign's pledges (``may_pay_for``).
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    status = models.CharField(max_length=10, choices=DonationStatus.choices, default=DonationStatus.PENDING)
    reject_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "donasi")
        verbose_name_plural = pgettext_lazy("model jamak", "donasi")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, amount__lte=DONATION_MAX), name="donation_amount_range"
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0, allocated__lte=F("amount")), name="donation_allocated_le_amount"
            ),
            models.CheckConstraint(
                condition=Q(allocated=0) | Q(status="confirmed"), name="donation_allocated_only_confirmed"
            ),
        ]
        indexes = [
            models.Index(fields=["aggregator", "status", "decided_at"]),
            models.Index(fields=["donated_on"]),
        ]

    def __str__(self) -> str:
        return f"Donation #{self.pk} {self.amount} → {self.aggregator_id} ({self.status})"

    @property
    def unspent(self) -> int:
        return self.amount - self.allocated


class AccountKind(models.TextChoices):
    CASH = "cash", _("Kas agregator")
    CONTRIBUTIONS = "contributions", _("Donasi diterima")
    ALLOCATED = "allocated", _("Dialokasikan ke komitmen")


class LedgerAccount(models.Model):
    aggregator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    kind = models.CharField(max_length=14, choices=AccountKind.choices)
    # Cached sum of the entries, moved only with F() updates inside the posting
    # transaction; the cash row is the serialisation point for spending.
    balance = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = pgettext_lazy("model", "akun buku besar")
        verbose_name_plural = pgettext_lazy("model jamak", "akun buku besar")
        constraints = [
            models.UniqueConstraint(fields=["aggregator", "kind"], name="ledger_account_unique"),
            models.CheckConstraint(
                condition=~Q(kind="cash") | Q(balance__gte=0), name="ledger_cash_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.aggregator_id}:{self.kind} = {self.balance}"


class LedgerTransaction(models.Model):
    aggregator = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    memo = models.CharField(max_length=200)
    donation = models.ForeignKey(Donation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "transaksi buku besar")
        verbose_name_plural = pgettext_lazy("model jamak", "transaksi buku besar")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Tx #{self.pk} {self.memo}"


class LedgerEntry(models.Model):
    """One signed leg. Sum over a transaction is zero: enforced by ``ledger_post`` (the
    only writer) and re-checked by ``ledger_verify``; a cross-row sum cannot be a
    portable CHECK constraint, so the row-level rules are what the DB enforces."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()

    class Meta:
        verbose_name = pgettext_lazy("model", "entri buku besar")
        verbose_name_plural = pgettext_lazy("model jamak", "entri buku besar")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_nonzero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"


class PackageTemplate(models.Model):
    aggregator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="package_templates"
    )
    aid_type = models.ForeignKey("targets.AidType", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    contents = models.TextField()
    unit_cost = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "templat paket")
        verbose_name_plural = pgettext_lazy("model jamak", "templat paket")
        ordering = ["aid_type__sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["aggregator", "aid_type", "name"], name="package_template_unique"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gt=0, unit_cost__lte=UNIT_COST_MAX), name="package_template_cost_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit_cost})"


class PledgeFunding(models.Model):
    """Which donation paid how much of a pledge (attribution, FIFO; see services)."""

    pledge = models.ForeignKey("pledges.Pledge", on_delete=models.PROTECT, related_name="fundings")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="fundings")
    template = models.ForeignKey(
        PackageTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="fundings")
    amount = models.BigIntegerField()
    # Given back to the balance when the pledge released undelivered units (cancelled
    # or expired); the slice still paying for packages is ``amount - refunded``.
    refunded = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = pgettext_lazy("model", "pendanaan komitmen")
        verbose_name_plural = pgettext_lazy("model jamak", "pendanaan komitmen")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_funding_positive"),
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("amount")), name="pledge_funding_refund_range"
            ),
        ]

    def __str__(self) -> str:
        return f"pledge {self.pledge_id} ← donation {self.donation_id}: {self.amount}"

    @property
    def net(self) -> int:
        return self.amount - self.refunded


class Kinds(models.TextChoices):
    RW = "rw", _("RW")
    INSTITUTIONS = "institutions", _("Lembaga")
    BOTH = "both", _("RW dan lembaga")


class PlanStatus(models.TextChoices):
    PREVIEW = "preview", _("Pratinjau")
    COMMITTED = "committed", _("Disetujui")
    SUPERSEDED = "superseded", _("Diganti")


class AllocationPlan(models.Model):
    aggregator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="allocation_plans"
    )
    aid_type = models.ForeignKey("targets.AidType", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    # The one campaign whose needs the plan splits over (and whose needs its pledges go
    # to). Null on plans made before plans had a campaign.
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_plans"
    )
    kinds = models.CharField(max_length=12, choices=Kinds.choices, default=Kinds.BOTH)
    min_drop = models.PositiveIntegerField(default=1)
    stock = models.PositiveIntegerField()
    budget = models.BigIntegerField(null=True, blank=True)
    # With a template the plan is paid from the aggregator's balance on commit.
    template = models.ForeignKey(
        PackageTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.PREVIEW)
    planned_delivery = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "rencana alokasi")
        verbose_name_plural = pgettext_lazy("model jamak", "rencana alokasi")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gt=0), name="plan_stock_positive"),
            models.CheckConstraint(condition=Q(total__lte=F("stock")), name="plan_total_le_stock"),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.pk} {self.total}/{self.stock} {self.aid_type_id} in {self.region_id}"


class AllocationLine(models.Model):
    plan = models.ForeignKey(AllocationPlan, on_delete=models.CASCADE, related_name="lines")
    need = models.ForeignKey("targets.Need", on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey("targets.Target", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    # Why this line: the need and what live pledges held of it when the plan was made,
    # so the plan shows the coverage before and after it (the planner ranks by coverage,
    # targets.priority) even after the need or its pledges change. Null on lines planned
    # before these were recorded.
    need_quantity = models.PositiveIntegerField(null=True, blank=True)
    held_before = models.PositiveIntegerField(null=True, blank=True)
    pledge = models.ForeignKey(
        "pledges.Pledge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "baris rencana alokasi")
        verbose_name_plural = pgettext_lazy("model jamak", "baris rencana alokasi")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="plan_line_positive")]

    def __str__(self) -> str:
        return f"plan {self.plan_id}: {self.quantity} → need {self.need_id}"

    @property
    def coverage_before(self) -> float | None:
        """Share of the need held before this line (None: not recorded)."""
        if self.need_quantity is None or self.held_before is None or self.need_quantity == 0:
            return None
        return min(self.held_before / self.need_quantity, 1.0)

    @property
    def coverage_after(self) -> float | None:
        """Share of the need held once this line is pledged (None: not recorded)."""
        if self.need_quantity is None or self.held_before is None or self.need_quantity == 0:
            return None
        return min((self.held_before + self.quantity) / self.need_quantity, 1.0)
