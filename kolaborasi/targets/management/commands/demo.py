from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from kolaborasi.targets.demo import demo_load


class Command(BaseCommand):
    help = "Muat data demo DKI Jakarta (sintetis) sekali. Load the synthetic Jakarta demo once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--boundaries", type=Path, help="folder with jakarta-*.geojson")

    def handle(self, *args: object, **options: object) -> None:
        folder = options.get("boundaries")
        assert folder is None or isinstance(folder, Path)
        result = demo_load(boundaries_dir=folder, log=self.stdout.write)
        if result.created:
            self.stdout.write(
                f"Demo: {result.rws} RW, {result.households} KK, {result.institutions} lembaga, "
                f"{result.boundaries} batas wilayah."
            )
