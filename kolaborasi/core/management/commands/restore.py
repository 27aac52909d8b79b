from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kolaborasi.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "`restore PATH`: load a backup made by `backup` into this site's empty database and "
        "MEDIA_ROOT (a non-empty one is refused and left unchanged), compare it with the "
        "manifest, then run `audit verify` and `stats check`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: object, **options: object) -> None:
        path = options["path"]
        assert isinstance(path, Path)
        try:
            restored = restore(path)
        except BackupError as exc:
            raise CommandError(f"pemulihan ditolak (restore refused): {exc}") from None
        self.stdout.write(
            f"dipulihkan dari {path}: {restored.rows} baris, {restored.media_files} berkas, "
            "sesuai manifest (restored; matches the manifest)"
        )
        call_command("audit", "verify", stdout=self.stdout)
        call_command("stats", "check", stdout=self.stdout)
