from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.stats import tally


class Command(BaseCommand):
    help = (
        "Running totals of the public figures (kolaborasi.stats.tally): `stats check` compares "
        "them with the needs, `stats rebuild` recomputes them (after loading rows with triggers off)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "check", help="compare the kelurahan totals with the needs (writes to the needs wait meanwhile)"
        )
        sub.add_parser("rebuild", help="recompute the kelurahan totals from the needs")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "rebuild":
            tally.rebuild()
        differences = tally.drift()
        for (village, aid_type_id), have, want in differences[:20]:
            self.stderr.write(f"{village} aid_type {aid_type_id}: {have} != {want}")
        if differences:
            raise CommandError(
                _("%(count)s total kelurahan berbeda dari kebutuhan; jalankan `kolaborasi stats rebuild`")
                % {"count": len(differences)}
            )
        self.stdout.write(_("total kelurahan sesuai dengan kebutuhan"))
