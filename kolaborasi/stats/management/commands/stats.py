from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.campaigns.selectors import campaign_by_slug
from kolaborasi.stats import tally


class Command(BaseCommand):
    help = (
        "Running totals of the public figures (kolaborasi.stats.tally), per campaign: `stats check` "
        "compares them with the needs, `stats rebuild` recomputes them (after loading rows with "
        "triggers off). Every campaign, or one with --campaign SLUG."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "check", help="compare the kelurahan totals with the needs (writes to the needs wait meanwhile)"
        )
        rebuild = sub.add_parser("rebuild", help="recompute the kelurahan totals from the needs")
        for p in (check, rebuild):
            p.add_argument("--campaign", metavar="SLUG", help="only this campaign's totals")

    def handle(self, *args: object, **options: object) -> None:
        campaign_id: int | None = None
        slug = options.get("campaign")
        if slug:
            campaign = campaign_by_slug(str(slug))
            if campaign is None:
                raise CommandError(_("Program %(slug)r tidak ditemukan.") % {"slug": slug})
            campaign_id = campaign.pk
        if options["action"] == "rebuild":
            tally.rebuild(campaign_id=campaign_id)
        differences = tally.drift(campaign_id)
        for (campaign_pk, village, aid_type_id), have, want in differences[:20]:
            self.stderr.write(f"campaign {campaign_pk} {village} aid_type {aid_type_id}: {have} != {want}")
        if differences:
            raise CommandError(
                _("%(count)s total kelurahan berbeda dari kebutuhan; jalankan `kolaborasi stats rebuild`")
                % {"count": len(differences)}
            )
        self.stdout.write(_("total kelurahan sesuai dengan kebutuhan"))
