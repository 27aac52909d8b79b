"""The receiving side's review of deliveries: confirm all of a delivery, confirm fewer
units with a note, or dispute it with a reason; and the delivering organisation's answer
to a dispute. Every write here is atomic and appends its audit events in the same
transaction, like every write in services.py.

How the counters move (docs/architecture.md, "Confirmation per delivery"):

- ``Delivery.confirmed`` counts the units of one delivery confirmed so far and
  ``Delivery.review`` says where its review stands (pending, partial, confirmed,
  disputed; the CHECK ``delivery_review_matches_confirmed`` ties the two together).
- ``Pledge.confirmed`` is the sum of its deliveries' ``confirmed`` and ``Need.confirmed``
  the sum over the need's pledges, moved by the same number of units in the same
  transaction (invariant 2). ``Pledge.disputed`` is the sum of the unconfirmed units of
  its disputed deliveries.
- Units confirmed are never taken back. Units not confirmed stay delivered and wait: a
  partly confirmed delivery can be confirmed further or disputed later, and a dispute
  ends when the receiving side confirms (all, or part with a note — what is left then
  waits again).

Every change of one pledge's deliveries happens under that pledge's row lock
(``services.locked_pledge``), taken first, so two reviewers of the same delivery queue
and the second sees what the first did: nothing is confirmed twice.

A closed campaign is frozen: its deliveries are no longer confirmed, disputed or
answered (``CampaignFrozen``), so its figures and report stay as they were at the close.
"""

from __future__ import annotations

from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Membership, Organisation
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot as model_snapshot
from kolaborasi.campaigns.errors import CampaignFrozen
from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.core.errors import Forbidden, NotFound
from kolaborasi.targets.models import Need

from .access import Action, refusal
from .errors import PledgeError, PledgeStateConflict
from .evidence import CleanImage, evidence_clean
from .history import audit, token_label
from .history import snapshot as _pledge_snapshot
from .models import LIVE_STATUSES, Delivery, DisputeAnswer, Pledge, Review
from .services import locked_pledge

NOTE_MAX = 500
ANSWER_MAX = 1000

DELIVERY_STATE = ("quantity", "confirmed", "review", "confirm_note", "dispute_reason")


def _delivery_snapshot(delivery: Delivery) -> dict[str, Any]:
    return model_snapshot(delivery, DELIVERY_STATE)


def _is_member(actor: Actor, organisation_id: int) -> bool:
    user = acting_user(actor)
    if user is None:
        return False
    return Membership.objects.filter(user=user, organisation_id=organisation_id).exists()


def _check_reviewer(actor: Actor, organisation: Organisation, pledge: Pledge, *, verb: Action) -> None:
    """Only the receiving side reviews (the rule and its sentences: ``access.refusal``),
    and never anyone of the delivering organisation, even through another organisation
    they belong to."""
    reason = refusal(organisation, pledge, verb, in_pledging_org=_is_member(actor, pledge.organisation_id))
    if reason is not None:
        raise Forbidden(reason)


