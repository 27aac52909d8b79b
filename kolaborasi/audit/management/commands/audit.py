import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kolaborasi.audit.services import ChainNotSigned, audit_head_sign, audit_key_rotate, audit_verify, head_of
from kolaborasi.audit.signing import SigningKeyError, head_from_json


class Command(BaseCommand):
    help = (
        "Log audit: `audit verify` re-walks the hash chain and checks it against every signed head; "
        "`audit sign` signs the chain's head now; `audit rotate-key` replaces the signing key "
        "(heads signed with the old one keep verifying)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="verify the hash chain and the signed heads")
        verify.add_argument(
            "--head",
            metavar="FILE",
            help="also check a signed head saved earlier (JSON of GET /api/v1/audit/head or `audit sign`)",
        )
        sub.add_parser("sign", help="sign the chain's head now and print it as JSON")
        sub.add_parser(
            "rotate-key",
            help="replace the signing key: the old public key is kept as retired (its heads keep "
            "verifying), a new key signs the head at once; prints the fingerprints as JSON",
        )

    def handle(self, *args: object, **options: Any) -> None:
        if options["action"] == "sign":
            self._sign()
        elif options["action"] == "rotate-key":
            self._rotate()
        else:
            self._verify(options.get("head"))

    def _sign(self) -> None:
        try:
            signed = audit_head_sign()
        except SigningKeyError as exc:
            raise CommandError(
                f"kunci tanda tangan tidak dapat dipakai (signing key unusable): {exc}"
            ) from None
        except ChainNotSigned as exc:
            raise CommandError(
                f"kepala rantai tidak ditandatangani (head not signed): {exc}; run `kolaborasi audit verify`"
            ) from None
        assert signed is not None  # only a due-only signing skips
        self.stdout.write(json.dumps(head_of(signed).as_json()))

    def _rotate(self) -> None:
        try:
            rotation = audit_key_rotate(actor=None)
        except SigningKeyError as exc:
            raise CommandError(f"kunci tanda tangan tidak diganti (signing key not rotated): {exc}") from None
        line = {
            "old_fingerprint": rotation.old_fingerprint,
            "new_fingerprint": rotation.new_fingerprint,
            "head": head_of(rotation.head).as_json() if rotation.head is not None else None,
        }
        self.stdout.write(json.dumps(line))
        if rotation.head is None:
            raise CommandError(
                "kunci sudah diganti, tetapi kepala rantai tidak ditandatangani (key rotated, head not "
                f"signed): {rotation.error}; run `kolaborasi audit verify`"
            )

    def _verify(self, head_file: str | None) -> None:
        saved = None
        if head_file:
            try:
                text = Path(head_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{head_file}: cannot be read ({exc})") from None
            try:
                saved = head_from_json(text)
            except ValueError as exc:
                raise CommandError(f"{head_file}: not a signed head: {exc}") from None
        try:
            report = audit_verify(saved)
        except SigningKeyError as exc:
            raise CommandError(
                f"kunci tanda tangan tidak dapat dipakai (signing key unusable): {exc}"
            ) from None
        if report.ok:
            self.stdout.write(
                f"rantai audit utuh: {report.checked} peristiwa, {report.heads_checked} kepala bertanda "
                f"tangan cocok (audit chain OK: {report.checked} events, "
                f"{report.heads_checked} signed heads match)"
            )
        elif report.kind == "head":
            raise CommandError(
                f"rantai audit tidak memuat kepala bertanda tangan #{report.broken_seq}: {report.reason} "
                f"(audit chain does not match a signed head at #{report.broken_seq}; "
                f"its {report.checked} events verify link by link)"
            )
        else:
            raise CommandError(
                f"rantai audit rusak pada peristiwa #{report.broken_seq}: {report.reason} "
                f"(audit chain broken at event #{report.broken_seq}; "
                f"{report.checked} events before it verify)"
            )
