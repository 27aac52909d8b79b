"""Retention of accounts nobody verified (docs/privacy.md). Registering keeps an e-mail
address and a username in an inactive account until its owner follows the link; an
address that was never verified may not even be the registrant's own. After
``UNVERIFIED_ACCOUNT_DAYS`` such an account is removed. Only accounts that never
logged in, belong to no organisation and were made by registration (an invited account
has no password yet and is the inviting operator's to withdraw) are removed; nothing
refers to them but their own e-mail links. Each removal is one audit event that names
the account by its number only."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record

from .models import Membership

BATCH = 200


def unverified_accounts_remove(*, now: dt.datetime | None = None) -> int:
    """Remove the accounts whose verification never came in time; returns how many."""
    User = get_user_model()
    cut = (now or timezone.now()) - dt.timedelta(days=settings.UNVERIFIED_ACCOUNT_DAYS)
    removed = 0
    while True:
        with transaction.atomic():
            due = list(
                User.objects.select_for_update()
                .filter(is_active=False, last_login__isnull=True, date_joined__lt=cut)
                .exclude(pk__in=Membership.objects.values("user_id"))
                # An unusable password (an invitation not yet accepted) starts with "!".
                .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
                .order_by("pk")[:BATCH]
            )
            if not due:
                return removed
            for user in due:
                audit_record(
                    actor=None,
                    actor_label="retensi",
                    action=AuditAction.USER_UNVERIFIED_REMOVED,
                    object_type=User._meta.label_lower,
                    object_id=user.pk,
                    before={"is_active": False, "verified": False},
                    after=None,
                )
                user.delete()
            removed += len(due)