def _text(value: Any, *, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PledgeError(_("Isian harus teks."), field=field)
    value = value.strip()
    if len(value) > limit:
        raise PledgeError(
            _("Terlalu panjang: %(length)s karakter, paling banyak %(limit)s.")
            % {"length": len(value), "limit": limit},
            field=field,
        )
    return value


def _check_units(quantity: Any) -> int | None:
    if quantity is None:
        return None
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise PledgeError(_("Jumlah harus bilangan bulat."), field="quantity")
    if quantity < 1:
        raise PledgeError(
            _("Jumlah yang dikonfirmasi minimal 1. Jika tidak ada yang diterima, persoalkan penyaluran ini."),
            field="quantity",
        )
    return quantity


def _check_not_frozen(locked: Pledge) -> None:
    """A closed campaign's reviews stay as they were at the close: nothing is confirmed,
    disputed or answered any more (``CampaignFrozen``). The need's row is locked while
    ``accepting`` — the flag the close flips in the same transaction as the status — so
    a close and a review of the same need queue on that row, and whichever comes second
    sees the other."""
    if Need.objects.select_for_update().filter(pk=locked.need_id, accepting=True).values_list("pk").first():
        return
    row = Need.objects.filter(pk=locked.need_id).values("campaign__name", "campaign__slug").get()
    raise CampaignFrozen(row["campaign__name"], row["campaign__slug"], review=True)


def _scope(locked: Pledge, delivery: Delivery | None) -> list[Delivery]:
    """The deliveries a review acts on, read after the pledge's lock is held: one, or
    all of the pledge's (undisputed first, then oldest first)."""
    qs = Delivery.objects.filter(pledge=locked)
    if delivery is not None:
        found = list(qs.filter(pk=delivery.pk))
        if not found:
            raise NotFound(_("Penyaluran tidak ditemukan."))
        return found
    rows = list(qs.order_by("delivered_on", "pk"))
    return sorted(rows, key=lambda d: d.review == Review.DISPUTED)


def _review_done(delivery: Delivery, organisation: Organisation) -> None:
    delivery.reviewed_at = timezone.now()
    delivery.reviewed_by = organisation
    delivery.save(
        update_fields=["confirmed", "review", "confirm_note", "dispute_reason", "reviewed_at", "reviewed_by"]
    )


def _audit_delivery(
    actor: Actor, organisation: Organisation, action: AuditAction, delivery: Delivery, before: dict[str, Any]
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=delivery,
        before=before,
        after=_delivery_snapshot(delivery) | {"pledge": delivery.pledge_id},
        organisation=organisation,
        actor_label=token_label(actor, organisation),
    )


def pledge_confirm(
    *,
    actor: Actor,
    organisation: Organisation,
    pledge: Pledge,
    quantity: int | None = None,
    note: str = "",
    delivery: Delivery | None = None,
) -> Pledge:
    """Confirm delivered units: all that await confirmation (``quantity`` None), or
    ``quantity`` of them with a ``note`` saying why fewer. Of one ``delivery``, or of
    the whole pledge, filling its deliveries oldest first (a dispute in the way is
    ended by confirming it). Units left unconfirmed stay delivered and wait."""
    _check_reviewer(actor, organisation, pledge, verb="confirm")
    units_asked = _check_units(quantity)
    note = _text(note, field="note", limit=NOTE_MAX)
    with transaction.atomic():
        locked = locked_pledge(pledge)
        _check_not_frozen(locked)
        deliveries = _scope(locked, delivery)
        awaiting = locked.delivered - locked.confirmed if delivery is None else deliveries[0].awaiting
        if awaiting <= 0:
            raise PledgeStateConflict(_("Tidak ada penyaluran yang menunggu konfirmasi."))
        if units_asked is not None and units_asked > awaiting:
            raise PledgeError(
                _("Jumlah %(quantity)s melebihi yang menunggu konfirmasi (%(awaiting)s).")
                % {"quantity": units_asked, "awaiting": awaiting},
                field="quantity",
            )
        units = awaiting if units_asked is None else units_asked
        if units < awaiting and not note:
            raise PledgeError(
                _(
                    "Tulis catatan: mengapa hanya %(quantity)s dari %(awaiting)s yang dikonfirmasi "
                    "(misalnya yang belum diterima warga)."
                )
                % {"quantity": units, "awaiting": awaiting},
                field="note",
            )
        before = _pledge_snapshot(locked)
        left = units
        for row in deliveries:
            if left == 0:
                break
            take = min(row.awaiting, left)
            if take == 0:
                continue
            row_before = _delivery_snapshot(row)
            if row.review == Review.DISPUTED:
                locked.disputed -= row.awaiting
            row.confirmed += take
            row.review = Review.CONFIRMED if row.confirmed == row.quantity else Review.PARTIAL
            if note:
                row.confirm_note = note
            _review_done(row, organisation)
            _audit_delivery(actor, organisation, AuditAction.DELIVERY_CONFIRMED, row, row_before)
            left -= take
        # Units beyond the delivery rows (a pledge loaded without them) are counted on
        # the pledge alone, as confirmations were before deliveries had their own.
        locked.confirmed += units
        if locked.status in LIVE_STATUSES:
            locked.status = locked.live_status()
        locked.save(update_fields=["confirmed", "disputed", "status", "updated_at"])
        Need.objects.filter(pk=locked.need_id).update(confirmed=F("confirmed") + units)
        audit(actor, organisation, AuditAction.PLEDGE_CONFIRMED, locked, before)
    return locked


def pledge_dispute(
    *,
    actor: Actor,
    organisation: Organisation,
    pledge: Pledge,
    reason: str,
    delivery: Delivery | None = None,
) -> Pledge:
    """Dispute what was reported delivered and is not confirmed: one ``delivery``, or
    every delivery of the pledge with units awaiting confirmation. The ``reason`` is
    shown to the delivering organisation, who can answer it."""
    _check_reviewer(actor, organisation, pledge, verb="dispute")
    reason = _text(reason, field="reason", limit=NOTE_MAX)
    if not reason:
        raise PledgeError(_("Tulis alasannya: apa yang tidak sesuai dengan penyaluran ini."), field="reason")
    with transaction.atomic():
        locked = locked_pledge(pledge)
        _check_not_frozen(locked)
        deliveries = _scope(locked, delivery)
        open_rows = [d for d in deliveries if d.awaiting > 0 and d.review != Review.DISPUTED]
        if not open_rows:
            if delivery is not None and deliveries[0].review == Review.DISPUTED:
                raise PledgeStateConflict(_("Penyaluran ini sudah dipersoalkan."))
            raise PledgeStateConflict(_("Tidak ada penyaluran yang menunggu konfirmasi."))
        before = _pledge_snapshot(locked)
        for row in open_rows:
            row_before = _delivery_snapshot(row)
            row.review = Review.DISPUTED
            row.dispute_reason = reason
            locked.disputed += row.awaiting
            _review_done(row, organisation)
            _audit_delivery(actor, organisation, AuditAction.DELIVERY_DISPUTED, row, row_before)
        locked.save(update_fields=["disputed", "updated_at"])
        audit(actor, organisation, AuditAction.PLEDGE_DISPUTED, locked, before)
    return locked


def _store(field: FieldFile, clean: CleanImage, thumb: FieldFile, stored: list[str]) -> None:
    field.save(clean.name, ContentFile(clean.content), save=False)
    stored.append(field.name or "")
    if clean.thumbnail:
        thumb.save(clean.name.rsplit(".", 1)[0] + ".jpg", ContentFile(clean.thumbnail), save=False)
        stored.append(thumb.name or "")


def dispute_answer(
    *,
    actor: Actor,
    organisation: Organisation,
    delivery: Delivery,
    note: str = "",
    evidence: IO[bytes] | None = None,
    evidence_size: int | None = None,
    clean_evidence: CleanImage | None = None,
) -> DisputeAnswer:
    """The delivering organisation answers a dispute about its delivery with a note,
    another photo (checked and re-encoded like every photo), or both. The dispute stays
    open until the receiving side confirms."""
    pledge = delivery.pledge
    reason = refusal(organisation, pledge, "answer")
    if reason is not None:
        raise Forbidden(reason)
    note = _text(note, field="note", limit=ANSWER_MAX)
    clean = evidence_clean(evidence, size=evidence_size) if evidence is not None else clean_evidence
    if not note and clean is None:
        raise PledgeError(_("Tulis jawaban atau lampirkan foto."), field="note")
    stored: list[str] = []
    try:
        with transaction.atomic():
            _check_not_frozen(locked_pledge(pledge))
            current = Delivery.objects.get(pk=delivery.pk)
            if current.review != Review.DISPUTED:
                raise PledgeStateConflict(_("Penyaluran ini tidak sedang dipersoalkan."), field="note")
            answer = DisputeAnswer(
                delivery=current, organisation=organisation, note=note, created_by=acting_user(actor)
            )
            if clean is not None:
                _store(answer.evidence, clean, answer.evidence_thumb, stored)
            answer.save()
            audit_record(
                actor=actor,
                action=AuditAction.DELIVERY_ANSWERED,
                obj=current,
                after={
                    "pledge": current.pledge_id,
                    "answer": answer.pk,
                    "note": note,
                    "evidence": answer.evidence.name or "",
                },
                organisation=organisation,
                actor_label=token_label(actor, organisation),
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return answer
