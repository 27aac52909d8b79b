import pytest
from django.core.management.base import CommandError

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_record, audit_verify
from tests.audit_support import guard_lifted

pytestmark = pytest.mark.django_db


def test_chain_verifies_and_names_the_first_tampered_event(run_cli) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        audit_record(
            actor=None,
            action=AuditAction.NEED_CHANGED,
            object_type="t",
            object_id=i,
            before={"n": i},
            after={"n": i + 1},
        )
    out, _ = run_cli("audit", "verify")
    assert "audit chain OK" in out
    events = list(AuditEvent.objects.order_by("seq"))
    victim = events[-2]
    with guard_lifted():
        AuditEvent.objects.filter(pk=victim.pk).update(after={"n": 999})
    report = audit_verify()
    assert report.broken_seq == victim.seq
    with pytest.raises(CommandError, match=f"#{victim.seq}"):
        run_cli("audit", "verify")


def test_deleted_event_is_detected() -> None:
    for i in range(3):
        audit_record(actor=None, action=AuditAction.NEED_CHANGED, object_type="t", object_id=i)
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    with guard_lifted():
        AuditEvent.objects.filter(pk=last.pk).delete()
    assert audit_verify().broken_seq == last.seq
