"""`kolaborasi worker` queues every app's periodic jobs, which each app declares in its
own tasks module (core names none of them)."""

from __future__ import annotations

from kolaborasi.accounts.tasks import unverified_accounts_remove_task
from kolaborasi.audit.tasks import audit_head_sign_task
from kolaborasi.core.management.commands.worker import Command
from kolaborasi.core.tasks import SCHEDULE, keys_expire_task
from kolaborasi.pledges.tasks import evidence_expire_task, pledges_expire_task
from kolaborasi.stats.tasks import tally_fold_task


def test_the_worker_has_an_interval_option_for_each_periodic_job() -> None:
    options = Command().create_parser("kolaborasi", "worker").parse_args([])
    assert (options.expire_every, options.fold_every, options.keys_every) == (600.0, 60.0, 3600.0)
    # The chain's head is looked at every 10 s and signed when it moved or its last
    # signature is a minute old: never much more than a minute without one.
    assert options.sign_every == 10.0
    assert {job.option: job.task for job in SCHEDULE.values()} == {
        "evidence-every": evidence_expire_task,
        "sign-every": audit_head_sign_task,
        "expire-every": pledges_expire_task,
        "fold-every": tally_fold_task,
        "keys-every": keys_expire_task,
        "unverified-every": unverified_accounts_remove_task,
    }
    changed = Command().create_parser("kolaborasi", "worker").parse_args(["--fold-every", "0"])
    assert changed.fold_every == 0.0
