"""Reads about money that more than one caller needs (profiles, API, stats)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation, OrgKind, named_in_public
from kolaborasi.pledges.models import LIVE_STATUSES, Pledge
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import INSTITUTION_KINDS, Need, Target, TargetKind, within_q

from .models import (
    AccountKind,
    AllocationLine,
    Donation,
    DonationStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PledgeFunding,
)


def _sum(qs: QuerySet[Any], field: str = "amount") -> int:
    return int(qs.aggregate(s=Sum(field))["s"] or 0)


def funds_summary(
    *, region: Any = None, since: dt.date | None = None, until: dt.date | None = None, campaign: Any = None
) -> dict[str, int]:
    """Money given through aggregators, in whole rupiah.

    - ``donated``: donations recorded and not rejected (pending + confirmed);
    - ``confirmed``: donations whose receipt the aggregator confirmed.

    ``since``/``until`` (inclusive) filter on the date the donor gave (``donated_on``).
    A donation has no place, so with ``region`` both figures count only the money of
    those donations that was spent on pledges for targets under the region (FIFO
    attribution rows); that money is always confirmed, so both figures are then equal.
    With ``campaign`` as well, only the money spent on that campaign's pledges there.
    A donation has no campaign either, so without a region every donation counts.
    """
    if region is not None:
        fundings = PledgeFunding.objects.filter(within_q(region, "pledge__target__"))
        if campaign is not None:
            fundings = fundings.filter(pledge__need__campaign=campaign)
        if since is not None:
            fundings = fundings.filter(donation__donated_on__gte=since)
        if until is not None:
            fundings = fundings.filter(donation__donated_on__lte=until)
        spent = _sum(fundings, "amount") - _sum(fundings, "refunded")
        return {"donated": spent, "confirmed": spent}
    donations = Donation.objects.all()
    if since is not None:
        donations = donations.filter(donated_on__gte=since)
    if until is not None:
        donations = donations.filter(donated_on__lte=until)
    return {
        "donated": _sum(donations.exclude(status=DonationStatus.REJECTED)),
        "confirmed": _sum(donations.filter(status=DonationStatus.CONFIRMED)),
    }


def plan_needs(*, aid_type: Any, region: Any, kinds: str, campaign: Any = None) -> npt.NDArray[np.int64]:
    """Every need of an open campaign (``campaign``: of that one only; a plan splits over
    one campaign's needs) with unmet units of ``aid_type`` under ``region``
    (``None``: the whole country) as an ``(n, 4)`` int64 array of rows ``(need_id,
    quantity, held, target_id)`` in no particular order (the planner's result does not
    depend on it) — the planner's input is its first three columns.

    Read for ~400k needs in well under a second: no model instances and no Python tuple
    per row (columns go straight into numpy), and the target conditions are one
    ``EXISTS`` on ``targets_target`` so the country-wide RW read is an anti-join against
    the few institutions (partial index ``target_institution_idx``) instead of a join
    with every RW."""
    targets = Target.objects.filter(pk=OuterRef("target_id"))
    if region is not None:
        targets = targets.within(region)
    # Only needs of open campaigns: a closed one takes no pledges.
    qs = Need.objects.filter(aid_type=aid_type, remaining__gt=0, accepting=True)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if kinds == "rw":
        if region is None:
            qs = qs.filter(~Exists(targets.exclude(kind=TargetKind.RW)))
        else:
            qs = qs.filter(Exists(targets.filter(kind=TargetKind.RW)))
    elif kinds == "institutions":
        qs = qs.filter(Exists(targets.filter(kind__in=INSTITUTION_KINDS)))
    elif region is not None:
        qs = qs.filter(Exists(targets))
    rows = qs.order_by().values_list("id", "quantity", "held", "target_id")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # One row of four arrays (aggregated in the same pass, so aligned row by
            # row): the driver decodes each array in one go. ``sql`` is the ORM's own
            # compiled query; every value is in ``params``.
            arrays = f"SELECT array_agg(c0), array_agg(c1), array_agg(c2), array_agg(c3) FROM ({sql}) AS s(c0, c1, c2, c3)"  # noqa: S608, E501
            cur.execute(arrays, params)
            columns = cur.fetchone()
            if columns is None or columns[0] is None:
                return np.empty((0, 4), dtype=np.int64)
            return np.column_stack([np.asarray(c, dtype=np.int64) for c in columns])
        cur.execute(sql, params)
        return np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 4)


def aggregator_funds(aggregator: Any) -> dict[str, int]:
    """donated (pending + confirmed), confirmed, allocated and balance, in rupiah.
    ``allocated`` and ``balance`` are the ledger accounts' balances."""
    donations = Donation.objects.filter(aggregator=aggregator)
    accounts = dict(LedgerAccount.objects.filter(aggregator=aggregator).values_list("kind", "balance"))
    return {
        "donated": _sum(donations.exclude(status=DonationStatus.REJECTED)),
        "confirmed": _sum(donations.filter(status=DonationStatus.CONFIRMED)),
        "allocated": int(accounts.get(AccountKind.ALLOCATED, 0)),
        "balance": int(accounts.get(AccountKind.CASH, 0)),
    }


def aggregator_packages(aggregator: Any) -> dict[str, dict[str, int]]:
    """Packages pledged (held by live pledges) and delivered per aid type slug."""
    rows = (
        Pledge.objects.filter(organisation=aggregator, status__in=LIVE_STATUSES)
        .values("aid_type__slug")
        .annotate(pledged=Sum(F("quantity") - F("released")), delivered=Sum("delivered"))
        .order_by("aid_type__slug")
    )
    return {
        "pledged": {r["aid_type__slug"]: int(r["pledged"] or 0) for r in rows},
        "delivered": {r["aid_type__slug"]: int(r["delivered"] or 0) for r in rows},
    }


def aggregator_areas(aggregator: Any) -> list[dict[str, Any]]:
    """Kecamatan reached by the aggregator's live pledges, with targets and packages."""
    rows = list(
        Pledge.objects.filter(organisation=aggregator, status__in=LIVE_STATUSES)
        .values("target__district_code")
        .annotate(targets=Count("target", distinct=True), packages=Sum(F("quantity") - F("released")))
        .order_by("target__district_code")
    )
    names = dict(
        Region.objects.filter(code__in=[r["target__district_code"] for r in rows]).values_list("code", "name")
    )
    return [
        {
            "code": r["target__district_code"],
            "name": names.get(r["target__district_code"], r["target__district_code"]),
            "targets": r["targets"],
            "packages": int(r["packages"] or 0),
        }
        for r in rows
    ]


def aggregator_public_donors(aggregator: Any) -> list[dict[str, Any]]:
    """Donors who chose to be shown, with their confirmed total. A donor who did not
    choose ``public`` is never named (counted only in the totals): the rule of
    ``accounts.models.named_in_public`` for a donation, as a filter."""
    rows = (
        Donation.objects.filter(aggregator=aggregator, status=DonationStatus.CONFIRMED, public=True)
        .values("donor_id", "donor__name")
        .annotate(total=Sum("amount"))
        .order_by("-total", "donor__name")
    )
    return [{"id": r["donor_id"], "name": r["donor__name"], "total": int(r["total"])} for r in rows]


def aggregators_list() -> QuerySet[Any]:
    """The aggregators the public sees: verified ones only (funds/access.py)."""
    return Organisation.objects.filter(kind=OrgKind.AGGREGATOR, verified=True).order_by("name")


def pledge_fundings(pledge_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Whose money paid for each pledge: ``{pledge_id: [{aggregator, donor, amount,
    donated_on}]}``; the donor is named only when the donation is public."""
    out: dict[int, list[dict[str, Any]]] = {}
    rows = (
        PledgeFunding.objects.filter(pledge_id__in=pledge_ids)
        .select_related("donation__donor", "donation__aggregator")
        .order_by("pledge_id", "id")
    )
    for f in rows:
        if f.net == 0:
            continue  # fully refunded: it paid for nothing that is still pledged
        d = f.donation
        out.setdefault(f.pledge_id, []).append(
            {
                "aggregator": d.aggregator.name,
                "aggregator_id": d.aggregator_id,
                "donor": (
                    d.donor.name
                    if named_in_public(d.donor.kind, d.donor.subtype, chose_public=d.public)
                    else None
                ),
                "donation": d.pk,
                "donated_on": d.donated_on,
                "amount": f.net,
            }
        )
    return out


def target_fundings(target: Any) -> list[dict[str, Any]]:
    """Money that paid for packages at ``target``, per pledge slice (see pledge_fundings)."""
    ids = list(Pledge.objects.filter(target=target).values_list("id", flat=True))
    fundings = pledge_fundings(ids)
    return [dict(row, pledge=pid) for pid in sorted(fundings) for row in fundings[pid]]


def ledger_verify(aggregator: Any = None) -> list[str]:
    """Recompute the ledger; return the problems found (empty when consistent):
    every transaction sums to zero, each account balance equals the sum of its
    entries, cash is never negative, cash = confirmed - allocated, allocated equals
    the funding rows, each donation's ``allocated`` equals its funding rows."""
    problems: list[str] = []
    txs = LedgerTransaction.objects.all()
    accounts = LedgerAccount.objects.all()
    donations = Donation.objects.all()
    if aggregator is not None:
        txs = txs.filter(aggregator=aggregator)
        accounts = accounts.filter(aggregator=aggregator)
        donations = donations.filter(aggregator=aggregator)
    for tx_id, total in txs.annotate(total=Sum("entries__amount")).values_list("id", "total"):
        if (total or 0) != 0:
            problems.append(f"transaction {tx_id} sums to {total}")
    sums = dict(
        LedgerEntry.objects.filter(account__in=accounts)
        .values("account_id")
        .annotate(s=Sum("amount"))
        .values_list("account_id", "s")
    )
    by_agg: dict[int, dict[str, int]] = {}
    for acc in accounts:
        if acc.balance != int(sums.get(acc.pk, 0)):
            problems.append(f"account {acc} balance {acc.balance} != entries {sums.get(acc.pk, 0)}")
        if acc.kind == AccountKind.CASH and acc.balance < 0:
            problems.append(f"account {acc} is negative")
        by_agg.setdefault(acc.aggregator_id, {})[acc.kind] = acc.balance
    for agg_id, bal in by_agg.items():
        mine = donations.filter(aggregator_id=agg_id)
        confirmed = _sum(mine.filter(status=DonationStatus.CONFIRMED))
        slices = PledgeFunding.objects.filter(donation__aggregator_id=agg_id)
        funded = _sum(slices, "amount") - _sum(slices, "refunded")
        if -bal.get(AccountKind.CONTRIBUTIONS, 0) != confirmed:
            problems.append(f"aggregator {agg_id}: contributions != confirmed donations {confirmed}")
        if bal.get(AccountKind.ALLOCATED, 0) != funded:
            problems.append(f"aggregator {agg_id}: allocated != funding rows {funded}")
        if bal.get(AccountKind.CASH, 0) != confirmed - funded:
            problems.append(f"aggregator {agg_id}: cash != confirmed - allocated")
    per_donation = donations.annotate(f=Sum(F("fundings__amount") - F("fundings__refunded")))
    for d_id, alloc, funded_sum in per_donation.values_list("id", "allocated", "f"):
        if alloc != (funded_sum or 0):
            problems.append(f"donation {d_id}: allocated {alloc} != funding rows {funded_sum or 0}")
    return problems


def _percent(share: float) -> str:
    """A share as a percentage the locale's way: "0%", "1,7%" (one decimal when needed)."""
    value = round(share * 100, 1)
    return formats.number_format(value, decimal_pos=0 if value == int(value) else 1) + "%"


def plan_line_why(line: AllocationLine) -> str:
    """Why the planner chose this line, in words: the coverage before and after it. The
    planner serves the lowest coverage first (targets.priority), so the coverage before
    is the reason; the one sentence the API and the plan page both show."""
    before, after = line.coverage_before, line.coverage_after
    if before is None or after is None:
        return ""
    return _(
        "Cakupan %(before)s sebelum rencana (%(held)s dari %(need)s paket sudah dikomitmenkan), "
        "%(after)s sesudahnya."
    ) % {
        "before": _percent(before),
        "after": _percent(after),
        "held": intcomma(line.held_before),
        "need": intcomma(line.need_quantity),
    }
