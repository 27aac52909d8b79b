from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PledgeStatus(models.TextChoices):
    COMMITTED = "committed", _("Komitmen")
    DELIVERED = "delivered", _("Tersalurkan")
    CONFIRMED = "confirmed", _("Terkonfirmasi")
    CANCELLED = "cancelled", _("Dibatalkan")
    EXPIRED = "expired", _("Kedaluwarsa")


LIVE_STATUSES = [PledgeStatus.COMMITTED, PledgeStatus.DELIVERED, PledgeStatus.CONFIRMED]


class Progress(models.TextChoices):
    """A pledge's progress as shown everywhere (pages and the API's ``progress``)."""

    # "Komitmen" alone read as a noun, not a state: say what is still to happen.
    COMMITTED = "committed", _("Belum disalurkan")
    PARTLY_DELIVERED = "partly_delivered", _("Tersalurkan sebagian")
    DELIVERED = "delivered", _("Tersalurkan")
    PARTLY_CONFIRMED = "partly_confirmed", _("Terkonfirmasi sebagian")
    CONFIRMED = "confirmed", _("Terkonfirmasi")
    DISPUTED = "disputed", _("Dipersoalkan")
    CANCELLED = "cancelled", _("Dibatalkan")
    EXPIRED = "expired", _("Kedaluwarsa")


