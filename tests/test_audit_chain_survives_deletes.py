"""Nothing legitimate breaks the chain: an event keeps its actor's and organisation's ids
as plain values, so deactivating people (the product's way), and even deleting a row
straight in the database, leaves every link verifying."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from kolaborasi.accounts.models import Organisation
from kolaborasi.accounts.services import membership_create, organisation_create, user_set_active
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_record, audit_verify, content_digest
from tests.audit_support import guard_lifted
from tests.personas import PASSWORD, login

pytestmark = pytest.mark.django_db


def _verify(run_cli) -> str:  # type: ignore[no-untyped-def]
    out, _err = run_cli("audit", "verify")
    return out


def test_deleting_a_user_or_organisation_row_keeps_the_chain(run_cli, personas) -> None:  # type: ignore[no-untyped-def]
    oki = personas["oki"]
    person = get_user_model().objects.create_user("sementara", "sementara@example.org", PASSWORD)
    org = organisation_create(actor=person, name="Yayasan Sementara", kind="donor", owner=person)
    with transaction.atomic():
        audit_record(
            actor=person, action=AuditAction.ORGANISATION_CHANGED, obj=org, organisation=org, after={"n": 1}
        )
    membership_create(actor=oki.user, organisation=org, user=personas["luar"].user, role="member")
    ids = (person.pk, org.pk)
    recorded = list(AuditEvent.objects.filter(actor_id=person.pk).values_list("seq", flat=True))
    assert len(recorded) >= 3  # created, membership added, the note
    assert audit_verify().ok

    # Straight in the database, past every service: the events keep their ids.
    person.delete()
    Organisation.objects.filter(pk=org.pk).delete()
    assert AuditEvent.objects.filter(actor_id=ids[0]).count() == len(recorded)
    assert AuditEvent.objects.filter(organisation_id=ids[1]).exists()
    report = audit_verify()
    assert report.ok, report
    assert "audit chain OK" in _verify(run_cli)


def test_an_edited_id_still_breaks_the_chain(run_cli, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    with transaction.atomic():
        event = audit_record(
            actor=dina.user, action=AuditAction.ORGANISATION_CHANGED, organisation=dina.organisation, after={}
        )
    with guard_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(actor_id=personas["luar"].user.pk)
    report = audit_verify()
    assert report.broken_seq == event.seq
    with pytest.raises(CommandError):
        run_cli("audit", "verify")


def test_deactivating_through_the_product_keeps_the_chain(client: Client, run_cli, personas) -> None:  # type: ignore[no-untyped-def]
    oki, dina, luar = personas["oki"], personas["dina"], personas["luar"]
    # The service (used by the admin's action) ...
    assert user_set_active(actor=oki.user, user=dina.user, active=False) is True
    # ... and the admin, whose delete paths are refused.
    oki.user.is_staff = oki.user.is_superuser = True
    oki.user.save()
    login(client, oki)
    assert (
        client.post(
            "/admin/auth/user/", {"action": "deactivate", "_selected_action": [luar.user.pk]}
        ).status_code
        == 302
    )
    assert client.post(f"/admin/auth/user/{luar.user.pk}/delete/", {"post": "yes"}).status_code == 403
    org = dina.organisation
    assert client.post(f"/admin/accounts/organisation/{org.pk}/delete/", {"post": "yes"}).status_code == 403
    assert get_user_model().objects.filter(pk=luar.user.pk, is_active=False).exists()
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert "audit chain OK" in _verify(run_cli)


def test_the_digest_keeps_its_keys_and_values() -> None:
    """Plain ids hash exactly as the foreign keys' ids did: the same keys, the same
    values, so every chain written before the change still verifies."""
    at = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
    event = AuditEvent(
        created_at=at,
        actor_id=7,
        actor_label="oki",
        organisation_id=3,
        action="need.update",
        object_type="targets.target",
        object_id="42",
        before={"size": 1},
        after={"size": 2, "reason": "koreksi"},
    )
    fields = {
        "created_at": at.isoformat(),
        "actor_id": 7,
        "actor_label": "oki",
        "organisation_id": 3,
        "action": "need.update",
        "object_type": "targets.target",
        "object_id": "42",
        "before": {"size": 1},
        "after": {"size": 2, "reason": "koreksi"},
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content_digest(event) == hashlib.sha256(canonical.encode()).hexdigest()
