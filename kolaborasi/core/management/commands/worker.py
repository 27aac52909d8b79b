from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Jalankan pekerja latar (background worker) for queued tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args: object, **options: object) -> None:
        call_command("db_worker", interval=options["interval"])
