"""`kolaborasi campaign create ...` / `kolaborasi campaign close SLUG` (a public contract).

``create`` opens a campaign over the given regions collecting the given aid types, with
one need per target and aid type computed from the targets' latest counts, and prints
one line of JSON, {"id": ..., "slug": "..."}. With ``--needs FILE.csv`` the needs are
instead exactly the file's rows (``target,aid_type,quantity``), every bad row named on
stderr. All or nothing: an unknown region or aid type, a bad date or any bad row
changes nothing and exits non-zero naming the option or the rows. ``close``
closes the campaign for good (no new pledges or deliveries) and prints the same JSON
with its status."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.campaigns.errors import CampaignInputError
from kolaborasi.campaigns.selectors import campaign_by_slug
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.core.errors import AppError, ImportRejected
from kolaborasi.targets.campaigns import campaign_start

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FLAGS = {
    "region": "--region",
    "aid_type": "--aid-type",
    "name": "--name",
    "start": "--start",
    "end": "--end",
    "description": "--description",
}


def _date(flag: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(flag)s: '%(value)s' bukan tanggal YYYY-MM-DD.") % {"flag": flag, "value": value}
        ) from None


class Command(BaseCommand):
    help = (
        "Campaigns: `campaign create --name N --region CODE... --aid-type SLUG... --start D` "
        "and `campaign close SLUG`, each printing JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create", help="open a campaign with needs from the latest counts; print its id and slug"
        )
        create.add_argument("--name", required=True)
        create.add_argument(
            "--region", nargs="+", action="extend", required=True, dest="regions", help="region code(s)"
        )
        create.add_argument(
            "--aid-type", nargs="+", action="extend", required=True, dest="aid_types", help="aid type slug(s)"
        )
        create.add_argument("--start", required=True, help="YYYY-MM-DD")
        create.add_argument("--end", default=None, help="YYYY-MM-DD (optional)")
        create.add_argument("--description", default="")
        create.add_argument(
            "--needs",
            type=Path,
            default=None,
            help="CSV target,aid_type,quantity: the campaign's needs exactly (instead of the latest counts)",
        )
        close = sub.add_parser("close", help="close a campaign: no new pledges or deliveries")
        close.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                start = _date("--start", options["start"])
                end = _date("--end", options["end"])
                assert start is not None
                needs: Path | None = options["needs"]
                if needs is not None and not needs.is_file():
                    raise CommandError(_("--needs: berkas tidak ditemukan: %(path)s") % {"path": needs})
                try:
                    campaign = campaign_start(
                        actor=None,
                        name=options["name"],
                        region_codes=options["regions"],
                        aid_type_slugs=options["aid_types"],
                        start=start,
                        end=end,
                        description=options["description"],
                        needs_csv=needs.read_bytes() if needs is not None else None,
                        needs_label=needs.name if needs is not None else "",
                    )
                except ImportRejected as exc:
                    assert needs is not None
                    for error in exc.errors:
                        self.stderr.write(f"{needs.name}: {error}")
                    raise CommandError(f"--needs: {exc}") from None
                self.stdout.write(json.dumps({"id": campaign.pk, "slug": campaign.slug}))
                return
            found = campaign_by_slug(options["slug"])
            if found is None:
                raise CommandError(_("Program dengan kode %(slug)s tidak ada.") % {"slug": options["slug"]})
            closed = campaign_close(actor=None, campaign=found)
            self.stdout.write(json.dumps({"id": closed.pk, "slug": closed.slug, "status": closed.status}))
        except CampaignInputError as exc:
            raise CommandError(f"{FLAGS.get(exc.field, exc.field)}: {exc.message}") from exc
        except AppError as exc:
            raise CommandError(str(exc.message)) from exc
