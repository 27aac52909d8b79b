"""Every write on pledges and deliveries. Each function is atomic and appends its audit
event in the same transaction (docs/decisions/0003-audit-chain.md).

Counters: ``Need.held`` / ``delivered`` / ``confirmed`` always equal the sums over the
need's pledges of ``quantity - released`` / ``delivered`` / ``confirmed`` (invariant 2);
:func:`kolaborasi.pledges.selectors.need_counters_recomputed` recomputes them.

Reservation (docs/architecture.md, invariant 1) is one conditional UPDATE on the need
row: the database checks and adds in one statement, so no two requests can both take
the last units, on SQLite and PostgreSQL, without SERIALIZABLE or a read-then-write
window.

Fair holds (the tiers in holds.py, the counting in hold_ledger.py): the organisation's
running count of undelivered units (``OrganisationHold``) is updated in the same
transaction as the need, after it, so locks are always taken pledge row → need row(s,
by id) → hold row → audit head and two writers cannot deadlock. Rows are locked
``no_key`` (and a pledge without the rows it is joined to), so the foreign-key checks of
other writers' new rows never wait on them. Concurrent pledges of one organisation queue
on its hold row, and the database refuses to count past its limit, so parallel requests
cannot outrun it.

The PostgreSQL one-statement pledge is in fastpath.py, the expiry sweep in expiry.py, the
refusals in errors.py and the audit snapshots in history.py.

Confirmations and disputes are in confirmation.py.

Changes to one pledge row
(delivery, confirmation, cancellation, expiry) lock that row first (``select_for_update``
on PostgreSQL; on SQLite every write transaction is IMMEDIATE, which serialises writers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from functools import wraps
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.campaigns.errors import CampaignClosed, CampaignFrozen
from kolaborasi.campaigns.models import CampaignStatus
from kolaborasi.core import metrics
from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.core.errors import AppError, Forbidden, Invalid
from kolaborasi.core.sql import Inserter
from kolaborasi.targets.models import Need

from .access import PLEDGING_KINDS
from .errors import (
    PLEDGERS_ONLY,
    HoldLimitExceeded,
    NeedExhausted,
    PlanConflict,
    PledgeError,
    PledgeStateConflict,
    suspended_message,
)
from .evidence import CleanImage, evidence_clean
from .fastpath import RESERVE, create_in_one_statement
from .history import audit, snapshot
from .hold_ledger import hold_for, hold_give, hold_refusal, hold_take, need_share_refusal
from .holds import hold_policy, latest_planned_delivery
from .models import LIVE_STATUSES, Delivery, Pledge, PledgeStatus

# Why pledges are refused, as /metrics counts them (kolaborasi_pledges_refused_total);
# "throttled" is counted by the pledge throttle (kolaborasi.core.throttle).
REFUSAL_REASONS = ("over_commit", "hold_limit", "campaign_closed", "forbidden", "invalid", "other")
for _reason in (*REFUSAL_REASONS, "throttled"):
    metrics.PLEDGES_REFUSED.labels(reason=_reason)  # present at 0 before the first


def _refusal_reason(exc: AppError) -> str:
    if isinstance(exc, NeedExhausted | PlanConflict):
        return "over_commit"  # fewer units left than asked
    if isinstance(exc, HoldLimitExceeded):
        return "hold_limit"
    if isinstance(exc, CampaignClosed):
        return "campaign_closed"
    if isinstance(exc, Forbidden):
        return "forbidden"  # not a pledger, or suspended
    if isinstance(exc, Invalid):
        return "invalid"
    return "other"


def _counted[**P, R](service: Callable[P, R]) -> Callable[P, R]:
    """Count what a creating service decides, in this one place: a refusal as it is
    raised, the pledges made once their transaction commits (a caller's rollback, e.g.
    a funded pledge whose payment failed, counts none)."""

    @wraps(service)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            made = service(*args, **kwargs)
        except AppError as exc:
            metrics.pledge_refused(_refusal_reason(exc))
            raise
        number = len(made) if isinstance(made, list) else 1
        transaction.on_commit(lambda: metrics.pledges_created(number))
        return made

    return counted


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _check_quantity(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise PledgeError(_("Jumlah harus bilangan bulat."), field="quantity")
    if quantity < 1:
        raise PledgeError(_("Jumlah harus minimal 1."), field="quantity")
    return quantity


def _check_pledger(organisation: Organisation) -> None:
    if organisation.kind not in PLEDGING_KINDS:
        raise Forbidden(PLEDGERS_ONLY)
    if organisation.suspended_at is not None:
        raise Forbidden(suspended_message(organisation))


def _check_planned(planned_delivery: Any, today: dt.date) -> dt.date:
    if not isinstance(planned_delivery, dt.date):
        raise PledgeError(_("Tanggal rencana penyaluran wajib diisi."), field="planned_delivery")
    if planned_delivery < today:
        raise PledgeError(
            _("Tanggal rencana penyaluran %(date)s sudah lewat.") % {"date": planned_delivery},
            field="planned_delivery",
        )
    latest = latest_planned_delivery(today)
    if planned_delivery > latest:
        raise PledgeError(
            _(
                "Tanggal rencana penyaluran paling lambat %(date)s (%(iso)s), %(days)s hari dari hari ini. "
                "Pilih tanggal yang lebih dekat."
            )
            % {
                "date": formats.date_format(latest, "j F Y"),
                "iso": latest.isoformat(),
                "days": settings.PLEDGE_HORIZON_DAYS,
            },
            field="planned_delivery",
        )
    return planned_delivery


def _reserve(need_id: int, quantity: int) -> bool:
    """Invariant 1: take ``quantity`` units if — and only if — they still fit, in one statement
    (prebuilt: the hottest statement of the platform)."""
    with connection.cursor() as cursor:
        cursor.execute(RESERVE, [quantity, need_id, quantity])
        return cursor.rowcount == 1


_insert_pledge = Inserter(Pledge)


def need_remaining(need_id: int) -> int:
    return int(Need.objects.filter(pk=need_id).values_list("remaining", flat=True).first() or 0)


_remaining = need_remaining


def _closed_refusal(need_id: int) -> CampaignClosed | None:
    """Why a need refused when it is its campaign that no longer takes pledges or
    deliveries (read after the refusal, off the hot path); None if it still does."""
    row = (
        Need.objects.filter(pk=need_id, accepting=False)
        .values("campaign__name", "campaign__slug", "campaign__status")
        .first()
    )
    if row is None:
        return None
    return CampaignClosed(row["campaign__name"], row["campaign__slug"], row["campaign__status"])


def _frozen_refusal(need_id: int) -> CampaignFrozen | None:
    """Why a pledge's held units may not be released: its campaign is closed, and a closed
    campaign's figures stay as they were at the close. None while it is open."""
    row = (
        Need.objects.filter(pk=need_id, accepting=False, campaign__status=CampaignStatus.CLOSED)
        .values("campaign__name", "campaign__slug")
        .first()
    )
    return CampaignFrozen(row["campaign__name"], row["campaign__slug"]) if row is not None else None


