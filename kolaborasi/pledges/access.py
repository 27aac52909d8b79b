"""Who may see and change a pledge — in one place, for the web pages (a user, who may
belong to several organisations) and the API (a token, which is one organisation).

Rules (the table in docs/architecture.md points here):
- an organisation sees its own pledges; an operator sees every pledge; a coordinator
  sees the pledges to targets in the regions it covers. Anyone else gets 404 when it
  reads, delivers, extends or cancels, so a pledge's existence and state do not leak;
- record a delivery / extend: the pledging organisation only;
- cancel: the pledging organisation or an operator;
- confirm and dispute (review): an operator or a coordinator covering the target —
  never the pledging organisation nor anyone in it (nobody confirms their own delivery);
- answer a dispute: the pledging organisation only.
Review and answer name their party by role, so every other organisation is told who
may (403 with that sentence), whether or not it can see the pledge: the sentence names
a role, never anything of the pledge. A pledge that does not exist is 404 for everyone.
A visible pledge with a forbidden action answers 403.
A delivery and a dispute answer follow their pledge.
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
# Actions whose party is named by role: anyone else is told who may (403), not that the
# pledge does not exist.
NAMED_PARTY_ACTIONS = (*REVIEW_ACTIONS, "answer")

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


def refusal(
    org: Organisation, pledge: Pledge, action: Action, *, in_pledging_org: bool = False
) -> str | None:
    """Why ``org`` may not do ``action`` on ``pledge``, as the sentence it is told; None
    when it may. ``in_pledging_org``: the person acting also belongs to the pledging
    organisation (through another of their organisations), which rules out a review."""
    own = pledge.organisation_id == org.pk
    if action == "view":
        return None if org_can_see(org, pledge) else _denied_reason(action)
    if action in ("deliver", "extend", "answer"):
        return None if own else _denied_reason(action)
    if action == "cancel":
        return None if own or org.kind == OrgKind.OPERATOR else _denied_reason(action)
    if action in REVIEW_ACTIONS:
        if own or in_pledging_org:
            return _own_review_reason(action)
        if org.kind == OrgKind.OPERATOR or org_covers_target(org, pledge.target):
            return None
        return _denied_reason(action)
    return _denied_reason(action)


def _hidden(action: Action) -> bool:
    """Whether an organisation that cannot see the pledge is told it does not exist."""
    return action not in NAMED_PARTY_ACTIONS


def _pledge(pledge_id: int) -> Pledge:
    pledge = (
        Pledge.objects.select_related("target", "aid_type", "organisation", "need")
        .filter(pk=pledge_id)
        .first()
    )
    if pledge is None:
        raise NotFound(_("Komitmen tidak ditemukan."))
    return pledge


def get_pledge_for_org(org: Organisation, pledge_id: int, *, action: Action = "view") -> Pledge:
    """The pledge if ``org`` may do ``action`` on it; NotFound if there is none or (for
    the actions that hide it) ``org`` may not even see it, Forbidden with the reason
    otherwise."""
    pledge = _pledge(pledge_id)
    if _hidden(action) and not org_can_see(org, pledge):
        raise NotFound(_("Komitmen tidak ditemukan."))
    reason = refusal(org, pledge, action)
    if reason is not None:
        raise Forbidden(reason)
    return pledge


def acting_org_for_user(user: Any, pledge: Pledge, action: Action) -> Organisation:
    """Which of the user's organisations acts on ``pledge`` for ``action``; raises like
    :func:`get_pledge_for_org`. A member of the pledging organisation can never review,
    even through another organisation it also belongs to."""
    orgs = user_organisations(user)
    if _hidden(action) and not any(org_can_see(o, pledge) for o in orgs):
        raise NotFound(_("Komitmen tidak ditemukan."))
    in_pledging_org = any(o.pk == pledge.organisation_id for o in orgs)
    reasons = []
    for org in orgs:
        reason = refusal(org, pledge, action, in_pledging_org=in_pledging_org)
        if reason is None:
            return org
        reasons.append(reason)
    raise Forbidden(reasons[0] if reasons else _denied_reason(action))


def get_pledge_for_user(user: Any, pledge_id: int, *, action: Action = "view") -> tuple[Pledge, Organisation]:
    pledge = _pledge(pledge_id)
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
        "confirm": _("Hanya koordinator wilayah sasaran atau operator yang dapat mengonfirmasi."),
        "dispute": _("Hanya koordinator wilayah sasaran atau operator yang dapat mempersoalkan."),
        "answer": _("Hanya organisasi penyalur yang dapat menjawab persoalan penyaluran."),
    }
    return reasons[action]


def _own_review_reason(action: Action) -> str:
    if action == "dispute":
        return _("Organisasi penyalur tidak dapat mempersoalkan penyalurannya sendiri.")
    return _("Organisasi penyalur tidak dapat mengonfirmasi penyalurannya sendiri.")
