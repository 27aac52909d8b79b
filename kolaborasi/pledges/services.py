"""Every write on pledges and deliveries. Each function is atomic and appends its audit
event in the same transaction (docs/decisions/0003-audit-chain.md).

Counters: ``Need.held`` / ``delivered`` / ``confirmed`` always equal the sums over the
need's pledges of ``quantity - released`` / ``delivered`` / ``confirmed`` (invariant 2);
:func:`kolaborasi.pledges.selectors.need_counters_recomputed` recomputes them.

Reservation (docs/architecture.md, invariant 1) is one conditional UPDATE on the need
row: the database checks and adds in one statement, so no two requests can both take
the last units, on SQLite and PostgreSQL, without SERIALIZABLE or a read-then-write
window.

Fair holds (see holds.py): the organisation's running count of undelivered units
(``OrganisationHold``) is updated in the same transaction as the need, after it, so
locks are always taken pledge row → need row(s, by id) → hold row → audit head and two
writers cannot deadlock. Rows are locked ``no_key`` (and a pledge without the rows it is
joined to), so the foreign-key checks of other writers' new rows never wait on them.
Concurrent pledges of one organisation queue on its hold row, and the
database refuses to count past its limit, so parallel requests cannot outrun it.

Changes to one pledge row
(delivery, confirmation, cancellation, expiry) lock that row first (``select_for_update``
on PostgreSQL; on SQLite every write transaction is IMMEDIATE, which serialises writers).
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import Greatest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Membership, Organisation, OrgKind
from kolaborasi.audit.services import audit_event, audit_record, pg_link_done, pg_link_sql
from kolaborasi.core.mail import mail_queue
from kolaborasi.core.sql import Inserter, column, table
from kolaborasi.targets.models import Need

from .access import PLEDGING_KINDS, org_covers_target
from .evidence import CleanImage, evidence_clean
from .holds import SMALL, HoldPolicy, hold_policy, latest_planned_delivery
from .models import LIVE_STATUSES, Delivery, OrganisationHold, Pledge, PledgeStatus

logger = logging.getLogger(__name__)


class PledgeError(ValueError):
    """Bad input or a state that does not allow the change; nothing was changed.
    ``field`` names the input at fault when there is one."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PledgeStateConflict(PledgeError):
    """The request is well formed but the pledge's current state refuses it (cancelled,
    expired, already delivered, nothing awaiting confirmation): the API answers 409."""


class NeedExhausted(PledgeError):
    """The quantity does not fit the need's remaining units at this moment."""

    def __init__(self, remaining: int) -> None:
        super().__init__(
            f"jumlah melebihi sisa kebutuhan: tinggal {remaining} (quantity exceeds the remaining need: "
            f"{remaining} left)",
            field="quantity",
        )
        self.remaining = remaining


class HoldLimitExceeded(PledgeError):
    """The organisation would hold more undelivered units than its trust tier allows
    (``reason`` "total": in all; "need": of this one need). ``allowed`` is what it may
    still pledge (here, for "need")."""

    def __init__(self, *, reason: str, tier: str, limit: int, held: int, share: int = 0) -> None:
        self.reason, self.tier, self.limit, self.held = reason, tier, limit, held
        self.allowed = max(0, limit - held)
        values = {"limit": limit, "held": held, "allowed": self.allowed, "share": share}
        if reason == "need":
            message = (
                _(
                    "Satu organisasi boleh memegang paling banyak %(share)s%% dari kebutuhan ini, yaitu "
                    "%(limit)s paket yang belum tersalurkan. Organisasi Anda sudah memegang %(held)s, "
                    "jadi masih boleh berkomitmen %(allowed)s paket untuk kebutuhan ini."
                )
                % values
            )
        else:
            message = (
                _(
                    "Organisasi Anda boleh memegang paling banyak %(limit)s paket yang belum tersalurkan "
                    "dan sudah memegang %(held)s, jadi masih boleh berkomitmen %(allowed)s paket. "
                    "Catat penyaluran komitmen yang ada untuk membuka ruang."
                )
                % values
            )
            if tier == SMALL:
                message += " " + _(
                    "Donatur perorangan dan organisasi yang belum terverifikasi memiliki batas lebih kecil."
                )
        super().__init__(message, field="quantity")