class Review(models.TextChoices):
    """Where the receiving side's review of one delivery stands."""

    PENDING = "pending", _("Menunggu konfirmasi")
    PARTIAL = "partial", _("Terkonfirmasi sebagian")
    CONFIRMED = "confirmed", _("Terkonfirmasi")
    DISPUTED = "disputed", _("Dipersoalkan")


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
    # Delivered units under an open dispute: the sum over its deliveries in review
    # "disputed" of what they have not had confirmed (kept by pledges.services).
    disputed = models.PositiveIntegerField(default=0, db_default=0)
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
        verbose_name = pgettext_lazy("model", "komitmen")
        verbose_name_plural = pgettext_lazy("model jamak", "komitmen")
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
            models.CheckConstraint(
                condition=Q(disputed__lte=F("delivered") - F("confirmed")),
                name="pledge_disputed_le_unconfirmed",
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

    @property
    def awaiting(self) -> int:
        """Delivered units not confirmed yet (disputed ones included)."""
        return self.delivered - self.confirmed

    @property
    def frozen(self) -> bool:
        """Its campaign is closed: nothing more is delivered, confirmed, disputed or
        cancelled (``Need.accepting`` is "the campaign is open"; select the need with the
        pledge where a list shows this)."""
        return not self.need.accepting

    def progress(self) -> str:
        """The finer status shown everywhere (``progress_of``); ``status`` keeps its meaning."""
        return progress_of(
            held=self.held,
            delivered=self.delivered,
            confirmed=self.confirmed,
            disputed=self.disputed,
            status=self.status,
        )

    def progress_label(self) -> str:
        return progress_label(
            self.progress(), held=self.held, delivered=self.delivered, confirmed=self.confirmed
        )

    def progress_labels(self) -> list[tuple[str, str]]:
        """Every state shown at once: an open dispute beside what is confirmed (``progress_labels``)."""
        return progress_labels(
            held=self.held,
            delivered=self.delivered,
            confirmed=self.confirmed,
            disputed=self.disputed,
            status=self.status,
        )


def progress_of(*, held: int, delivered: int, confirmed: int, disputed: int = 0, status: str = "") -> str:
    """What a pledge's (or a sum of pledges') counters say, as a ``Progress``: an open
    dispute first, then a pledge that ended, then how much of what it holds is
    confirmed, then how much is delivered."""
    if disputed:
        return Progress.DISPUTED
    if status in (PledgeStatus.CANCELLED, PledgeStatus.EXPIRED):
        return str(status)
    if delivered == 0:
        return Progress.COMMITTED
    if confirmed >= held:
        return Progress.CONFIRMED
    if confirmed:
        return Progress.PARTLY_CONFIRMED
    if delivered >= held:
        return Progress.DELIVERED
    return Progress.PARTLY_DELIVERED


def progress_label(progress: str, *, held: int, delivered: int, confirmed: int) -> str:
    """The status as a person reads it, with the counts where only a part is done:
    "Tersalurkan sebagian (300/600)", "Terkonfirmasi sebagian (300/600)"."""
    label = Progress(progress).label
    if progress == Progress.PARTLY_DELIVERED:
        done = delivered
    elif progress == Progress.PARTLY_CONFIRMED:
        done = confirmed
    else:
        return str(label)
    return str(
        _("%(label)s (%(done)s/%(of)s)")
        % {
            "label": label,
            "done": formats.number_format(done, force_grouping=True),
            "of": formats.number_format(held, force_grouping=True),
        }
    )


def progress_labels(
    *, held: int, delivered: int, confirmed: int, disputed: int = 0, status: str = ""
) -> list[tuple[str, str]]:
    """Every state shown at once, as ``(progress, label)`` pairs: an open dispute is shown
    beside what was already delivered or confirmed, never instead of it — "Terkonfirmasi
    sebagian (30/60)" and "Dipersoalkan". Without a dispute, the one ``progress_of``."""
    progress = progress_of(held=held, delivered=delivered, confirmed=confirmed, status=status)
    shown = [(progress, progress_label(progress, held=held, delivered=delivered, confirmed=confirmed))]
    if disputed:
        shown.append((str(Progress.DISPUTED), str(Progress.DISPUTED.label)))
    return shown


class Delivery(models.Model):
    """Units handed over once, with their photo, and the receiving side's review of
    them: ``confirmed`` of ``quantity`` units confirmed so far, ``review`` where that
    stands. A pledge's ``confirmed`` is the sum of its deliveries' ``confirmed``."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="deliveries")
    quantity = models.PositiveIntegerField()
    delivered_on = models.DateField()
    evidence = models.ImageField(upload_to="evidence/%Y/%m/", blank=True)
    # A small copy of the photo made when it was re-encoded, for lists on phones.
    evidence_thumb = models.ImageField(upload_to="evidence/thumbs/%Y/%m/", blank=True)
    # When the photos of this delivery (and of the answers to its dispute) were removed at
    # the end of their retention (pledges.retention); empty while they are kept.
    evidence_removed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed = models.PositiveIntegerField(default=0, db_default=0)
    review = models.CharField(
        max_length=10, choices=Review.choices, default=Review.PENDING, db_default=Review.PENDING
    )
    # The reviewer's words: why fewer were confirmed, or what is disputed.
    confirm_note = models.CharField(max_length=500, blank=True, default="", db_default="")
    dispute_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "penyaluran")
        verbose_name_plural = pgettext_lazy("model jamak", "penyaluran")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_quantity_positive"),
            models.CheckConstraint(
                condition=Q(review=Review.PENDING, confirmed=0)
                | Q(review=Review.PARTIAL, confirmed__gt=0, confirmed__lt=F("quantity"))
                | Q(review=Review.CONFIRMED, confirmed=F("quantity"))
                | Q(review=Review.DISPUTED, confirmed__lt=F("quantity")),
                name="delivery_review_matches_confirmed",
            ),
        ]
        indexes = [models.Index(fields=["review"], name="delivery_review_idx")]

    def __str__(self) -> str:
        return f"Delivery #{self.pk} of pledge #{self.pledge_id}: {self.quantity}"

    @property
    def awaiting(self) -> int:
        return self.quantity - self.confirmed

    @property
    def thumbnail_url(self) -> str:
        """The small copy, or the (already re-encoded, size-capped) photo itself for a
        delivery recorded before small copies were made."""
        if self.evidence_thumb:
            return str(self.evidence_thumb.url)
        return str(self.evidence.url) if self.evidence else ""


class DisputeAnswer(models.Model):
    """The delivering organisation's answer to a dispute about one of its deliveries: a
    note, a further photo, or both. The dispute stays open until the receiving side
    confirms."""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="answers")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=1000, blank=True)
    evidence = models.ImageField(upload_to="evidence/%Y/%m/", blank=True)
    evidence_thumb = models.ImageField(upload_to="evidence/thumbs/%Y/%m/", blank=True)
    evidence_removed = models.BooleanField(default=False, db_default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "jawaban atas persoalan")
        verbose_name_plural = pgettext_lazy("model jamak", "jawaban atas persoalan")
        ordering = ["created_at", "pk"]
        constraints = [
            # A photo-only answer keeps its row when the photo is removed at the end of
            # its retention (its delivery's evidence_removed_on says when).
            models.CheckConstraint(
                condition=~Q(note="") | ~Q(evidence="") | Q(evidence_removed=True),
                name="answer_note_or_evidence",
            ),
        ]

    def __str__(self) -> str:
        return f"Answer #{self.pk} on delivery #{self.delivery_id}"

    @property
    def thumbnail_url(self) -> str:
        if self.evidence_thumb:
            return str(self.evidence_thumb.url)
        return str(self.evidence.url) if self.evidence else ""


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
        verbose_name = pgettext_lazy("model", "kunci idempotensi API")
        verbose_name_plural = pgettext_lazy("model jamak", "kunci idempotensi API")
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
        verbose_name = pgettext_lazy("model", "unit dipegang organisasi")
        verbose_name_plural = pgettext_lazy("model jamak", "unit dipegang organisasi")
        constraints = [models.CheckConstraint(condition=Q(held__lte=F("limit")), name="hold_within_limit")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.held}/{self.limit}"
