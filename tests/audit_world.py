"""A small audit chain that names a person everywhere the chain may name one, for the
export, erasure and commitment tests: an account an operator created (username, e-mail,
names), the person's own individual donor organisation, a membership, a pledge they
made, an operator's change of their account; and, optionally, events written the way
the release before commitments wrote them (digest version 1, personal data in clear)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import organisation_create, user_saved, user_set_active, user_state
from kolaborasi.audit import personal
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent, AuditHead, AuditSignedHead
from kolaborasi.audit.services import GENESIS, audit_record
from kolaborasi.pledges.services import pledge_create
from tests.audit_support import guard_lifted
from tests.pledges_support import small_world

EMAIL = "sari.rahayu@contoh.id"
USERNAME = "sari.rahayu@contoh.id"
FIRST, LAST = "Sari", "Rahayu"
FULL = "Sari Rahayu"


@dataclass
class World:
    user: Any
    organisation: Organisation


@contextmanager
def before_commitments(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Write events as the release before commitments did: personal data in clear,
    digest version 1."""
    with monkeypatch.context() as patch:
        patch.setattr(personal, "event_commit", lambda event, obj=None: None)
        yield


def legacy_events(monkeypatch: pytest.MonkeyPatch, user: Any) -> None:
    """Two version-1 events: one acted by the person (label in clear), one without any
    personal data."""
    with before_commitments(monkeypatch), transaction.atomic():
        audit_record(actor=user, action=AuditAction.USER_VERIFIED, obj=user, after={"is_active": True})
        audit_record(
            actor=None, action=AuditAction.NEED_CHANGED, object_type="t", object_id="1", after={"n": 1}
        )


def chain_restarted() -> None:
    """An empty chain (the test database's demo chain was written with commitments), as
    the owner of the database could make it: guard lifted."""
    with guard_lifted():
        AuditEvent.objects.all().delete()
        AuditSignedHead.objects.all().delete()
        AuditHead.objects.filter(pk=1).update(seq=0, last_hash=GENESIS, prev_hash=GENESIS)


def build(monkeypatch: pytest.MonkeyPatch | None = None, *, legacy: bool = False) -> World:
    User = get_user_model()
    user = User.objects.create_user(
        username=USERNAME, email=EMAIL, password="x-uji-2026-panjang", first_name=FIRST, last_name=LAST
    )
    if legacy:  # first: the chain was written by the release before, then continued
        assert monkeypatch is not None
        chain_restarted()
        legacy_events(monkeypatch, user)
    with transaction.atomic():
        user_saved(actor=None, user=user, before=None)
    org = organisation_create(
        actor=user,
        name=FULL,
        kind=OrgKind.DONOR,
        subtype=OrgSubtype.INDIVIDUAL,
        verified=True,
        owner=user,
    )
    need = small_world(50)
    pledge_create(
        actor=user,
        organisation=org,
        need=need,
        quantity=3,
        planned_delivery=timezone.localdate() + dt.timedelta(days=3),
        contact_name="Pak Budi",
        contact_phone="081234567890",
    )
    with transaction.atomic():
        before = user_state(user)
        user.first_name = "Sari Dewi"
        user.save()
        user_saved(actor=None, user=user, before=before)
    user_set_active(actor=None, user=user, active=False)
    user_set_active(actor=None, user=user, active=True)
    return World(user=user, organisation=org)