def suspended_message(organisation: Organisation) -> str:
    return _(
        "Organisasi %(name)s sedang ditangguhkan oleh operator, sehingga tidak dapat membuat "
        "komitmen baru. Hubungi operator program untuk keterangan lebih lanjut."
    ) % {"name": organisation.name}


class PlanConflict(PledgeError):
    """Some items of a plan no longer fit; ``conflicts`` lists (need, requested, remaining)."""

    def __init__(self, conflicts: list[tuple[Need, int, int]]) -> None:
        parts = ", ".join(f"{need}: diminta {req}, sisa {rem}" for need, req, rem in conflicts)
        super().__init__(f"rencana tidak lagi muat (plan no longer fits): {parts}")
        self.conflicts = conflicts


def snapshot(pledge: Pledge) -> dict[str, Any]:
    return {
        "status": pledge.status,
        "quantity": pledge.quantity,
        "delivered": pledge.delivered,
        "confirmed": pledge.confirmed,
        "released": pledge.released,
        "planned_delivery": pledge.planned_delivery.isoformat() if pledge.planned_delivery else None,
        "need": pledge.need_id,
        "organisation": pledge.organisation_id,
    }


def _token_label(actor: Any, organisation: Organisation | None) -> str:
    """Who acted, when no user did: the organisation whose API token was used."""
    if not getattr(actor, "is_authenticated", False) and organisation is not None:
        return f"token:{organisation.pk}"
    return ""


def _audit(actor: Any, organisation: Organisation | None, action: str, pledge: Pledge, before: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=pledge,
        before=before,
        after=snapshot(pledge),
        organisation=organisation,
        actor_label=_token_label(actor, organisation),
    )


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _live_status(pledge: Pledge) -> str:
    if pledge.delivered == 0:
        return PledgeStatus.COMMITTED
    if pledge.confirmed == pledge.delivered and pledge.delivered + pledge.released == pledge.quantity:
        return PledgeStatus.CONFIRMED
    return PledgeStatus.DELIVERED


def undelivered(pledge: Pledge) -> int:
    return pledge.quantity - pledge.released - pledge.delivered


