"""Background jobs (django.tasks; the database backend's worker runs them) and the
schedule of the periodic ones.

Each app declares its periodic jobs in its own ``tasks`` module with :func:`periodic`;
``kolaborasi worker`` imports the ``tasks`` module of every installed app and queues
each job at its interval (an option of the command). So core, which runs the schedule,
names none of the apps whose jobs it runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.tasks import Task, task

from .once import keys_expire


@dataclass(frozen=True)
class Periodic:
    task: Task[Any, Any]
    option: str  # the worker's option for the interval, e.g. "keys-every"
    seconds: float  # the default interval; 0 on the command line: not scheduled
    help: str


SCHEDULE: dict[str, Periodic] = {}


def periodic(job: Task[Any, Any], *, option: str, seconds: float, help: str) -> Task[Any, Any]:
    """Have ``kolaborasi worker`` queue ``job`` every ``seconds`` (``--<option>``)."""
    SCHEDULE[option] = Periodic(task=job, option=option, seconds=seconds, help=help)
    return job


@task()
def keys_expire_task() -> dict[str, int]:
    """Remove expired one-time form keys and API idempotency records."""
    return {"removed": keys_expire()}


periodic(
    keys_expire_task,
    option="keys-every",
    seconds=3600.0,
    help="seconds between removals of expired one-time form keys and API idempotency records "
    "(0: do not schedule them)",
)
