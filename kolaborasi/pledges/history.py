"""A pledge's audit events: the state written down before and after each change, and who
acted (a person, or the organisation whose API token was used)."""

from __future__ import annotations

from typing import Any

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot as model_snapshot
from kolaborasi.core.actor import Actor, acting_user

from .models import Pledge

PLEDGE_STATE = (
    "status",
    "quantity",
    "delivered",
    "confirmed",
    "released",
    "disputed",
    "planned_delivery",
    "need",
    "organisation",
)


def snapshot(pledge: Pledge) -> dict[str, Any]:
    return model_snapshot(pledge, PLEDGE_STATE)


def token_label(actor: Actor, organisation: Organisation | None) -> str:
    """Who acted, when no user did: the organisation whose API token was used."""
    if acting_user(actor) is None and organisation is not None:
        return f"token:{organisation.pk}"
    return ""


def audit(
    actor: Actor, organisation: Organisation | None, action: AuditAction, pledge: Pledge, before: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=pledge,
        before=before,
        after=snapshot(pledge),
        organisation=organisation,
        actor_label=token_label(actor, organisation),
    )
