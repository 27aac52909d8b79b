"""Who may see and change a pledge — in one place, for the web pages (a user, who may
belong to several organisations) and the API (a token, which is one organisation).

Rules (the table in docs/architecture.md points here):
- an organisation sees its own pledges; an operator sees every pledge; a coordinator
  sees the pledges to targets in the regions it covers. Anyone else gets 404, so a
  pledge's existence does not leak.
- record a delivery / extend: the pledging organisation only;
- cancel: the pledging organisation or an operator;
- confirm and dispute (review): an operator or a coordinator covering the target —
  never a member of the pledging organisation (nobody confirms their own delivery);
- answer a dispute: the pledging organisation only.
A delivery and a dispute answer follow their pledge.
A visible pledge with a forbidden action answers 403.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from kolaborasi.accounts import selectors as accounts_selectors
from kolaborasi.accounts.access import coordinator_covers
from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.core.errors import Forbidden, NotFound
from kolaborasi.targets.models import Target, within_any_q

from .models import Delivery, Pledge, Review

Action = Literal["view", "deliver", "extend", "cancel", "confirm", "dispute", "answer"]

# The receiving side's actions: never by anyone in the pledging organisation.
REVIEW_ACTIONS = ("confirm", "dispute")

PLEDGING_KINDS = (OrgKind.DONOR, OrgKind.AGGREGATOR)


def user_organisations(user: Any) -> list[Organisation]:
    """Organisations the user belongs to (any role), by name."""
    return list(accounts_selectors.user_organisations(user))


def covered_codes(org: Organisation) -> list[str]:
    if org.kind != OrgKind.COORDINATOR:
        return []
    return list(org.regions.values_list("code", flat=True))


def org_covers_target(org: Organisation, target: Target) -> bool:
    """A coordinator covers a target when one of its regions is the target's RW or any
    region above it (kelurahan, kecamatan, kota, provinsi) — accounts' one rule."""
    return coordinator_covers(org, target.region_id)


def org_can_see(org: Organisation, pledge: Pledge) -> bool:
    if pledge.organisation_id == org.pk or org.kind == OrgKind.OPERATOR:
        return True
    return org_covers_target(org, pledge.target)


def org_can(org: Organisation, pledge: Pledge, action: Action) -> bool:
    own = pledge.organisation_id == org.pk
    if action == "view":
        return org_can_see(org, pledge)
    if action in ("deliver", "extend", "answer"):
        return own
    if action == "cancel":
        return own or org.kind == OrgKind.OPERATOR
    if action in REVIEW_ACTIONS:
        if own:
            return False
        return org.kind == OrgKind.OPERATOR or org_covers_target(org, pledge.target)
    return False


def get_pledge_for_org(org: Organisation, pledge_id: int, *, action: Action = "view") -> Pledge:
    """The pledge if ``org`` may do ``action`` on it; NotFound if it may not even see it,
    Forbidden if it sees it but the action is not its role."""
    pledge = (
        Pledge.objects.select_related("target", "aid_type", "organisation", "need")
        .filter(pk=pledge_id)
        .first()
    )
    if pledge is None or not org_can_see(org, pledge):
        raise NotFound(_("Komitmen tidak ditemukan."))
    if not org_can(org, pledge, action):
        raise Forbidden(_denied_reason(action))
    return pledge


def acting_org_for_user(user: Any, pledge: Pledge, action: Action) -> Organisation:
    """Which of the user's organisations acts on ``pledge`` for ``action``; raises like
    :func:`get_pledge_for_org`. A member of the pledging organisation can never confirm,
    even through another organisation it also belongs to."""
    orgs = user_organisations(user)
    visible = [o for o in orgs if org_can_see(o, pledge)]
    if not visible:
        raise NotFound(_("Komitmen tidak ditemukan."))
    if action in REVIEW_ACTIONS and any(o.pk == pledge.organisation_id for o in orgs):
        raise Forbidden(_denied_reason(action))
    for org in visible:
        if org_can(org, pledge, action):
            return org
    raise Forbidden(_denied_reason(action))


def get_pledge_for_user(user: Any, pledge_id: int, *, action: Action = "view") -> tuple[Pledge, Organisation]:
    pledge = (
        Pledge.objects.select_related("target", "aid_type", "organisation", "need")
        .filter(pk=pledge_id)
        .first()
    )
    if pledge is None:
        raise NotFound(_("Komitmen tidak ditemukan."))
    return pledge, acting_org_for_user(user, pledge, action)


def get_delivery_for_user(
    user: Any, delivery_id: int, *, action: Action = "view"
) -> tuple[Delivery, Organisation]:
    """A delivery and the user's organisation acting on it, by its pledge's rules."""
    delivery = Delivery.objects.select_related("pledge").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(_("Penyaluran tidak ditemukan."))
    pledge, org = get_pledge_for_user(user, delivery.pledge_id, action=action)
    delivery.pledge = pledge
    return delivery, org


def pledging_orgs(user: Any) -> list[Organisation]:
    """The user's organisations that may pledge (donors and aggregators)."""
    return [o for o in user_organisations(user) if o.kind in PLEDGING_KINDS]


def confirmable_pledges_for_org(org: Organisation) -> QuerySet[Pledge]:
    """Pledges with delivered units not yet confirmed that ``org`` may confirm."""
    qs = Pledge.objects.filter(confirmed__lt=F("delivered")).exclude(organisation=org)
    if org.kind == OrgKind.OPERATOR:
        return qs
    if org.kind == OrgKind.COORDINATOR:
        return qs.filter(within_any_q(covered_codes(org), "target__"))
    return qs.none()


def open_disputes_for_org(org: Organisation) -> QuerySet[Delivery]:
    """Deliveries under an open dispute that ``org`` may review: every one for an
    operator, those to targets it covers for a coordinator."""
    qs = Delivery.objects.filter(review=Review.DISPUTED)
    if org.kind == OrgKind.OPERATOR:
        return qs
    if org.kind == OrgKind.COORDINATOR:
        return qs.filter(within_any_q(covered_codes(org), "pledge__target__")).exclude(
            pledge__organisation=org
        )
    return qs.none()


def _denied_reason(action: Action) -> str:
    reasons = {
        "view": _("Anda tidak boleh melihat komitmen ini."),
        "deliver": _("Hanya organisasi pemberi komitmen yang mencatat penyaluran."),
        "extend": _("Hanya organisasi pemberi komitmen yang dapat memperpanjang."),
        "cancel": _("Hanya organisasi pemberi komitmen atau operator yang dapat membatalkan."),
        "confirm": _(
            "Hanya koordinator wilayah sasaran atau operator, dan bukan anggota organisasi penyalur, "
            "yang dapat mengonfirmasi."
        ),
        "dispute": _(
            "Hanya koordinator wilayah sasaran atau operator, dan bukan anggota organisasi penyalur, "
            "yang dapat mempersoalkan penyaluran."
        ),
        "answer": _("Hanya organisasi penyalur yang dapat menjawab persoalan penyaluran."),
    }
    return reasons[action]
