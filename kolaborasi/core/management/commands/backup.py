from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kolaborasi.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "`backup PATH`: a consistent snapshot of the database (PostgreSQL: pg_dump custom "
        "format; SQLite: the online backup API), the uploaded evidence and a manifest (rows "
        "per table, audit chain head) into the new directory PATH."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: object, **options: object) -> None:
        path = options["path"]
        assert isinstance(path, Path)
        try:
            manifest = backup(path)
        except BackupError as exc:
            raise CommandError(f"cadangan gagal (backup failed): {exc}") from None
        rows = sum(manifest["rows"].values())
        head = manifest["audit_head"] or {"seq": 0}
        self.stdout.write(
            f"cadangan tersimpan di {path}: {rows} baris, {len(manifest['media'])} berkas, "
            f"rantai audit #{head['seq']} (backup written)"
        )
