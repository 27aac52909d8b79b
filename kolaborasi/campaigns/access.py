"""Who may run campaigns: operators (the coordinating government team) create, open and
close them; the command line acts as the system (no organisation). Everyone may read
the public list."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kolaborasi.accounts.access import is_operator, operator_organisation
from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.core.errors import Forbidden


def can_run_campaigns(organisation: Organisation | None) -> bool:
    return organisation is None or organisation.kind == OrgKind.OPERATOR


def check_can_run_campaigns(organisation: Organisation | None) -> None:
    if not can_run_campaigns(organisation):
        raise Forbidden(_("Hanya operator yang dapat membuat, membuka atau menutup program."))


def campaign_operator(user: Any) -> Organisation | None:
    """The organisation an operator acts for on the campaign pages (their operator
    organisation; None for a superuser outside any, who acts as the system); Forbidden
    for anyone who is not an operator."""
    if not is_operator(user):
        raise Forbidden(_("Halaman ini hanya untuk operator program."))
    return operator_organisation(user)
