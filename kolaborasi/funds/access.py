"""Who may see and change what in funds, in one place (tested as a matrix).

- Aggregator profiles are public once an operator verified the aggregator; an
  unverified one (never or no longer verified) is not shown in public at all: 404, as
  for an id that is not an aggregator, and absent from the public list and API.
- A donation is visible to its donor and its aggregator (anyone else: 404); only the
  aggregator that received it may confirm or reject it (the donor: 403).
- Package templates and allocation plans belong to one aggregator: another
  organisation gets 404 for them; acting on them needs a verified aggregator (403).
- Recording a donation needs a donor organisation (others: 403).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kolaborasi.accounts.access import org_for_request
from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.core.errors import Forbidden, NotFound

from .models import AllocationPlan, Donation, PackageTemplate

DONORS_ONLY = gettext_lazy("Hanya donatur yang dapat mencatat donasi.")
AGGREGATORS_ONLY = gettext_lazy("Hanya agregator yang dapat melakukannya.")
UNVERIFIED_AGGREGATOR = gettext_lazy("Agregator belum terverifikasi.")
UNVERIFIED_RECEIVER = gettext_lazy(
    "Agregator ini belum (atau tidak lagi) terverifikasi, jadi belum dapat menerima uang: "
    "donasi tetap menunggu sampai operator memverifikasinya, atau tolak agar kembali ke donatur."
)


def get_aggregator_public(aggregator_id: int) -> Organisation:
    org = Organisation.objects.filter(pk=aggregator_id, kind=OrgKind.AGGREGATOR, verified=True).first()
    if org is None:
        raise NotFound(_("Agregator tidak ditemukan."))
    return org


def require_donor(org: Organisation | None) -> Organisation:
    if org is None or org.kind != OrgKind.DONOR:
        raise Forbidden(DONORS_ONLY)
    return org


def require_aggregator(org: Organisation | None) -> Organisation:
    if org is None or org.kind != OrgKind.AGGREGATOR:
        raise Forbidden(AGGREGATORS_ONLY)
    if not org.verified:
        raise Forbidden(UNVERIFIED_AGGREGATOR)
    return org


def get_donation_for_org(org: Organisation | None, donation_id: int, *, decide: bool = False) -> Donation:
    donation = Donation.objects.select_related("donor", "aggregator").filter(pk=donation_id).first()
    if donation is None or org is None or org.pk not in (donation.donor_id, donation.aggregator_id):
        raise NotFound(_("Donasi tidak ditemukan."))
    if decide and org.pk != donation.aggregator_id:
        raise Forbidden(_("Hanya agregator penerima yang dapat memutuskan."))
    return donation


def get_template_for_org(org: Organisation | None, template_id: int) -> PackageTemplate:
    template = PackageTemplate.objects.select_related("aid_type").filter(pk=template_id).first()
    if template is None or org is None or template.aggregator_id != org.pk:
        raise NotFound(_("Paket tidak ditemukan."))
    return template


def get_plan_for_org(org: Organisation | None, plan_id: int) -> AllocationPlan:
    plan = (
        AllocationPlan.objects.select_related("aggregator", "aid_type", "region", "template", "campaign")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None or org is None or plan.aggregator_id != org.pk:
        raise NotFound(_("Rencana alokasi tidak ditemukan."))
    return plan


def acting_org(request: Any) -> Organisation | None:
    """The organisation the logged-in user acts for (accounts' switcher), or None."""
    if not getattr(request.user, "is_authenticated", False):
        return None
    return org_for_request(request)