def _check_quantity(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise PledgeError("jumlah harus bilangan bulat (quantity must be a whole number)", field="quantity")
    if quantity < 1:
        raise PledgeError("jumlah harus minimal 1 (quantity must be at least 1)", field="quantity")
    return quantity


def _check_pledger(organisation: Organisation) -> None:
    if organisation.kind not in PLEDGING_KINDS:
        raise PermissionDenied(
            "hanya donatur atau agregator yang dapat berkomitmen (only donors and aggregators can pledge)"
        )
    if organisation.suspended_at is not None:
        raise PermissionDenied(suspended_message(organisation))


def _check_planned(planned_delivery: Any, today: dt.date) -> dt.date:
    if not isinstance(planned_delivery, dt.date):
        raise PledgeError(
            "tanggal rencana penyaluran wajib (planned delivery date required)", field="planned_delivery"
        )
    if planned_delivery < today:
        raise PledgeError(
            f"tanggal rencana penyaluran {planned_delivery} sudah lewat "
            "(planned delivery date is in the past)",
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
        cursor.execute(_RESERVE, [quantity, need_id, quantity])
        return cursor.rowcount == 1


_RESERVE = "UPDATE {need} SET {held} = {held} + %s WHERE {id} = %s AND {quantity} >= {held} + %s".format(  # noqa: S608
    need=table(Need), held=column(Need, "held"), id=column(Need, "id"), quantity=column(Need, "quantity")
)
_insert_pledge = Inserter(Pledge)
_PLEDGE_FIELDS = [f for f in Pledge._meta.concrete_fields if not f.primary_key]
_NEXT_PLEDGE_ID = (
    f"SELECT nextval(pg_get_serial_sequence('{Pledge._meta.db_table}', '{Pledge._meta.pk.column}'))"
)
# The hold row is counted only if the need had room (it selects from ``reserved``); a
# suspended organisation's limit becomes 0. Past the limit the CHECK hold_within_limit
# fails and the whole statement — reservation included — is undone.
_CREATE_PG = """WITH reserved AS (
    {reserve} RETURNING {id}
), held AS (
    INSERT INTO {hold} AS h ({org}, {held}, {limit}, {suspended}) SELECT %s, %s, %s, false FROM reserved
    ON CONFLICT ({org}) DO UPDATE SET {held} = h.{held} + EXCLUDED.{held},
        {limit} = CASE WHEN h.{suspended} THEN 0 ELSE EXCLUDED.{limit} END
    RETURNING {org}
), new_pledge AS (
    INSERT INTO {pledge} ({pk}, {columns}) SELECT %s, {params} FROM held RETURNING {pk}
), """.format(  # noqa: S608 (names only)
    reserve=_RESERVE,
    id=column(Need, "id"),
    hold=table(OrganisationHold),
    org=column(OrganisationHold, "organisation"),
    held=column(OrganisationHold, "held"),
    limit=column(OrganisationHold, "limit"),
    suspended=column(OrganisationHold, "suspended"),
    pledge=table(Pledge),
    pk=column(Pledge, "id"),
    columns=", ".join(connection.ops.quote_name(str(f.column)) for f in _PLEDGE_FIELDS),
    # Typed, so PostgreSQL does not read a NULL or a string in a SELECT list as text.
    params=", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in _PLEDGE_FIELDS),
)


def need_remaining(need_id: int) -> int:
    return int(Need.objects.filter(pk=need_id).values_list("remaining", flat=True).first() or 0)


_remaining = need_remaining


def _unreserve(need_id: int, quantity: int) -> None:
    """Give back a reservation made earlier in the same transaction (its lock is held)."""
    Need.objects.filter(pk=need_id).update(held=F("held") - quantity)


def _hold_take(organisation: Organisation, units: int, policy: HoldPolicy) -> bool:
    """Count ``units`` more on the organisation's hold row if it stays within the
    policy's limit and the organisation is not suspended (uncounted pledges add 0 but
    still take the row, so a suspension cannot slip past them). The row stays locked
    until the transaction ends."""
    rows = OrganisationHold.objects.filter(pk=organisation.pk, suspended=False)
    for _attempt in range(2):
        if policy.limit is not None:
            updated = rows.filter(held__lte=policy.limit - units).update(
                held=F("held") + units, limit=policy.limit
            )
        else:
            updated = rows.update(held=F("held"))
        if updated or OrganisationHold.objects.filter(pk=organisation.pk).exists():
            return bool(updated)
        # The organisation's first pledge: create its row (a concurrent first pledge may
        # have done so already) and try again.
        OrganisationHold.objects.bulk_create(
            [OrganisationHold(organisation_id=organisation.pk, held=0, limit=0)], ignore_conflicts=True
        )
    return False


def _hold_refusal(organisation: Organisation, policy: HoldPolicy) -> Exception:
    """Why ``_hold_take`` (or the one-statement path) refused: suspended, or the limit."""
    row = OrganisationHold.objects.filter(pk=organisation.pk).first()
    if row is not None and row.suspended:
        return PermissionDenied(suspended_message(organisation))
    return HoldLimitExceeded(
        reason="total", tier=policy.tier, limit=policy.limit or 0, held=row.held if row else 0
    )


def _hold_give(pledge: Pledge, units: int) -> None:
    """``units`` of a pledge are no longer undelivered (delivered or released)."""
    if pledge.capped and units:
        OrganisationHold.objects.filter(pk=pledge.organisation_id).update(held=Greatest(F("held") - units, 0))


def _need_share_refusal(
    organisation: Organisation, need_id: int, units: int, policy: HoldPolicy
) -> HoldLimitExceeded | None:
    """The organisation may hold only ``need_share`` percent of one need. Read after the
    need's row is locked (by the reservation) in a statement of its own, so every
    committed pledge on this need is seen and none can be added meanwhile."""
    if policy.need_share >= 100:
        return None
    quantity = Need.objects.filter(pk=need_id).values_list("quantity", flat=True).first() or 0
    limit = policy.need_limit(quantity) or 0
    held = (
        Pledge.objects.filter(
            organisation=organisation, need_id=need_id, status__in=LIVE_STATUSES, capped=True
        ).aggregate(units=Sum(F("quantity") - F("released") - F("delivered")))["units"]
        or 0
    )
    if held + units <= limit:
        return None
    return HoldLimitExceeded(reason="need", tier=policy.tier, limit=limit, held=held, share=policy.need_share)


def _hold_for(organisation: Organisation, need_id: int, units: int, policy: HoldPolicy) -> Exception | None:
    """Inside a transaction, after the need was reserved: count the hold, or say why not
    (and leave the hold row as it was)."""
    if not _hold_take(organisation, units, policy):
        return _hold_refusal(organisation, policy)
    refusal = _need_share_refusal(organisation, need_id, units, policy)
    if refusal is not None and policy.limit is not None:
        OrganisationHold.objects.filter(pk=organisation.pk).update(held=F("held") - units)
    return refusal


def pledge_create(
    *,
    actor: Any,
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
                reserved = _create_in_one_statement(actor, organisation, pledge, policy)
        except IntegrityError as exc:
            if "hold_within_limit" not in str(exc):
                raise
            pledge.pk = None
            raise _hold_refusal(organisation, policy) from None
    else:
        # No savepoint when nested (the API's transaction, a funded pledge): two round
        # trips fewer. So nothing may fail inside the block: when the units do not fit,
        # what was written is undone by hand, the block ends normally and the refusal is
        # raised after it, leaving a caller's transaction usable.
        with transaction.atomic(savepoint=False):
            reserved = _reserve(need.pk, quantity)
            if reserved:
                refusal = _hold_for(organisation, need.pk, quantity, policy)
                if refusal is None:
                    _insert_pledge(pledge)
                    _audit(actor, organisation, "pledge.create", pledge, None)
                else:
                    _unreserve(need.pk, quantity)
    if refusal is not None:
        raise refusal
    if not reserved:
        raise NeedExhausted(_remaining(need.pk))
    return pledge


def _new_pledge(
    actor: Any,
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
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        need=need,
        target_id=need.target_id,
        aid_type_id=need.aid_type_id,
        quantity=quantity,
        planned_delivery=planned_delivery,
        contact_name=contact_name[:120],
        contact_phone=contact_phone[:40],
        capped=capped,
    )


def _create_in_one_statement(
    actor: Any, organisation: Organisation, pledge: Pledge, policy: HoldPolicy
) -> bool:
    """PostgreSQL: reserve, insert the pledge and link its audit event in
    ONE statement — atomic by itself, so outside a transaction there is no BEGIN, no
    COMMIT and no round trip between them, and the need's row lock and the audit chain's
    lock are held only while PostgreSQL runs it. The pledge's id is drawn first so its
    audit event can be written (and hashed) before the statement. When the units do not
    fit, ``reserved`` yields no row and nothing at all is written. Same order of locks
    as the portable path (need, hold row, then chain head), so the two cannot deadlock."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_PLEDGE_ID)
        pledge.pk = cursor.fetchone()[0]
        values = [f.get_db_prep_save(f.pre_save(pledge, True), connection) for f in _PLEDGE_FIELDS]
        event = audit_event(
            actor=actor,
            action="pledge.create",
            obj=pledge,
            after=snapshot(pledge),
            organisation=organisation,
            actor_label=_token_label(actor, organisation),
        )
        link, link_params = pg_link_sql(event, only_if="new_pledge")
        cursor.execute(
            _CREATE_PG + link,
            [
                pledge.quantity,
                pledge.need_id,
                pledge.quantity,
                organisation.pk,
                pledge.quantity,
                policy.limit,
                pledge.pk,
                *values,
                *link_params,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    pledge._state.adding = False
    pg_link_done(event, row)
    return True


def pledges_create_many(
    *,
    actor: Any,
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
        raise PledgeError("rencana kosong (the plan has no items)", field="items")
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
                    missing.append((index, need, quantity, _remaining(need.pk)))
            if missing:
                conflicts = [(need, quantity, left) for _i, need, quantity, left in sorted(missing)]
                raise PlanConflict(conflicts)
            # A refusal rolls the whole plan back.
            if not _hold_take(organisation, sum(q for _n, q in items), policy):
                raise _hold_refusal(organisation, policy)
            for need, quantity in items:
                pledge = _insert_pledge(
                    _new_pledge(actor, organisation, need, quantity, planned_delivery, capped=policy.counted)
                )
                _audit(actor, organisation, "pledge.create", pledge, None)
                pledges.append(pledge)
            for need, _quantity in items:
                refusal = _need_share_refusal(organisation, need.pk, 0, policy)
                if refusal is not None:
                    raise refusal
    except PlanConflict:
        # The reservations of items that did fit were rolled back with the transaction;
        # report what remains now, after the rollback, for the items that did not.
        raise PlanConflict([(need, req, _remaining(need.pk)) for need, req, _ in conflicts]) from None
    return pledges


def _locked(pledge: Pledge) -> Pledge:
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
    actor: Any,
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
        raise PledgeError("tanggal penyaluran wajib (delivery date required)", field="delivered_on")
    if delivered_on > _today(today):
        raise PledgeError(
            f"tanggal penyaluran {delivered_on} di masa depan (delivery date is in the future)",
            field="delivered_on",
        )
    clean = evidence_clean(evidence, size=evidence_size) if evidence is not None else clean_evidence
    stored_name = ""
    try:
        with transaction.atomic():
            locked = _locked(pledge)
            if locked.status not in LIVE_STATUSES:
                raise PledgeStateConflict(
                    f"komitmen berstatus {locked.get_status_display()}, tidak dapat disalurkan "
                    f"(pledge is {locked.status}; no delivery possible)",
                    field="quantity",
                )
            left = undelivered(locked)
            if quantity > left:
                raise PledgeStateConflict(
                    f"jumlah {quantity} melebihi yang belum disalurkan ({left}) "
                    f"(quantity exceeds the undelivered {left})",
                    field="quantity",
                )
            before = snapshot(locked)
            locked.delivered += quantity
            locked.status = _live_status(locked)
            locked.save(update_fields=["delivered", "status", "updated_at"])
            Need.objects.filter(pk=locked.need_id).update(delivered=F("delivered") + quantity)
            _hold_give(locked, quantity)
            delivery = Delivery(
                pledge=locked,
                quantity=quantity,
                delivered_on=delivered_on,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            if clean is not None:
                delivery.evidence.save(clean.name, ContentFile(clean.content), save=False)
                stored_name = delivery.evidence.name or ""
            delivery.save()
            _audit(actor, organisation, "pledge.deliver", locked, before)
            audit_record(
                actor=actor,
                action="delivery.create",
                obj=delivery,
                after={
                    "pledge": locked.pk,
                    "quantity": quantity,
                    "delivered_on": delivered_on.isoformat(),
                    "evidence": stored_name,
                },
                organisation=organisation,
                actor_label=""
                if getattr(actor, "is_authenticated", False)
                else f"token:{getattr(organisation, 'pk', '')}",
            )
    except BaseException:
        if stored_name:
            default_storage.delete(stored_name)
        raise
    pledge.refresh_from_db()
    return delivery


def _is_member(actor: Any, organisation_id: int) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    return Membership.objects.filter(user=actor, organisation_id=organisation_id).exists()


def pledge_confirm(*, actor: Any, organisation: Organisation, pledge: Pledge) -> Pledge:
    """The receiving side confirms every delivered, not yet confirmed unit."""
    if organisation.pk == pledge.organisation_id or _is_member(actor, pledge.organisation_id):
        raise PermissionDenied(
            "organisasi penyalur tidak dapat mengonfirmasi penyalurannya sendiri "
            "(the delivering organisation cannot confirm its own delivery)"
        )
    if organisation.kind != OrgKind.OPERATOR and not org_covers_target(organisation, pledge.target):
        raise PermissionDenied(
            "hanya koordinator wilayah sasaran atau operator yang dapat mengonfirmasi "
            "(only the target's coordinator or an operator can confirm)"
        )
    with transaction.atomic():
        locked = _locked(pledge)
        units = locked.delivered - locked.confirmed
        if units <= 0:
            raise PledgeStateConflict(
                "tidak ada penyaluran yang menunggu konfirmasi (no delivery awaits confirmation)"
            )
        before = snapshot(locked)
        locked.confirmed = locked.delivered
        if locked.status in LIVE_STATUSES:
            locked.status = _live_status(locked)
        locked.save(update_fields=["confirmed", "status", "updated_at"])
        Need.objects.filter(pk=locked.need_id).update(confirmed=F("confirmed") + units)
        _audit(actor, organisation, "pledge.confirm", locked, before)
    return locked


def _release(locked: Pledge, status: str) -> int:
    """Give the undelivered remainder back to the need (conditional, never below zero)."""
    units = undelivered(locked)
    locked.released += units
    locked.status = status
    locked.save(update_fields=["released", "status", "updated_at"])
    if units:
        changed = Need.objects.filter(pk=locked.need_id, held__gte=units).update(held=F("held") - units)
        if changed != 1:  # pragma: no cover - would mean the counters drifted (invariant 2)
            raise RuntimeError(f"need {locked.need_id} holds fewer than {units} units")
        _hold_give(locked, units)
    return units


def pledge_cancel(*, actor: Any, organisation: Organisation, pledge: Pledge) -> Pledge:
    """Cancel by the pledging organisation or an operator; releases what is undelivered.
    Delivered units stay delivered (and can still be confirmed)."""
    if organisation.pk != pledge.organisation_id and organisation.kind != OrgKind.OPERATOR:
        raise PermissionDenied(
            "hanya organisasi pemberi komitmen atau operator yang dapat membatalkan "
            "(only the pledging organisation or an operator can cancel)"
        )
    with transaction.atomic():
        locked = _locked(pledge)
        if locked.status not in LIVE_STATUSES:
            raise PledgeStateConflict(
                f"komitmen sudah {locked.get_status_display()} (pledge is already {locked.status})"
            )
        if undelivered(locked) == 0:
            raise PledgeStateConflict(
                "semua unit sudah disalurkan, tidak ada yang dapat dibatalkan "
                "(everything was delivered; nothing left to cancel)"
            )
        before = snapshot(locked)
        _release(locked, PledgeStatus.CANCELLED)
        _audit(actor, organisation, "pledge.cancel", locked, before)
    return locked


def expiry_date(pledge: Pledge) -> dt.date:
    """First day on which the undelivered remainder is released."""
    return pledge.planned_delivery + dt.timedelta(days=settings.PLEDGE_GRACE_DAYS + 1)


def pledge_extend(
    *,
    actor: Any,
    organisation: Organisation,
    pledge: Pledge,
    planned_delivery: dt.date,
    today: dt.date | None = None,
) -> Pledge:
    """The pledging organisation moves its planned delivery date, before expiry."""
    if organisation.pk != pledge.organisation_id:
        raise PermissionDenied(
            "hanya organisasi pemberi komitmen yang dapat memperpanjang "
            "(only the pledging organisation can extend)"
        )
    now = _today(today)
    planned_delivery = _check_planned(planned_delivery, now)
    with transaction.atomic():
        locked = _locked(pledge)
        if locked.status not in LIVE_STATUSES or undelivered(locked) == 0:
            raise PledgeStateConflict(
                "komitmen ini tidak dapat diperpanjang (this pledge cannot be extended)",
                field="planned_delivery",
            )
        if expiry_date(locked) <= now:
            raise PledgeStateConflict(
                "komitmen sudah kedaluwarsa (pledge has expired)", field="planned_delivery"
            )
        before = snapshot(locked)
        locked.planned_delivery = planned_delivery
        locked.reminded_at = None
        locked.save(update_fields=["planned_delivery", "reminded_at", "updated_at"])
        _audit(actor, organisation, "pledge.extend", locked, before)
    return locked


@dataclass
class ExpiryReport:
    expired: int = 0
    reminded: int = 0
    released_units: int = 0


def pledges_expire(*, today: dt.date | None = None) -> ExpiryReport:
    """Sweep: release the undelivered remainder of pledges whose planned date plus
    PLEDGE_GRACE_DAYS has passed, and remind the pledging organisation the day before.

    A pledge is only expired once it has been reminded in an earlier sweep, so no
    organisation loses a pledge without having been told (if the worker was down on the
    reminder day, the reminder goes out first and expiry follows on a later sweep)."""
    now = _today(today)
    last_day = now - dt.timedelta(days=settings.PLEDGE_GRACE_DAYS)  # planned on this day: last chance
    report = ExpiryReport()
    open_q = Pledge.objects.filter(status__in=LIVE_STATUSES, quantity__gt=F("delivered") + F("released"))
    for pk in open_q.filter(planned_delivery__lt=last_day, reminded_at__isnull=False).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            locked = Pledge.objects.select_for_update(no_key=True).get(pk=pk)
            if locked.status not in LIVE_STATUSES or undelivered(locked) == 0:
                continue
            if locked.planned_delivery >= last_day or locked.reminded_at is None:
                continue  # extended meanwhile
            before = snapshot(locked)
            report.released_units += _release(locked, PledgeStatus.EXPIRED)
            _audit(None, locked.organisation, "pledge.expire", locked, before)
            report.expired += 1
    for pk in open_q.filter(planned_delivery__lte=last_day, reminded_at__isnull=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            locked = (
                Pledge.objects.select_for_update(of=("self",), no_key=True)
                .select_related("organisation")
                .get(pk=pk)
            )
            if locked.reminded_at is not None or locked.status not in LIVE_STATUSES:
                continue
            locked.reminded_at = timezone.now()
            locked.save(update_fields=["reminded_at", "updated_at"])
            _audit(None, locked.organisation, "pledge.remind", locked, None)
            transaction.on_commit(partial(_send_reminder, locked))
            report.reminded += 1
    return report


def _send_reminder(pledge: Pledge) -> None:
    recipients = list(
        Membership.objects.filter(organisation_id=pledge.organisation_id)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    until = expiry_date(pledge) - dt.timedelta(days=1)
    subject = f"[kolaborasi] Komitmen #{pledge.pk} akan kedaluwarsa / pledge #{pledge.pk} is about to expire"
    body = (
        f"Komitmen #{pledge.pk} ({pledge.quantity} {pledge.aid_type_id}) untuk sasaran #{pledge.target_id} "
        f"belum tersalurkan seluruhnya. Sisa yang belum disalurkan akan dilepas setelah {until}. "
        "Catat penyaluran atau perpanjang tanggal rencana di /komitmen/.\n\n"
        f"Pledge #{pledge.pk} is not fully delivered. Its undelivered remainder is released after {until}. "
        "Record the delivery or extend the planned date at /komitmen/."
    )
    # Sent by the worker, retried there: a mail outage neither undoes the sweep nor loses
    # the reminder.
    mail_queue(subject=subject, body=body, to=recipients)


# --- suspension -------------------------------------------------------------------


@dataclass
class SuspensionReport:
    pledges: int = 0
    released_units: int = 0


def _org_state(organisation: Organisation) -> dict[str, Any]:
    return {
        "suspended_at": organisation.suspended_at.isoformat() if organisation.suspended_at else None,
        "suspended_reason": organisation.suspended_reason,
    }


def _require_operator(operator: Organisation) -> None:
    if operator.kind != OrgKind.OPERATOR:
        raise PermissionDenied(_("Hanya operator yang dapat menangguhkan atau memulihkan organisasi."))


def _set_hold_suspended(organisation: Organisation, suspended: bool) -> None:
    if not OrganisationHold.objects.filter(pk=organisation.pk).update(suspended=suspended):
        OrganisationHold.objects.bulk_create(
            [OrganisationHold(organisation_id=organisation.pk, suspended=suspended)], ignore_conflicts=True
        )
        OrganisationHold.objects.filter(pk=organisation.pk).update(suspended=suspended)


def organisation_suspend(
    *, actor: Any, operator: Organisation, organisation: Organisation, reason: str
) -> SuspensionReport:
    """An operator stops an organisation from pledging and releases, at once, the
    undelivered remainder of every live pledge it has — each exactly as an operator's
    cancel would (counters, public tally, funded pledges' refunds, one audit event per
    pledge). Running it again on a suspended organisation releases anything left.

    Two steps: first the suspension commits (from then on every pledge of the
    organisation is refused at its hold row, so none can be added behind the sweep),
    then each pledge is released in a transaction of its own, taking locks in the same
    order as every other writer (pledge, need, hold row)."""
    _require_operator(operator)
    reason = (reason or "").strip()
    if not reason:
        raise PledgeError(_("Tuliskan alasan penangguhan."), field="reason")
    with transaction.atomic():
        locked = Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
        if locked.suspended_at is None:
            before = _org_state(locked)
            locked.suspended_at = timezone.now()
            locked.suspended_reason = reason[:300]
            locked.save(update_fields=["suspended_at", "suspended_reason"])
            audit_record(
                actor=actor,
                action="organisation.suspend",
                obj=locked,
                before=before,
                after=_org_state(locked),
                organisation=operator,
            )
        _set_hold_suspended(locked, True)
    organisation.suspended_at, organisation.suspended_reason = locked.suspended_at, locked.suspended_reason
    report = SuspensionReport()
    open_pledges = Pledge.objects.filter(
        organisation=organisation,
        status__in=LIVE_STATUSES,
        quantity__gt=F("delivered") + F("released"),
    ).order_by("pk")
    for pk in list(open_pledges.values_list("pk", flat=True)):
        with transaction.atomic():
            pledge = _locked(Pledge(pk=pk))
            if pledge.status not in LIVE_STATUSES or undelivered(pledge) == 0:
                continue
            before = snapshot(pledge)
            report.released_units += _release(pledge, PledgeStatus.CANCELLED)
            _audit(actor, operator, "pledge.cancel", pledge, before)
            report.pledges += 1
    return report


def organisation_unsuspend(*, actor: Any, operator: Organisation, organisation: Organisation) -> bool:
    """Lift a suspension: the organisation may pledge again (within its limits). Holds
    released by the suspension stay released. False if it was not suspended."""
    _require_operator(operator)
    with transaction.atomic():
        locked = Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
        if locked.suspended_at is None:
            return False
        before = _org_state(locked)
        locked.suspended_at = None
        locked.suspended_reason = ""
        locked.save(update_fields=["suspended_at", "suspended_reason"])
        _set_hold_suspended(locked, False)
        audit_record(
            actor=actor,
            action="organisation.unsuspend",
            obj=locked,
            before=before,
            after=_org_state(locked),
            organisation=operator,
        )
    organisation.suspended_at, organisation.suspended_reason = None, ""
    return True
