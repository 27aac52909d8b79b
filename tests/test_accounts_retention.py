"""Accounts whose address was never verified are removed after UNVERIFIED_ACCOUNT_DAYS by
the worker's task (accounts.retention); verified, invited and organisation members'
accounts stay, and the audit chain still verifies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from kolaborasi.accounts.invites import user_invite
from kolaborasi.accounts.models import EmailLink
from kolaborasi.accounts.tasks import unverified_accounts_remove_task
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def register(client: Client, name: str) -> Any:
    response = client.post(
        "/akun/daftar/",
        {
            "username": name,
            "email": f"{name}@contoh.id",
            "password1": "Bantu-warga-2026!",
            "password2": "Bantu-warga-2026!",
        },
    )
    assert response.status_code in (200, 302)
    return get_user_model().objects.get(email=f"{name}@contoh.id")


def age(user: Any, days: int) -> None:
    get_user_model().objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(days=days))


def test_only_accounts_never_verified_in_time_are_removed(
    client: Client, personas: dict[str, Any], settings: Any
) -> None:
    settings.UNVERIFIED_ACCOUNT_DAYS = 30
    User = get_user_model()
    late = register(client, "lupa_verifikasi")
    recent = register(client, "baru_daftar")
    assert not late.is_active and EmailLink.objects.filter(user=late).exists()
    age(late, 31)
    age(recent, 29)
    # Invited and not yet accepted: the operator's to withdraw, not the sweep's.
    invited = user_invite(
        actor=personas["oki"].user,
        email="ketua.rw@contoh.id",
        organisation=personas["ratna"].organisation,
        site_url="http://testserver/",
    ).user
    age(invited, 90)
    # A verified person who has been around for long.
    age(personas["dina"].user, 400)
    events = AuditEvent.objects.count()

    assert unverified_accounts_remove_task.call() == {"removed": 1}
    assert not User.objects.filter(pk=late.pk).exists()
    assert not EmailLink.objects.filter(user_id=late.pk).exists()
    assert User.objects.filter(pk__in=[recent.pk, invited.pk, personas["dina"].user.pk]).count() == 3
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == events + 1
    assert event is not None and event.action == "user.unverified_removed" and event.object_id == str(late.pk)
    assert "lupa_verifikasi" not in str(event.before) + str(event.after) + event.actor_label
    assert audit_verify().ok
    assert unverified_accounts_remove_task.call() == {"removed": 0}