def _not_reserved(need_id: int) -> Exception:
    """The refusal of a reservation that did not fit: its campaign is closed, or the need
    has fewer units left than asked."""
    return _closed_refusal(need_id) or NeedExhausted(_remaining(need_id))


def _unreserve(need_id: int, quantity: int) -> None:
    """Give back a reservation made earlier in the same transaction (its lock is held)."""
    Need.objects.filter(pk=need_id).update(held=F("held") - quantity)


@_counted
def pledge_create(
    *,
    actor: Actor,
    organisation: Organisation,
    need: Need,
    quantity: int,
    planned_delivery: dt.date,
    contact_name: str = "",
    contact_phone: str = "",
    funded: bool = False,
    today: dt.date | None = None,
) -> Pledge:
    """Reserve ``quantity`` units of ``need`` for ``organisation``; NeedExhausted if they
    do not fit the remaining need at this moment, HoldLimitExceeded if the organisation
    would hold more than its tier allows. ``funded``: an aggregator pays for it from its
    balance (not counted toward its hold limit)."""
    _check_pledger(organisation)
    quantity = _check_quantity(quantity)
    planned_delivery = _check_planned(planned_delivery, _today(today))
    policy = hold_policy(organisation, funded=funded)
    pledge = _new_pledge(
        actor,
        organisation,
        need,
        quantity,
        planned_delivery,
        contact_name=contact_name,
        contact_phone=contact_phone,
        capped=policy.counted,
    )
    refusal: Exception | None = None
    one_statement = connection.vendor == "postgresql" and settings.PLEDGE_ONE_STATEMENT
    if one_statement and policy.counted and policy.need_share >= 100:
        try:
            # Past the limit the statement fails; inside a caller's transaction a
            # savepoint keeps that transaction usable.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                reserved = create_in_one_statement(actor, organisation, pledge, policy)
        except IntegrityError as exc:
            if "hold_within_limit" not in str(exc):
                raise
            pledge.pk = None
            raise _with_remaining(hold_refusal(organisation, policy), need.pk) from None
    else:
        # No savepoint when nested (the API's transaction, a funded pledge): two round
        # trips fewer. So nothing may fail inside the block: when the units do not fit,
        # what was written is undone by hand, the block ends normally and the refusal is
        # raised after it, leaving a caller's transaction usable.
        with transaction.atomic(savepoint=False):
            reserved = _reserve(need.pk, quantity)
            if reserved:
                refusal = hold_for(organisation, need.pk, quantity, policy)
                if refusal is None:
                    _insert_pledge(pledge)
                    audit(actor, organisation, AuditAction.PLEDGE_CREATED, pledge, None)
                else:
                    _unreserve(need.pk, quantity)
    if refusal is not None:
        raise _with_remaining(refusal, need.pk)
    if not reserved:
        raise _not_reserved(need.pk)
    return pledge


