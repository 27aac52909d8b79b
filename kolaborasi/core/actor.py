"""Who acts on a service: a signed-in person, an anonymous visitor, or nobody (an API
token's request or the worker, which name their organisation instead)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

type Actor = User | AnonymousUser | None


def acting_user(actor: Actor) -> User | None:
    """The person who acted, or None when no one signed in did."""
    if actor is not None and actor.is_authenticated:
        return actor
    return None
