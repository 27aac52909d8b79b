"""`kolaborasi org create ...` / `kolaborasi org token ID` (a public contract).

``create`` refuses a second organisation with the same name and kind (non-zero exit)
unless ``--allow-duplicate``. Both print one line of JSON, {"id": ..., "token": "..."},
the token being a new API token for the organisation (shown once; only its hash is
stored). ``--scope`` limits what the token may do (default: everything), ``--days`` how
long it lasts (default API_TOKEN_DAYS)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation
from kolaborasi.accounts.services import (
    AccountsInputError,
    DuplicateOrganisation,
    organisation_create,
    token_create,
)


class Command(BaseCommand):
    help = "Organisations: `org create --name N --kind K ...` and `org token ID`, each printing JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an organisation and print its id and an API token")
        create.add_argument("--name", required=True)
        # Kinds and subtypes are checked by the service, so the message is ours and
        # names the allowed values in both languages.
        create.add_argument("--kind", required=True, help="donor|aggregator|operator|coordinator")
        create.add_argument("--subtype", default="", help="individual|company|community (donors only)")
        create.add_argument("--verified", action="store_true", help="mark as verified")
        create.add_argument(
            "--allow-duplicate",
            action="store_true",
            help="create it even if an organisation of the same name and kind exists",
        )
        create.add_argument(
            "--region",
            action="append",
            default=[],
            dest="regions",
            help="region code (coordinators; repeatable)",
        )
        token = sub.add_parser("token", help="print a new API token for organisation ID")
        token.add_argument("id")
        for command in (create, token):
            command.add_argument(
                "--scope",
                default="all",
                help="what the token may do: read, pledge, funds, comma-separated, or all (default)",
            )
            command.add_argument(
                "--days", type=int, default=None, help="days until the token expires (default API_TOKEN_DAYS)"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            try:
                with transaction.atomic():  # the organisation and its first token, or neither
                    org = organisation_create(
                        actor=None,
                        name=options["name"],
                        kind=options["kind"],
                        subtype=options["subtype"],
                        verified=options["verified"],
                        region_codes=options["regions"],
                        refuse_duplicate=not options["allow_duplicate"],
                    )
                    plain = token_create(
                        actor=None,
                        organisation=org,
                        name="cli",
                        scopes=options["scope"],
                        days=options["days"],
                    )
            except AccountsInputError as exc:
                flag = {"regions": "--region"}.get(exc.field, f"--{exc.field}")
                hint = (
                    " " + _("Tambahkan --allow-duplicate bila memang organisasi lain.")
                    if isinstance(exc, DuplicateOrganisation)
                    else ""
                )
                raise CommandError(f"{flag}: {exc.message}{hint}") from exc
        else:
            raw = options["id"]
            if not str(raw).isdigit():
                raise CommandError(_("ID organisasi harus angka, bukan '%(raw)s'.") % {"raw": raw})
            org_or_none = Organisation.objects.filter(pk=int(raw)).first()
            if org_or_none is None:
                raise CommandError(_("Organisasi dengan ID %(raw)s tidak ada.") % {"raw": raw})
            org = org_or_none
            try:
                plain = token_create(
                    actor=None, organisation=org, name="cli", scopes=options["scope"], days=options["days"]
                )
            except AccountsInputError as exc:
                raise CommandError(f"--{exc.field}: {exc.message}") from exc
        self.stdout.write(json.dumps({"id": org.pk, "token": plain}))
