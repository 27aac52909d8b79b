from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PledgeStatus(models.TextChoices):
    COMMITTED = "committed", _("Komitmen")
    DELIVERED = "delivered", _("Tersalurkan")
    CONFIRMED = "confirmed", _("Terkonfirmasi")
    CANCELLED = "cancelled", _("Dibatalkan")
    EXPIRED = "expired", _("Kedaluwarsa")


LIVE_STATUSES = [PledgeStatus.COMMITTED, PledgeStatus.DELIVERED, PledgeStatus.CONFIRMED]


class Pledge(models.Model):
    """An organisation reserves ``quantity`` units of one need. Units it holds on the
    need are ``quantity - released``; ``released`` is the undelivered remainder given
    back on cancellation or expiry."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="pledges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    need = models.ForeignKey("targets.Need", on_delete=models.PROTECT, related_name="pledges")
    # Copied from the need for listing and stats without a join.
    target = models.ForeignKey("targets.Target", on_delete=models.PROTECT, related_name="pledges")
    aid_type = models.ForeignKey("targets.AidType", on_delete=models.PROTECT, related_name="pledges")
    quantity = models.PositiveIntegerField()
    delivered = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    released = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=PledgeStatus.choices, default=PledgeStatus.COMMITTED)
    planned_delivery = models.DateField()
    # Private contact of the person delivering: never shown publicly or exported
    # (docs/architecture.md, invariant 7).
    contact_name = models.CharField(max_length=120, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Whether its undelivered units count toward the organisation's hold limit: every
    # pledge but an aggregator's pledge paid from its balance (money bounds those).
    # A database default, so rows loaded without this column (COPY) count.
    capped = models.BooleanField(default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pledge_quantity_positive"),
            models.CheckConstraint(
                condition=Q(delivered__lte=F("quantity")), name="pledge_delivered_le_quantity"
            ),
            models.CheckConstraint(
                condition=Q(confirmed__lte=F("delivered")), name="pledge_confirmed_le_delivered"
            ),
            models.CheckConstraint(
                condition=Q(released__lte=F("quantity") - F("delivered")),
                name="pledge_released_le_undelivered",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["status", "planned_delivery"]),
            models.Index(fields=["target", "status"]),
        ]

    def __str__(self) -> str:
        return f"Pledge #{self.pk} {self.quantity} {self.aid_type_id} → {self.target_id}"

    @property
    def undelivered(self) -> int:
        """Units still held and not yet delivered."""
        return self.quantity - self.released - self.delivered

    def live_status(self) -> str:
        """The status a live pledge has by its counters: committed until something is
        delivered, confirmed once everything delivered is confirmed and nothing is left
        to deliver, delivered in between."""
        if self.delivered == 0:
            return PledgeStatus.COMMITTED
        if self.confirmed == self.delivered and self.delivered + self.released == self.quantity:
            return PledgeStatus.CONFIRMED
        return PledgeStatus.DELIVERED

    @property
    def held(self) -> int:
        return self.quantity - self.released


class Delivery(models.Model):
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="deliveries")
    quantity = models.PositiveIntegerField()
    delivered_on = models.DateField()
    evidence = models.ImageField(upload_to="evidence/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_quantity_positive")]

    def __str__(self) -> str:
        return f"Delivery #{self.pk} of pledge #{self.pledge_id}: {self.quantity}"


class IdempotencyKey(models.Model):
    """The first successful answer to a ``POST /api/v1/pledges`` carrying an
    ``Idempotency-Key`` header, so a client retrying after a lost response gets the same
    pledge back instead of a second one. Keys are per organisation; ``request_hash``
    detects the same key reused with another body (answered 422)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    pledge = models.ForeignKey(Pledge, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="idempotency_key_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.key}"


class OrganisationHold(models.Model):
    """Running count of the undelivered units an organisation holds through its capped
    pledges — the row every pledge of the organisation updates, so concurrent pledges
    of one organisation queue on it and its limit cannot be outrun.

    ``limit`` is the organisation's limit as of its last pledge; the CHECK makes the
    database itself refuse a pledge that would go past it. ``suspended`` mirrors the
    organisation's suspension here, where a pledge in flight is certain to see it."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, primary_key=True, related_name="hold"
    )
    held = models.PositiveIntegerField(default=0)
    limit = models.PositiveIntegerField(default=0)
    suspended = models.BooleanField(default=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(held__lte=F("limit")), name="hold_within_limit")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.held}/{self.limit}"
