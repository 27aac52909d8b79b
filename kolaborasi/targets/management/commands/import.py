from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.campaigns.selectors import campaign_by_slug
from kolaborasi.core.errors import AppError, ImportRejected
from kolaborasi.core.progress import progress_bar
from kolaborasi.regions.services import boundaries_import
from kolaborasi.targets.imports import institution_import, rw_import


class Command(BaseCommand):
    help = (
        "Impor data: `import rw FILE.csv`, `import institutions FILE.csv`, "
        "`import boundaries FILE.geojson`. Satu berkas diimpor seluruhnya atau tidak sama sekali."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["rw", "institutions", "boundaries"])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--campaign",
            default="",
            help="slug of the open campaign the needs belong to (default: the one open campaign)",
        )

    def handle(self, *args: object, **options: object) -> None:
        kind = options["kind"]
        path = options["file"]
        assert isinstance(path, Path)
        if not path.is_file():
            raise CommandError(_("berkas tidak ditemukan: %(path)s") % {"path": path})
        campaign = None
        if options["campaign"]:
            campaign = campaign_by_slug(str(options["campaign"]))
            if campaign is None:
                raise CommandError(
                    _("--campaign: program dengan kode %(slug)s tidak ada.") % {"slug": options["campaign"]}
                )
        data = path.read_bytes()
        lines = data.count(b"\n")
        try:
            with progress_bar(lines or None, f"impor {kind}") as update:
                if kind == "rw":
                    result = rw_import(
                        actor=None, data=data, label=path.name, progress=update, campaign=campaign
                    )
                    message = _("%(created)s RW diimpor, %(needs)s kebutuhan dibuat") % {
                        "created": result.created,
                        "needs": result.needs,
                    }
                elif kind == "institutions":
                    inst = institution_import(
                        actor=None, data=data, label=path.name, progress=update, campaign=campaign
                    )
                    message = _("%(created)s lembaga diimpor, %(needs)s kebutuhan dibuat") % {
                        "created": inst.created,
                        "needs": inst.needs,
                    }
                else:
                    shapes = boundaries_import(actor=None, data=data, label=path.name, progress=update)
                    for note in shapes.repaired:
                        self.stderr.write(f"{path.name}: {note}")
                    message = _("%(count)s batas wilayah diimpor") % {"count": shapes.imported}
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(str(exc)) from None
        except AppError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(message)
