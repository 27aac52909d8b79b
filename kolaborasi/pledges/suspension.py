"""Suspending an organisation (operators only): it may not pledge, and the undelivered
remainder of its live pledges is released at once; lifting the suspension lets it pledge
again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot as model_snapshot
from kolaborasi.campaigns.errors import CampaignFrozen
from kolaborasi.core.actor import Actor
from kolaborasi.core.errors import Forbidden

from .errors import PledgeError
from .history import audit, snapshot
from .models import LIVE_STATUSES, OrganisationHold, Pledge, PledgeStatus
from .services import locked_pledge, release_undelivered


@dataclass
class SuspensionReport:
    pledges: int = 0
    released_units: int = 0


def _org_state(organisation: Organisation) -> dict[str, Any]:
    return model_snapshot(organisation, ("suspended_at", "suspended_reason"))


def _require_operator(operator: Organisation) -> None:
    if operator.kind != OrgKind.OPERATOR:
        raise Forbidden(_("Hanya operator yang dapat menangguhkan atau memulihkan organisasi."))


def _set_hold_suspended(organisation: Organisation, suspended: bool) -> None:
    if not OrganisationHold.objects.filter(pk=organisation.pk).update(suspended=suspended):
        OrganisationHold.objects.bulk_create(
            [OrganisationHold(organisation_id=organisation.pk, suspended=suspended)], ignore_conflicts=True
        )
        OrganisationHold.objects.filter(pk=organisation.pk).update(suspended=suspended)


def organisation_suspend(
    *, actor: Actor, operator: Organisation, organisation: Organisation, reason: str
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
                action=AuditAction.ORGANISATION_SUSPENDED,
                obj=locked,
                before=before,
                after=_org_state(locked),
                organisation=operator,
            )
        _set_hold_suspended(locked, True)
    organisation.suspended_at, organisation.suspended_reason = locked.suspended_at, locked.suspended_reason
    report = SuspensionReport()
    # Pledges in a closed campaign keep their units: its figures stay as at the close.
    open_pledges = Pledge.objects.filter(
        organisation=organisation,
        status__in=LIVE_STATUSES,
        quantity__gt=F("delivered") + F("released"),
        need__accepting=True,
    ).order_by("pk")
    for pk in list(open_pledges.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                pledge = locked_pledge(Pledge(pk=pk))
                if pledge.status not in LIVE_STATUSES or pledge.undelivered == 0:
                    continue
                before = snapshot(pledge)
                released = release_undelivered(pledge, PledgeStatus.CANCELLED)
                audit(actor, operator, AuditAction.PLEDGE_CANCELLED, pledge, before)
        except CampaignFrozen:
            continue  # its campaign closed meanwhile: the pledge keeps its units
        report.released_units += released
        report.pledges += 1
    return report


def organisation_unsuspend(*, actor: Actor, operator: Organisation, organisation: Organisation) -> bool:
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
            action=AuditAction.ORGANISATION_UNSUSPENDED,
            obj=locked,
            before=before,
            after=_org_state(locked),
            organisation=operator,
        )
    organisation.suspended_at, organisation.suspended_reason = None, ""
    return True