def _with_remaining(refusal: Exception, need_id: int) -> Exception:
    """A hold limit's refusal of one pledge also says what the need still has free."""
    if isinstance(refusal, HoldLimitExceeded):
        refusal.remaining = _remaining(need_id)
    return refusal


def _new_pledge(
    actor: Actor,
    organisation: Organisation,
    need: Need,
    quantity: int,
    planned_delivery: dt.date,
    *,
    contact_name: str = "",
    contact_phone: str = "",
    capped: bool = True,
) -> Pledge:
    """The pledge row (not saved yet) of a reservation that fitted."""
    return Pledge(
        organisation=organisation,
        created_by=acting_user(actor),
        need=need,
        target_id=need.target_id,
        aid_type_id=need.aid_type_id,
        quantity=quantity,
        planned_delivery=planned_delivery,
        contact_name=contact_name[:120],
        contact_phone=contact_phone[:40],
        capped=capped,
    )


@_counted
def pledges_create_many(
    *,
    actor: Actor,
    organisation: Organisation,
    items: list[tuple[Need, int]],
    planned_delivery: dt.date,
    funded: bool = False,
    today: dt.date | None = None,
) -> list[Pledge]:
    """All-or-nothing: every item is reserved or none is. PlanConflict lists every item
    that no longer fits (the need, the quantity asked, what remains); HoldLimitExceeded
    if the organisation would hold more than its tier allows."""
    _check_pledger(organisation)
    policy = hold_policy(organisation, funded=funded)
    planned_delivery = _check_planned(planned_delivery, _today(today))
    if not items:
        raise PledgeError(_("Rencana kosong."), field="items")
    for _need, quantity in items:
        _check_quantity(quantity)
    conflicts: list[tuple[Need, int, int]] = []
    pledges: list[Pledge] = []
    try:
        with transaction.atomic():
            # Locks in the order of every other writer — need rows, then the hold row,
            # then the audit chain's head — or a plan committed beside a pledge or a
            # delivery of the same organisation deadlocks. Needs are taken by id, so two
            # plans over the same needs queue instead of locking each other out.
            missing: list[tuple[int, Need, int, int]] = []
            for index, (need, quantity) in sorted(enumerate(items), key=lambda item: item[1][0].pk):
                if not _reserve(need.pk, quantity):
                    closed = _closed_refusal(need.pk)
                    if closed is not None:
                        raise closed
                    missing.append((index, need, quantity, _remaining(need.pk)))
            if missing:
                conflicts = [(need, quantity, left) for _i, need, quantity, left in sorted(missing)]
                raise PlanConflict(conflicts)
            # A refusal rolls the whole plan back.
            if not hold_take(organisation, sum(q for _n, q in items), policy):
                raise hold_refusal(organisation, policy)
            for need, quantity in items:
                pledge = _insert_pledge(
                    _new_pledge(actor, organisation, need, quantity, planned_delivery, capped=policy.counted)
                )
                audit(actor, organisation, AuditAction.PLEDGE_CREATED, pledge, None)
                pledges.append(pledge)
            for need, _quantity in items:
                refusal = need_share_refusal(organisation, need.pk, 0, policy)
                if refusal is not None:
                    raise refusal
    except PlanConflict:
        # The reservations of items that did fit were rolled back with the transaction;
        # report what remains now, after the rollback, for the items that did not.
        raise PlanConflict([(need, req, _remaining(need.pk)) for need, req, _ in conflicts]) from None
    return pledges


