from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.core.backup import BackupError, backup


class BackupCommand(BaseCommand):
    """`backup PATH` and `restore PATH`: one directory argument, and a refusal that says
    which of the two could not be done and why (``BackupError``)."""

    refusal = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: object, **options: Any) -> None:
        try:
            self.run(options["path"])
        except BackupError as exc:
            raise CommandError(f"{self.refusal}: {exc}") from None

    def run(self, path: Path) -> None:
        raise NotImplementedError


class Command(BackupCommand):
    help = (
        "`backup PATH`: a consistent snapshot of the database (PostgreSQL: pg_dump custom "
        "format; SQLite: the online backup API), the uploaded evidence and a manifest (rows "
        "per table, audit chain head) into the new directory PATH."
    )

    @property
    def refusal(self) -> str:  # type: ignore[override]
        return _("cadangan gagal")

    def run(self, path: Path) -> None:
        manifest = backup(path)
        head = manifest["audit_head"] or {"seq": 0}
        self.stdout.write(
            _("cadangan tersimpan di %(path)s: %(rows)s baris, %(files)s berkas, rantai audit #%(seq)s")
            % {
                "path": path,
                "rows": sum(manifest["rows"].values()),
                "files": len(manifest["media"]),
                "seq": head["seq"],
            }
        )
