"""Fair holds: how much of the programme's need one organisation may hold undelivered.

Trust tiers (limits are settings, see the README):

- individual donors and unverified organisations: ``HOLD_LIMIT_SMALL`` undelivered units
  in total and at most ``HOLD_NEED_SHARE_SMALL`` percent of any one need;
- verified donor organisations, and an aggregator's pledges that are *not* paid from its
  balance (a direct pledge, or a plan without a package template):
  ``HOLD_LIMIT_VERIFIED`` units and ``HOLD_NEED_SHARE_VERIFIED`` percent of a need;
- an aggregator's pledges paid from its balance (a funded pledge, a funded plan) are not
  counted: the money already bounds them, every unit is paid before it is held.

"Undelivered" is what a live pledge still holds and has not handed over:
``quantity - released - delivered``. The running total per organisation lives in
:class:`~kolaborasi.pledges.models.OrganisationHold`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from kolaborasi.accounts.models import Organisation, OrgSubtype

SMALL = "small"
VERIFIED = "verified"
FUNDED = "funded"


@dataclass(frozen=True)
class HoldPolicy:
    tier: str
    # Undelivered units the organisation may hold in total; None: not counted.
    limit: int | None
    # Percentage of one need the organisation may hold; 100: no limit beyond the need.
    need_share: int

    @property
    def counted(self) -> bool:
        return self.limit is not None

    def need_limit(self, need_quantity: int) -> int | None:
        """Units of a need of ``need_quantity`` the organisation may hold (rounded up, so
        a need of one household can still be pledged); None when not limited."""
        if self.need_share >= 100:
            return None
        return -(-need_quantity * self.need_share // 100)


def hold_policy(organisation: Organisation, *, funded: bool = False) -> HoldPolicy:
    if funded:
        return HoldPolicy(FUNDED, None, 100)
    if organisation.subtype == OrgSubtype.INDIVIDUAL or not organisation.verified:
        return HoldPolicy(SMALL, settings.HOLD_LIMIT_SMALL, settings.HOLD_NEED_SHARE_SMALL)
    return HoldPolicy(VERIFIED, settings.HOLD_LIMIT_VERIFIED, settings.HOLD_NEED_SHARE_VERIFIED)


# Without a date of its own a pledge (or a committed plan) is planned a week ahead: time
# to pack and travel, well inside the horizon.
DEFAULT_DELIVERY_DAYS = 7


def default_planned_delivery(today: dt.date | None = None) -> dt.date:
    """The planned delivery date offered when none is given: a week from today, or the
    end of the planning horizon when that is shorter."""
    days = min(DEFAULT_DELIVERY_DAYS, settings.PLEDGE_HORIZON_DAYS)
    return (today or timezone.localdate()) + dt.timedelta(days=days)


def latest_planned_delivery(today: dt.date | None = None) -> dt.date:
    """The furthest planned delivery date a pledge may carry, counted from today's local
    date: a hold cannot be parked for months and released only after its grace days."""
    return (today or timezone.localdate()) + dt.timedelta(days=settings.PLEDGE_HORIZON_DAYS)
