"""The pledges' part in a person's data export and erasure (``accounts.erasure``): the
delivery contact (name and phone) of the pledges the person made. Erased, the pledge
stays as the organisation's record, without a contact; the organisation gives a new
one when it delivers."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kolaborasi.accounts.erasure import personal_data_erased, personal_data_exported

from .models import Pledge


def _with_contact(user: Any) -> Any:
    return Pledge.objects.filter(created_by=user).exclude(contact_name="", contact_phone="")


@receiver(personal_data_exported, dispatch_uid="pledges.contacts_exported")
def contacts_exported(sender: Any, user: Any, **_kwargs: Any) -> dict[str, Any]:
    rows = _with_contact(user).order_by("pk").values("pk", "contact_name", "contact_phone")
    return {
        "pledge_contacts": [
            {"pledge": r["pk"], "contact_name": r["contact_name"], "contact_phone": r["contact_phone"]}
            for r in rows
        ]
    }


@receiver(personal_data_erased, dispatch_uid="pledges.contacts_erased")
def contacts_erased(sender: Any, user: Any, **_kwargs: Any) -> dict[str, Any]:
    return {"pledge_contacts_erased": _with_contact(user).update(contact_name="", contact_phone="")}
