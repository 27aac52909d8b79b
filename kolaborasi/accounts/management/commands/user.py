"""`kolaborasi user invite --email EMAIL --org ID [--role owner|member]` (a public
contract), and `kolaborasi user deactivate|activate (--email EMAIL | --id ID)`.

Prints one line of JSON, {"user": ID, "invite_url": "..."}, and e-mails the same link
to the address (through the worker). Inviting the same address again reuses the account
and prints a fresh link. For an account that already has a password the URL is the
login page: an invitation never sets the password of an existing account
(``kolaborasi.accounts.invites``). The URL starts with SITE_URL, or ``--site-url``.

Deactivating is how a person leaves: the account can no longer sign in and stays, so the
audit log keeps naming what they did (``services.user_set_active``, audited). Prints
{"user": ID, "active": BOOL, "changed": BOOL}.

`kolaborasi user export EMAIL` prints everything held about the person as JSON;
`kolaborasi user erase EMAIL` deletes their personal data and their audit key (the
account stays, anonymous and inactive; the audit chain still verifies) and prints what
was done, with ``legacy_events``: events written before commitments that still hold the
person's data (``kolaborasi.accounts.erasure``). Both are audited; ``--id ID`` instead
of EMAIL when several accounts share an address."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kolaborasi.accounts.erasure import user_data_export, user_erase
from kolaborasi.accounts.invites import user_invite
from kolaborasi.accounts.models import Organisation, Role
from kolaborasi.accounts.services import AccountsInputError, user_set_active


class Command(BaseCommand):
    help = (
        "People: `user invite --email EMAIL --org ID [--role owner|member]`; "
        "`user deactivate|activate --email EMAIL | --id ID`; "
        "`user export|erase EMAIL | --id ID`. Prints JSON."
    )

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
        for name, text in (
            ("deactivate", "the account can no longer sign in; it stays for the audit log"),
            ("activate", "the account can sign in again"),
        ):
            switch = sub.add_parser(name, help=text)
            which = switch.add_mutually_exclusive_group(required=True)
            which.add_argument("--email")
            which.add_argument("--id", help="the account's number (when several share an address)")
        for name, text in (
            ("export", "print everything held about the person as JSON"),
            ("erase", "delete the person's personal data; the account stays, anonymous and inactive"),
        ):
            person = sub.add_parser(name, help=text)
            which = person.add_mutually_exclusive_group(required=True)
            which.add_argument("email", nargs="?", help="the account's e-mail address")
            which.add_argument("--id", help="the account's number (when several share an address)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] in ("deactivate", "activate"):
            self._set_active(options, active=options["action"] == "activate")
            return
        if options["action"] == "export":
            data = user_data_export(actor=None, user=self._one_user(options))
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if options["action"] == "erase":
            result = user_erase(actor=None, user=self._one_user(options))
            self.stdout.write(json.dumps(result))
            if result["legacy_events"]:
                self.stderr.write(
                    _(
                        "%(n)d peristiwa audit lama (sebelum komitmen) masih memuat data orang ini; "
                        "peristiwa itu tidak diubah agar rantai tetap utuh."
                    )
                    % {"n": result["legacy_events"]}
                )
            return
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

    def _set_active(self, options: dict[str, Any], *, active: bool) -> None:
        user = self._one_user(options)
        changed = user_set_active(actor=None, user=user, active=active)
        self.stdout.write(json.dumps({"user": user.pk, "active": user.is_active, "changed": changed}))

    def _one_user(self, options: dict[str, Any]) -> Any:
        """The account named by ``--id`` or by its e-mail address (exactly one)."""
        User = get_user_model()
        if options["id"] is not None:
            raw = str(options["id"]).strip()
            if not raw.isdigit():
                raise CommandError(_("--id: nomor akun harus angka, bukan '%(raw)s'.") % {"raw": raw})
            found = list(User.objects.filter(pk=int(raw)))
            if not found:
                raise CommandError(_("--id: akun nomor %(raw)s tidak ada.") % {"raw": raw})
        else:
            email = str(options["email"]).strip()
            found = list(User.objects.filter(email__iexact=email).order_by("pk"))
            if not found:
                raise CommandError(_("--email: tidak ada akun dengan alamat %(email)s.") % {"email": email})
            if len(found) > 1:
                raise CommandError(
                    _("--email: %(n)d akun memakai alamat ini (nomor %(ids)s); pilih satu dengan --id.")
                    % {"n": len(found), "ids": ", ".join(str(u.pk) for u in found)}
                )
        [user] = found
        return user
