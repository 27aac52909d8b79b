"""Writes on targets and needs (keeping the need current)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.access import coordinator_covers
from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot
from kolaborasi.campaigns.models import CampaignStatus
from kolaborasi.core.actor import Actor
from kolaborasi.core.errors import Forbidden, Invalid

from .models import AidType, Need, Target


class NeedUpdateError(Invalid):
    """The new count, its reason or its date is not acceptable; nothing was changed."""


def can_update_need(org: Organisation, target: Target) -> bool:
    """A coordinator for the RWs it covers; an operator anywhere."""
    return org.kind == OrgKind.OPERATOR or (target.kind == "rw" and coordinator_covers(org, target.region_id))


def need_update(
    *,
    actor: Actor,
    organisation: Organisation,
    target: Target,
    size: int,
    reason: str,
    as_of: dt.date | None = None,
) -> Target:
    """Set the target's vulnerable-household (or resident) count and every need of it in a
    campaign that is not closed to one unit per household (a closed campaign's needs stay
    as they were). Pledges are never cancelled: if a need drops below what is already
    held the target is over-covered (remaining 0) and operators see it listed."""
    if not can_update_need(organisation, target):
        raise Forbidden(_("Hanya koordinator RW ini atau operator yang dapat mengubah kebutuhan."))
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise NeedUpdateError(_("Jumlah harus bilangan bulat ≥ 0."), field="size")
    reason = (reason or "").strip()
    if not reason:
        raise NeedUpdateError(_("Alasan perubahan wajib diisi."), field="reason")
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise NeedUpdateError(_("Tanggal data di masa depan."), field="as_of")
    with transaction.atomic():
        locked = Target.objects.select_for_update(no_key=True).get(pk=target.pk)
        # A closed campaign's needs are frozen (its figures must stay reproducible).
        needs = list(
            Need.objects.select_for_update(of=("self",))
            .filter(target=locked)
            .exclude(campaign__status=CampaignStatus.CLOSED)
            .order_by("pk")
        )
        # "needs" per aid type, as events before campaigns had it; "by_need" per need, so
        # that a target with needs in several campaigns keeps every before value.
        before = {
            "size": locked.size,
            "needs": {n.aid_type_id: n.quantity for n in needs},
            "by_need": {n.pk: n.quantity for n in needs},
        }
        locked.size = size
        locked.as_of = as_of
        locked.save(update_fields=["size", "as_of", "updated_at"])
        for need in needs:
            # Only quantity changes: held/delivered/confirmed belong to the pledges.
            Need.objects.filter(pk=need.pk).update(quantity=size, as_of=as_of, updated_at=timezone.now())
        audit_record(
            actor=actor,
            action=AuditAction.NEED_CHANGED,
            obj=locked,
            before=before,
            after={
                "size": size,
                "needs": {n.aid_type_id: size for n in needs},
                "by_need": {n.pk: size for n in needs},
                "reason": reason,
                "as_of": as_of.isoformat(),
            },
            organisation=organisation,
        )
    target.refresh_from_db()
    return target


# The one shape of an aid type in the audit log.
AID_TYPE_AUDIT_FIELDS = ("slug", "name", "name_en", "unit", "sort_order", "active")


def aid_type_save(*, actor: Actor, aid_type: AidType) -> bool:
    """Create ``aid_type`` (no pk yet) or store an operator's edit of it, with its audit
    event. Aid types are never deleted (needs and pledges refer to them): set ``active``
    off instead. Returns False, and writes no event, when an edit changed nothing."""
    with transaction.atomic():
        if aid_type.pk is None:
            aid_type.save()
            audit_record(
                actor=actor,
                action=AuditAction.AID_TYPE_CREATED,
                obj=aid_type,
                after=snapshot(aid_type, AID_TYPE_AUDIT_FIELDS),
            )
            return True
        stored = AidType.objects.select_for_update().get(pk=aid_type.pk)
        before = snapshot(stored, AID_TYPE_AUDIT_FIELDS)
        after = snapshot(aid_type, AID_TYPE_AUDIT_FIELDS)
        if before == after:
            return False
        aid_type.save()
        audit_record(
            actor=actor, action=AuditAction.AID_TYPE_CHANGED, obj=aid_type, before=before, after=after
        )
    return True