def locked_pledge(pledge: Pledge) -> Pledge:
    # Only the pledge row, and without its key: a plain FOR UPDATE over the join would
    # also lock the organisation's and target's rows, which every new pledge's foreign
    # keys share-lock at commit — a delivery would then deadlock with a pledge or plan
    # of the same organisation waiting on the hold row it holds.
    return (
        Pledge.objects.select_for_update(of=("self",), no_key=True)
        .select_related("target", "organisation")
        .get(pk=pledge.pk)
    )


def delivery_record(
    *,
    actor: Actor,
    organisation: Organisation | None,
    pledge: Pledge,
    quantity: int,
    delivered_on: dt.date,
    evidence: IO[bytes] | None = None,
    evidence_size: int | None = None,
    clean_evidence: CleanImage | None = None,
    today: dt.date | None = None,
) -> Delivery:
    """Record units handed over (partial deliveries allowed), with an optional photo:
    ``evidence`` as uploaded, or ``clean_evidence`` already checked and re-encoded by
    ``evidence_clean`` — what a caller inside a transaction passes, so the photo's
    processing never happens while the transaction holds its locks."""
    quantity = _check_quantity(quantity)
    if not isinstance(delivered_on, dt.date):
        raise PledgeError(_("Tanggal penyaluran wajib diisi."), field="delivered_on")
    if delivered_on > _today(today):
        raise PledgeError(
            _("Tanggal penyaluran %(date)s di masa depan.") % {"date": delivered_on},
            field="delivered_on",
        )
    clean = evidence_clean(evidence, size=evidence_size) if evidence is not None else clean_evidence
    stored_name = stored_thumb = ""
    try:
        with transaction.atomic():
            locked = locked_pledge(pledge)
            if locked.status not in LIVE_STATUSES:
                raise PledgeStateConflict(
                    _("Komitmen berstatus %(status)s, tidak dapat disalurkan.")
                    % {"status": locked.get_status_display()},
                    field="quantity",
                )
            left = locked.undelivered
            if quantity > left:
                raise PledgeStateConflict(
                    _("Jumlah %(quantity)s melebihi yang belum disalurkan (%(left)s).")
                    % {"quantity": quantity, "left": left},
                    field="quantity",
                )
            before = snapshot(locked)
            locked.delivered += quantity
            locked.status = locked.live_status()
            locked.save(update_fields=["delivered", "status", "updated_at"])
            # Only on a need of an open campaign: a closed campaign's figures stay as
            # they were (the same row a close flips, so the two cannot cross).
            if not Need.objects.filter(pk=locked.need_id, accepting=True).update(
                delivered=F("delivered") + quantity
            ):
                raise _closed_refusal(locked.need_id) or PledgeStateConflict(
                    _("Kebutuhan komitmen ini tidak ditemukan."), field="quantity"
                )
            hold_give(locked, quantity)
            delivery = Delivery(
                pledge=locked,
                quantity=quantity,
                delivered_on=delivered_on,
                created_by=acting_user(actor),
            )
            if clean is not None:
                delivery.evidence.save(clean.name, ContentFile(clean.content), save=False)
                stored_name = delivery.evidence.name or ""
                if clean.thumbnail:
                    delivery.evidence_thumb.save(
                        clean.name.rsplit(".", 1)[0] + ".jpg", ContentFile(clean.thumbnail), save=False
                    )
                    stored_thumb = delivery.evidence_thumb.name or ""
            delivery.save()
            audit(actor, organisation, AuditAction.PLEDGE_DELIVERED, locked, before)
            audit_record(
                actor=actor,
                action=AuditAction.DELIVERY_RECORDED,
                obj=delivery,
                after={
                    "pledge": locked.pk,
                    "quantity": quantity,
                    "delivered_on": delivered_on.isoformat(),
                    "evidence": stored_name,
                },
                organisation=organisation,
                actor_label="" if acting_user(actor) else f"token:{getattr(organisation, 'pk', '')}",
            )
    except BaseException:
        for name in (stored_name, stored_thumb):
            if name:
                default_storage.delete(name)
        raise
    pledge.refresh_from_db()
    return delivery


