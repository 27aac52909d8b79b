import logging
import os
import threading
from argparse import BooleanOptionalAction
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.module_loading import autodiscover_modules

from kolaborasi.core import health
from kolaborasi.core.tasks import SCHEDULE

logger = logging.getLogger(__name__)


def _enqueue_every(task: Any, every: float, stop: threading.Event) -> None:
    """Queue ``task`` now and then every ``every`` seconds; the worker below runs it.
    Queuing (rather than calling) keeps one code path for the job and lets several
    workers share the queue."""
    while not stop.is_set():
        try:
            close_old_connections()
            task.enqueue()
        except Exception:  # the database may be briefly away; try again next round
            logger.exception("could not queue %s", task.name)
        finally:
            connection.close()
        stop.wait(every)


def _beat_every(every: float, stop: threading.Event) -> None:
    """The worker's heartbeat for /readyz, every ``every`` seconds while it runs."""
    while not stop.is_set():
        try:
            close_old_connections()
            health.heartbeat()
        except Exception:  # the database may be briefly away; beat again next round
            logger.exception("could not write the worker's heartbeat")
        finally:
            connection.close()
        stop.wait(every)


class Command(BaseCommand):
    help = "Jalankan pekerja latar: tugas dalam antrean dan pekerjaan berkala (mis. penyapuan kedaluwarsa)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        # Every app's periodic jobs (declared in its tasks module with core.tasks.periodic),
        # each with its option for the interval: --expire-every, --fold-every, --keys-every.
        autodiscover_modules("tasks")
        for job in SCHEDULE.values():
            parser.add_argument(f"--{job.option}", type=float, default=job.seconds, help=job.help)
        parser.add_argument(
            "--reload",
            action=BooleanOptionalAction,
            default=settings.DEBUG,
            help="restart on code changes (default: DEBUG)",
        )

    def handle(self, *args: object, **options: object) -> None:
        stop = threading.Event()
        reload = bool(options["reload"])
        # With the autoreloader the parent only watches files; the child does the work,
        # so only the child schedules sweeps (otherwise every sweep is queued twice).
        in_worker_process = not reload or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        for job in SCHEDULE.values():
            seconds: Any = options[job.option.replace("-", "_")]
            if float(seconds) > 0 and in_worker_process:
                threading.Thread(
                    target=_enqueue_every,
                    args=(job.task, float(seconds), stop),
                    name=job.task.name,
                    daemon=True,
                ).start()
        if in_worker_process:
            every = settings.WORKER_HEARTBEAT_SECONDS
            threading.Thread(target=_beat_every, args=(every, stop), name="heartbeat", daemon=True).start()
        try:
            call_command("db_worker", interval=options["interval"], reload=reload)
        finally:
            stop.set()
