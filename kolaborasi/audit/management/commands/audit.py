from django.core.management.base import BaseCommand, CommandError, CommandParser

from kolaborasi.audit.services import audit_verify


class Command(BaseCommand):
    help = "Log audit: `audit verify` re-walks the hash chain and names the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="verify the hash chain")

    def handle(self, *args: object, **options: object) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"rantai audit rusak pada peristiwa #{report.broken_seq}: {report.reason} "
                f"(audit chain broken at event #{report.broken_seq}; "
                f"{report.checked} events before it verify)"
            )
        self.stdout.write(f"rantai audit utuh: {report.checked} peristiwa (audit chain OK)")
