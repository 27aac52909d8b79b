from pathlib import Path

from django.core.management import call_command
from django.utils.translation import gettext as _

from kolaborasi.core.backup import restore

from .backup import BackupCommand


class Command(BackupCommand):
    help = (
        "`restore PATH`: load a backup made by `backup` into this site's empty database and "
        "MEDIA_ROOT (a non-empty one is refused and left unchanged), compare it with the "
        "manifest, then run `audit verify` and `stats check`."
    )

    @property
    def refusal(self) -> str:  # type: ignore[override]
        return _("pemulihan ditolak")

    def run(self, path: Path) -> None:
        restored = restore(path)
        self.stdout.write(
            _("dipulihkan dari %(path)s: %(rows)s baris, %(files)s berkas, sesuai manifest")
            % {"path": path, "rows": restored.rows, "files": restored.media_files}
        )
        call_command("audit", "verify", stdout=self.stdout)
        call_command("stats", "check", stdout=self.stdout)
