"""The database itself refuses to change history (kolaborasi.audit.guard): an UPDATE or a
DELETE of an audit event or a signed head, through the ORM or in plain SQL, is refused on
SQLite and on PostgreSQL and changes nothing. Only a wipe of the whole database
(`kolaborasi flush`, the operator's deliberate act) empties the audit tables, and the
guard is back in place after it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent, AuditHead, AuditSignedHead
from kolaborasi.audit.services import audit_record, audit_verify
from kolaborasi.audit.signing import sign

REFUSED = "append-only"


def _events(n: int) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(
                actor=None, action=AuditAction.NEED_CHANGED, object_type="t", object_id=i, after={"n": i}
            )
            for i in range(n)
        ]


def _signed_head() -> AuditSignedHead:
    at = timezone.now().replace(microsecond=0)
    return AuditSignedHead.objects.create(seq=0, hash="0" * 64, at=at, signature=sign(0, "0" * 64, at))


def _rows(model: type[AuditEvent] | type[AuditSignedHead]) -> list[tuple[object, ...]]:
    fields = [f.attname for f in model._meta.concrete_fields]
    return list(model.objects.order_by("pk").values_list(*fields))


def _refused(statement) -> None:  # type: ignore[no-untyped-def]
    # A savepoint of its own: on PostgreSQL a refused statement ends the transaction it ran in.
    with pytest.raises(IntegrityError, match=REFUSED), transaction.atomic():
        statement()


def _sql(sql: str, params: list[int | str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_updating_or_deleting_an_event_is_refused_and_changes_nothing() -> None:
    first, victim, _last = _events(3)
    before = _rows(AuditEvent)

    victim.after = {"n": 999}
    _refused(victim.save)
    _refused(lambda: AuditEvent.objects.filter(pk=victim.pk).update(after={"n": 999}))
    _refused(lambda: AuditEvent.objects.filter(seq__gte=first.seq).update(actor_label="mallory"))
    _refused(victim.delete)
    _refused(lambda: AuditEvent.objects.filter(pk=victim.pk).delete())
    _refused(
        lambda: _sql("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["mallory", victim.pk])
    )
    _refused(lambda: _sql("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk]))
    _refused(lambda: _sql("DELETE FROM audit_auditevent", []))

    assert _rows(AuditEvent) == before
    assert audit_verify().ok
    # Appending is what the log is for, and stays allowed.
    _events(1)
    assert AuditEvent.objects.count() == len(before) + 1
    assert audit_verify().ok


@pytest.mark.django_db
def test_updating_or_deleting_a_signed_head_is_refused_and_changes_nothing() -> None:
    head = _signed_head()
    before = _rows(AuditSignedHead)

    head.seq = 5
    _refused(head.save)
    _refused(lambda: AuditSignedHead.objects.filter(pk=head.pk).update(hash="f" * 64))
    _refused(head.delete)
    _refused(lambda: AuditSignedHead.objects.all().delete())
    _refused(lambda: _sql("UPDATE audit_auditsignedhead SET seq = %s WHERE id = %s", [5, head.pk]))
    _refused(lambda: _sql("DELETE FROM audit_auditsignedhead WHERE id = %s", [head.pk]))

    assert _rows(AuditSignedHead) == before


@pytest.mark.django_db(transaction=True)
def test_flush_wipes_the_whole_database_and_leaves_the_guard_in_place() -> None:
    # An earlier transactional test on this worker may have wiped the head row too.
    AuditHead.objects.get_or_create(pk=1)
    _events(2)
    _signed_head()
    # As the test-suite's own reset between transactional tests runs it (`kolaborasi flush
    # --no-input` also restarts the ids, which the demo's restore after this test would
    # then collide with).
    call_command("flush", interactive=False, reset_sequences=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not AuditSignedHead.objects.exists()
    assert not AuditHead.objects.exists()  # every table, like Django's flush

    AuditHead.objects.create(pk=1)  # what migration audit 0002 writes
    event = _events(1)[0]
    head = _signed_head()
    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    _refused(lambda: AuditSignedHead.objects.filter(pk=head.pk).update(seq=1))
    assert AuditEvent.objects.count() == AuditSignedHead.objects.count() == 1