def release_undelivered(locked: Pledge, status: str) -> int:
    """Give the undelivered remainder back to the need (conditional, never below zero).
    ``CampaignFrozen`` when the need's campaign closed meanwhile."""
    units = locked.undelivered
    locked.released += units
    locked.status = status
    locked.save(update_fields=["released", "status", "updated_at"])
    if units:
        # Only while the need accepts: a campaign close flips the flag on the need's row
        # under that row's lock, so a release that comes second sees it and is refused
        # (and rolled back with the caller's transaction): a closed campaign's figures stay
        # as they were at the close.
        changed = Need.objects.filter(pk=locked.need_id, held__gte=units, accepting=True).update(
            held=F("held") - units
        )
        if changed != 1:
            frozen = _frozen_refusal(locked.need_id)
            if frozen is not None:
                raise frozen
            # Otherwise the counters drifted (invariant 2), which must never happen.
            raise RuntimeError(f"need {locked.need_id} holds fewer than {units} units")  # pragma: no cover
        hold_give(locked, units)
    return units


def pledge_cancel(*, actor: Actor, organisation: Organisation, pledge: Pledge) -> Pledge:
    """Cancel by the pledging organisation or an operator; releases what is undelivered.
    Delivered units stay delivered (and can still be confirmed)."""
    if organisation.pk != pledge.organisation_id and organisation.kind != OrgKind.OPERATOR:
        raise Forbidden(_("Hanya organisasi pemberi komitmen atau operator yang dapat membatalkan."))
    with transaction.atomic():
        locked = locked_pledge(pledge)
        if locked.status not in LIVE_STATUSES:
            raise PledgeStateConflict(
                _("Komitmen sudah %(status)s.") % {"status": locked.get_status_display()}
            )
        if locked.undelivered == 0:
            raise PledgeStateConflict(_("Semua unit sudah disalurkan, tidak ada yang dapat dibatalkan."))
        frozen = _frozen_refusal(locked.need_id)
        if frozen is not None:
            raise frozen
        before = snapshot(locked)
        release_undelivered(locked, PledgeStatus.CANCELLED)
        audit(actor, organisation, AuditAction.PLEDGE_CANCELLED, locked, before)
    return locked


def expiry_date(pledge: Pledge) -> dt.date:
    """First day on which the undelivered remainder is released."""
    return pledge.planned_delivery + dt.timedelta(days=settings.PLEDGE_GRACE_DAYS + 1)


def pledge_extend(
    *,
    actor: Actor,
    organisation: Organisation,
    pledge: Pledge,
    planned_delivery: dt.date,
    today: dt.date | None = None,
) -> Pledge:
    """The pledging organisation moves its planned delivery date, before expiry, while
    the pledge's campaign is open (a closed campaign's pledges are frozen)."""
    if organisation.pk != pledge.organisation_id:
        raise Forbidden(_("Hanya organisasi pemberi komitmen yang dapat memperpanjang."))
    now = _today(today)
    planned_delivery = _check_planned(planned_delivery, now)
    with transaction.atomic():
        locked = locked_pledge(pledge)
        if locked.status not in LIVE_STATUSES or locked.undelivered == 0:
            raise PledgeStateConflict(_("Komitmen ini tidak dapat diperpanjang."), field="planned_delivery")
        if expiry_date(locked) <= now:
            raise PledgeStateConflict(_("Komitmen sudah kedaluwarsa."), field="planned_delivery")
        frozen = _frozen_refusal(locked.need_id)
        if frozen is not None:
            raise frozen
        before = snapshot(locked)
        locked.planned_delivery = planned_delivery
        locked.reminded_at = None
        locked.save(update_fields=["planned_delivery", "reminded_at", "updated_at"])
        audit(actor, organisation, AuditAction.PLEDGE_EXTENDED, locked, before)
    return locked
