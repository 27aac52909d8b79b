"""`kolaborasi user invite --email EMAIL --org ID [--role owner|member]` (a public
contract).

Prints one line of JSON, {"user": ID, "invite_url": "..."}, and e-mails the same link
to the address (through the worker). Inviting the same address again reuses the account
and prints a fresh link. For an account that already has a password the URL is the
login page: an invitation never sets the password of an existing account
(``kolaborasi.accounts.invites``). The URL starts with SITE_URL, or ``--site-url``."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.accounts.invites import user_invite
from kolaborasi.accounts.models import Organisation, Role
from kolaborasi.accounts.services import AccountsInputError


class Command(BaseCommand):
    help = "People: `user invite --email EMAIL --org ID [--role owner|member]`, printing JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        invite = sub.add_parser(
            "invite", help="invite EMAIL into coordinator or operator organisation ID; print the link"
        )
        invite.add_argument("--email", required=True)
        invite.add_argument("--org", required=True, help="ID of a coordinator or operator organisation")
        # Checked by the service, so the message is ours and names the allowed values.
        invite.add_argument("--role", default=Role.MEMBER.value, help="owner|member (default member)")
        invite.add_argument(
            "--site-url", default="", help="the site's address for the link (default: SITE_URL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = str(options["org"]).strip()
        if not raw.isdigit():
            raise CommandError(_("--org: ID organisasi harus angka, bukan '%(raw)s'.") % {"raw": raw})
        org = Organisation.objects.filter(pk=int(raw)).first()
        if org is None:
            raise CommandError(_("--org: organisasi dengan ID %(raw)s tidak ada.") % {"raw": raw})
        try:
            invitation = user_invite(
                actor=None,
                email=options["email"],
                organisation=org,
                role=options["role"],
                site_url=options["site_url"] or settings.SITE_URL,
            )
        except AccountsInputError as exc:
            raise CommandError(f"--{exc.field}: {exc.message}") from exc
        self.stdout.write(json.dumps({"user": invitation.user.pk, "invite_url": invitation.url}))
