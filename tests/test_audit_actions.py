"""Audit event kinds are one enumeration (audit.actions.AuditAction) with names of one
shape; nothing else can be written, and events written under an older name keep their
name (their hash covers it), keep verifying and are still found by their kind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction

from kolaborasi.audit.actions import LEGACY, AuditAction, action_of, names_of
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_record, audit_verify

PACKAGE = Path(__file__).resolve().parent.parent / "kolaborasi"
NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")
# The last word says what happened, in the past tense.
PAST = re.compile(r"(ed|added|set|used|removed|reset|answered|sent)$")


def test_names_have_one_shape_and_old_names_map_to_a_kind() -> None:
    for kind in AuditAction:
        assert NAME.match(kind.value), kind
        assert PAST.search(kind.value.split(".", 1)[1].split("_")[-1]), kind
    assert not set(LEGACY) & set(AuditAction.values)
    assert all(action_of(old) is kind for old, kind in LEGACY.items())
    assert names_of(AuditAction.NEED_CHANGED) == ["need.changed", "need.update"]
    assert action_of("sesuatu.terjadi") is None


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_and_writes_nothing() -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        audit_record(actor=None, action="pledge.create", object_type="x", object_id=1)  # type: ignore[arg-type]
    assert AuditEvent.objects.count() == events
    assert audit_verify().ok


def test_no_code_writes_a_name_outside_the_enumeration() -> None:
    """Every audit_record call names its kind through AuditAction, so a reader finds
    every kind in one list."""
    literal = re.compile(r"""action=(f?["'][a-z_]+\.)""")
    found = [
        f"{path.relative_to(PACKAGE)}: {match.group(0)}"
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        for match in literal.finditer(path.read_text())
    ]
    assert not found, found
