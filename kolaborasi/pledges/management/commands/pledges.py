import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.pledges.expiry import pledges_expire


class Command(BaseCommand):
    help = "Komitmen: `pledges expire [--today YYYY-MM-DD]` menjalankan penyapuan kedaluwarsa sekali."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        expire = sub.add_parser("expire", help="release overdue pledges and send reminders once")
        expire.add_argument("--today", default="", help="the date to sweep as (default: today)")

    def handle(self, *args: object, **options: object) -> None:
        today = None
        if options.get("today"):
            try:
                today = dt.date.fromisoformat(str(options["today"]))
            except ValueError as exc:
                raise CommandError(
                    _("--today %(value)r: bukan tanggal YYYY-MM-DD") % {"value": options["today"]}
                ) from exc
        report = pledges_expire(today=today)
        self.stdout.write(
            json.dumps(
                {
                    "expired": report.expired,
                    "reminded": report.reminded,
                    "released_units": report.released_units,
                }
            )
        )
