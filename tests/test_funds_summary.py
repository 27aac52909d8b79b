"""funds_summary: what the stats page shows about money, recomputed from the rows."""

from __future__ import annotations

import datetime as dt

import pytest

from kolaborasi.funds.models import Donation, DonationStatus
from kolaborasi.funds.selectors import funds_summary


@pytest.mark.django_db
def test_summary_counts_pending_and_confirmed_not_rejected(personas) -> None:  # type: ignore[no-untyped-def]
    dina, agus = personas["dina"].organisation, personas["agus"].organisation
    day = dt.date(2020, 4, 20)
    for amount, status in [
        (100, DonationStatus.PENDING),
        (20, DonationStatus.CONFIRMED),
        (3, DonationStatus.REJECTED),
    ]:
        Donation.objects.create(donor=dina, aggregator=agus, amount=amount, donated_on=day, status=status)
    assert funds_summary() == {"donated": 120, "confirmed": 20}
    assert funds_summary(since=day + dt.timedelta(days=1)) == {"donated": 0, "confirmed": 0}
    assert funds_summary(until=day) == {"donated": 120, "confirmed": 20}
    assert funds_summary(region="31.74") == {"donated": 0, "confirmed": 0}
