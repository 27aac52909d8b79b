"""The demo a transactional test gets back after a flush (tests/demo_snapshot.py) is the
database the session set-up made: the same rows, a verifying audit chain, tallies that
agree with the needs, and ids that continue where the demo's end."""

import pytest

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.services import audit_verify
from kolaborasi.stats import tally
from tests import demo_snapshot


@pytest.mark.django_db(transaction=True)
def test_restore_gives_back_exactly_the_set_up_database() -> None:
    session = demo_snapshot.SESSION
    assert session is not None and session.tables["targets_target"][1]
    Organisation.objects.create(name="Dibuat sebelum pemulihan", kind=OrgKind.DONOR)
    demo_snapshot.restore(session)
    assert demo_snapshot.take() == session
    assert audit_verify().ok
    tally.fold()
    assert tally.drift() == []
    # New rows get fresh ids after the restored ones (PostgreSQL's sequences were moved).
    newest = max((row[0] for row in session.tables["accounts_organisation"][1]), default=0)
    assert Organisation.objects.create(name="Baru", kind=OrgKind.DONOR).pk > newest
