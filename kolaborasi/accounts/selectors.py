"""Reads about accounts and organisations that more than one caller needs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

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
