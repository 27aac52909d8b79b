"""The hold ledger: each organisation's running count of undelivered units
(``OrganisationHold``), counted when a pledge reserves units and given back when they
are delivered or released, and the share of one need it may hold. The limits are the
trust tiers of holds.py. The writers in services.py call these inside their transaction,
after the need's row is reserved, so locks are taken need row → hold row (services.py's
docstring gives the whole order); the PostgreSQL one-statement pledge (fastpath.py)
counts the hold in its own SQL, and ``hold_refusal`` says why it failed."""

from __future__ import annotations

from django.db.models import F, Sum
from django.db.models.functions import Greatest

from kolaborasi.accounts.models import Organisation
from kolaborasi.core.errors import Forbidden
from kolaborasi.targets.models import Need

from .errors import HoldLimitExceeded, suspended_message
from .holds import HoldPolicy
from .models import LIVE_STATUSES, OrganisationHold, Pledge


def hold_take(organisation: Organisation, units: int, policy: HoldPolicy) -> bool:
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


def hold_refusal(organisation: Organisation, policy: HoldPolicy) -> Exception:
    """Why ``hold_take`` (or the one-statement path) refused: suspended, or the limit."""
    row = OrganisationHold.objects.filter(pk=organisation.pk).first()
    if row is not None and row.suspended:
        return Forbidden(suspended_message(organisation))
    return HoldLimitExceeded(
        reason="total", tier=policy.tier, limit=policy.limit or 0, held=row.held if row else 0
    )


def hold_give(pledge: Pledge, units: int) -> None:
    """``units`` of a pledge are no longer undelivered (delivered or released)."""
    if pledge.capped and units:
        OrganisationHold.objects.filter(pk=pledge.organisation_id).update(held=Greatest(F("held") - units, 0))


def need_share_refusal(
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


def hold_for(organisation: Organisation, need_id: int, units: int, policy: HoldPolicy) -> Exception | None:
    """Inside a transaction, after the need was reserved: count the hold, or say why not
    (and leave the hold row as it was)."""
    if not hold_take(organisation, units, policy):
        return hold_refusal(organisation, policy)
    refusal = need_share_refusal(organisation, need_id, units, policy)
    if refusal is not None and policy.limit is not None:
        OrganisationHold.objects.filter(pk=organisation.pk).update(held=F("held") - units)
    return refusal
