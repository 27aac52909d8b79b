"""Who may see and change what in accounts, in one place (tested as a matrix).

Conventions: an organisation that the user may not see answers 404 (its existence is
not revealed); one the user may see but not change answers 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from kolaborasi.core.errors import NotFound
from kolaborasi.core.throttle import KeyFunc
from kolaborasi.regions.models import lineage

from .models import Membership, Organisation, OrgKind, Role
from .selectors import user_organisations

# Session key holding the id of the organisation a user is acting for.
ACTIVE_ORG_SESSION_KEY = "active_organisation_id"


def is_operator(user: Any) -> bool:
    """Operators are members (any role) of an operator organisation; superusers count too."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, organisation__kind=OrgKind.OPERATOR).exists()


def operator_organisation(user: Any) -> Organisation | None:
    """The operator organisation ``user`` acts for outside the pages (the admin): the
    first by name they are a member of, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Organisation.objects.filter(kind=OrgKind.OPERATOR, memberships__user=user).order_by("name").first()


def membership_for(user: Any, organisation: Organisation) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, organisation=organisation).first()


def org_for_request(request: HttpRequest) -> Organisation | None:
    """The organisation the logged-in user acts for: the one chosen with the switcher
    (kept in the session) if the user still belongs to it, otherwise the first by name."""
    orgs = list(user_organisations(request.user))
    if not orgs:
        return None
    chosen = request.session.get(ACTIVE_ORG_SESSION_KEY)
    for org in orgs:
        if org.pk == chosen:
            return org
    return orgs[0]


def by_active_organisation(request: HttpRequest) -> str | None:
    """Throttle key (``core.throttle``): the organisation a logged-in person acts for
    (pages); None for nobody."""
    if not request.user.is_authenticated:
        return None
    org = org_for_request(request)
    return None if org is None else f"org:{org.pk}"


# One sentence for "no such organisation" and "not one you may see": the two are not told
# apart to someone outside it.
ORGANISATION_NOT_FOUND = gettext_lazy("Organisasi ini tidak ada, atau Anda bukan anggotanya.")


def by_active_organisation_uploading(field: str) -> KeyFunc:
    """Throttle key: the acting organisation, for requests that carry a file in
    ``field`` only."""

    def key(request: HttpRequest) -> str | None:
        return by_active_organisation(request) if field in request.FILES else None

    return key


def org_set_active(request: HttpRequest, organisation_id: int) -> Organisation:
    """Switch the acting organisation; 404 unless the user belongs to it."""
    org = user_organisations(request.user).filter(pk=organisation_id).first()
    if org is None:
        raise NotFound(ORGANISATION_NOT_FOUND)
    request.session[ACTIVE_ORG_SESSION_KEY] = org.pk
    return org


def require_membership(user: Any, organisation: Organisation, *, role: str | None = None) -> Membership:
    """The user's membership; PermissionDenied unless a member (with ``role`` if given)."""
    membership = membership_for(user, organisation)
    if membership is None:
        raise PermissionDenied(gettext("Anda bukan anggota organisasi ini."))
    if role is not None and membership.role != role:
        raise PermissionDenied(
            gettext("Hanya anggota dengan peran %(role)s yang dapat melakukan ini.")
            % {"role": Role(role).label}
        )
    return membership


def get_organisation_for_user(user: Any, organisation_id: int, *, write: bool = False) -> Organisation:
    """Members and operators may see an organisation's page (others: 404); only its
    owners may change it (add members, create or revoke tokens; others: 403)."""
    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None:
        raise NotFound(ORGANISATION_NOT_FOUND)
    membership = membership_for(user, org)
    if membership is None and not is_operator(user):
        raise NotFound(ORGANISATION_NOT_FOUND)
    if write and (membership is None or membership.role != Role.OWNER):
        raise PermissionDenied(gettext("Hanya pemilik organisasi yang dapat mengubahnya."))
    return org


def region_covered(region_codes: list[str], region_code: str) -> bool:
    """True if ``region_code`` is one of ``region_codes`` or lies under one of them."""
    above = set(lineage(region_code))
    return any(code in above for code in region_codes)


def coordinator_covers(org: Organisation | None, region_code: str) -> bool:
    """A coordinator covers a region if any of its regions is that region or an ancestor
    of it (a kelurahan coordinator covers every RW in the kelurahan)."""
    if org is None or org.kind != OrgKind.COORDINATOR:
        return False
    codes = [r.code for r in org.regions.all()]
    return region_covered(codes, region_code)


def second_factor_required(user: Any) -> bool:
    """Operators (and staff, who reach the admin) and everyone in an aggregator
    organisation — the people who verify who receives money, and those who confirm,
    spend and refund it (any member may) — must log in with a second factor."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return (
        Membership.objects.filter(user=user)
        .filter(organisation__kind__in=[OrgKind.OPERATOR, OrgKind.AGGREGATOR])
        .exists()
    )
