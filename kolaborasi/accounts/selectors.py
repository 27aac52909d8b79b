"""Reads about accounts and organisations that more than one caller needs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext

from kolaborasi.regions.models import Region
from kolaborasi.regions.picker import describe_short

from .models import ApiToken, Membership, Organisation, OrgKind


def user_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations ``user`` belongs to (any role), by name; none for anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(memberships__user=user).prefetch_related("regions").order_by("name", "id")
    )


def user_memberships(user: Any) -> QuerySet[Membership]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id")
    )


def organisation_members(organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("-role", "user__username")


def organisation_tokens(organisation: Organisation) -> QuerySet[ApiToken]:
    return organisation.api_tokens.all()


def aggregators_unverified() -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(kind=OrgKind.AGGREGATOR, verified=False)
        .prefetch_related("memberships__user")
        .order_by("created_at", "id")
    )


def operator_organisations_for(user: Any) -> QuerySet[Organisation]:
    """Operator organisations ``user`` may invite people into: their own (a superuser
    who belongs to none: every one)."""
    orgs = Organisation.objects.filter(kind=OrgKind.OPERATOR).order_by("name", "id")
    mine = orgs.filter(memberships__user=user)
    if getattr(user, "is_superuser", False) and not mine.exists():
        return orgs
    return mine


def regions_by_code(codes: list[str]) -> dict[str, Region]:
    return {r.code: r for r in Region.objects.select_related("parent").filter(code__in=codes)}


def coordinator_default_name(codes: list[str]) -> str:
    """A coordinator organisation's name from its areas, when the operator gave none:
    "Koordinator RW 005 Kel. Cipulir", "… dan 2 wilayah lain"."""
    if not codes:
        return ""
    first = regions_by_code(codes[:1]).get(codes[0])
    # An unknown code is named as it is; creating the organisation refuses it.
    label = codes[0] if first is None else describe_short(first)
    if first is not None and first.parent is not None and first.level == "rw":
        label = f"{label} {describe_short(first.parent)}"
    more = len(codes) - 1
    name = gettext("Koordinator %(place)s") % {"place": label}
    if more:
        name += " " + ngettext("dan %(n)s wilayah lain", "dan %(n)s wilayah lain", more) % {"n": more}
    return name
