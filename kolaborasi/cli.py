"""The `kolaborasi` console command: Django's management commands for operators,
e.g. `kolaborasi regions load`, `kolaborasi import rw FILE.csv`, `kolaborasi demo`."""

import os
import sys

from django.core.management import execute_from_command_line


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kolaborasi.settings")
    execute_from_command_line(["kolaborasi", *sys.argv[1:]])


if __name__ == "__main__":
    main()
