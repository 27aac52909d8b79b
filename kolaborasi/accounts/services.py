"""Every write about accounts, organisations and API tokens: atomic, audited
(DESIGN §3.5), side effects (e-mail) only after commit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.audit.services import audit_record
from kolaborasi.core.text import DESCRIPTION_MAX_LENGTH, formula_refusal, unstorable_refusal
from kolaborasi.regions.models import Region

from .models import ApiToken, Membership, Organisation, OrgKind, OrgSubtype, Role

# How long an e-mail verification link stays valid.
VERIFY_MAX_AGE = timedelta(days=3)
_VERIFY_SALT = "kolaborasi.accounts.verify-email"
# Plain tokens look like "kol_<43 url-safe chars>"; the prefix makes them greppable in
# secret scanners and tells a reader what the string is.
TOKEN_PREFIX = "kol_"  # noqa: S105 (a label, not a secret)
TOKEN_DISPLAY_CHARS = 12


class AccountsInputError(Exception):
    """Bad input to an accounts service: ``field`` names what is wrong, ``message`` why
    (Bahasa Indonesia, then English)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _org_snapshot(org: Organisation) -> dict[str, Any]:
    return {
        "name": org.name,
        "kind": org.kind,
        "subtype": org.subtype,
        "verified": org.verified,
        "regions": sorted(r.code for r in org.regions.all()),
    }


# --- Registration and e-mail verification ---------------------------------------------


def email_verification_token(user: AbstractUser) -> str:
    """A signed token for the verification link; bound to the e-mail address so a link
    sent to an old address stops working when the address changes."""
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=_VERIFY_SALT, compress=True)


def user_register(*, username: str, email: str, password: str, site_url: str) -> AbstractUser:
    """Create an inactive account and e-mail it a verification link. The account can log
    in only once the link has been opened (``user_verify_email``)."""
    User = get_user_model()
    email = email.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountsInputError("username", "Nama pengguna sudah dipakai (username already taken).")
    if User.objects.filter(email__iexact=email).exists():
        raise AccountsInputError(
            "email", "Sudah ada akun dengan e-mail ini (an account with this e-mail exists)."
        )
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password, is_active=False)
        audit_record(
            actor=None,
            actor_label=username,
            action="user.registered",
            obj=user,
            after={"username": username, "is_active": False},
        )
        _send_verification_on_commit(user, site_url)
    return user


def verification_resend(*, email: str, site_url: str) -> None:
    """Send a fresh link to an account that is still waiting for verification. Silent
    when there is none, so the form does not reveal which addresses are registered."""
    User = get_user_model()
    for user in User.objects.filter(email__iexact=email.strip(), is_active=False, last_login__isnull=True):
        _send_verification_on_commit(user, site_url)


def _send_verification_on_commit(user: AbstractUser, site_url: str) -> None:
    link = site_url.rstrip("/") + reverse("accounts:verify", args=[email_verification_token(user)])
    context = {"user": user, "link": link, "days": VERIFY_MAX_AGE.days}
    # Rendered now, in the language of the request; sent only if the account commits.
    subject = render_to_string("accounts/email/verify_subject.txt", context).strip()
    body = render_to_string("accounts/email/verify_body.txt", context)
    recipient = user.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


def user_verify_email(*, token: str) -> AbstractUser:
    """Activate the account the token was made for. Opening the link twice is harmless."""
    User = get_user_model()
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise AccountsInputError(
            "token",
            "Tautan verifikasi sudah kedaluwarsa; minta tautan baru (the verification link has expired).",
        ) from exc
    except signing.BadSignature as exc:
        raise AccountsInputError(
            "token", "Tautan verifikasi tidak sah (the verification link is invalid)."
        ) from exc
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or user.email.lower() != data.get("e"):
        raise AccountsInputError(
            "token", "Tautan verifikasi tidak cocok dengan akun mana pun (the link matches no account)."
        )
    with transaction.atomic():
        activated = User.objects.filter(pk=user.pk, is_active=False, last_login__isnull=True).update(
            is_active=True
        )
        if activated:
            audit_record(
                actor=user,
                action="user.verified",
                obj=user,
                before={"is_active": False},
                after={"is_active": True},
            )
    user.refresh_from_db()
    if not user.is_active:
        # Deactivated by an operator after having logged in: a link must not undo that.
        raise AccountsInputError("token", "Akun ini dinonaktifkan (this account is deactivated).")
    return user


# --- Organisations and members --------------------------------------------------------


def organisation_create(
    *,
    actor: Any | None,
    name: str,
    kind: str,
    subtype: str = "",
    verified: bool = False,
    description: str = "",
    region_codes: Iterable[str] = (),
    owner: Any | None = None,
) -> Organisation:
    """Create an organisation (and make ``owner`` its owner). Checks everything first;
    on any problem raises AccountsInputError and creates nothing."""
    name = name.strip()
    codes = list(dict.fromkeys(c.strip() for c in region_codes if c.strip()))
    if not name:
        raise AccountsInputError("name", "Nama organisasi wajib diisi (name is required).")
    if len(name) > Organisation._meta.get_field("name").max_length:  # type: ignore[operator]
        raise AccountsInputError(
            "name", "Nama organisasi terlalu panjang, maks. 200 karakter (name too long)."
        )
    # The name reaches the public exports: a spreadsheet must never run it.
    if problem := formula_refusal(name):
        raise AccountsInputError("name", problem)
    description = description.strip()
    if problem := unstorable_refusal(description):
        raise AccountsInputError("description", problem)
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise AccountsInputError(
            "description",
            _("Keterangan terlalu panjang, maksimal %(max)s karakter.") % {"max": DESCRIPTION_MAX_LENGTH},
        )
    if kind not in OrgKind.values:
        raise AccountsInputError(
            "kind",
            f"Jenis '{kind}' tidak dikenal; pilih salah satu: {', '.join(OrgKind.values)} "
            f"(unknown kind '{kind}').",
        )
    if subtype and kind != OrgKind.DONOR:
        raise AccountsInputError(
            "subtype",
            f"Subjenis hanya untuk donatur, bukan '{kind}' (subtype is only for donors, not {kind}).",
        )
    if subtype and subtype not in OrgSubtype.values:
        raise AccountsInputError(
            "subtype",
            f"Subjenis '{subtype}' tidak dikenal; pilih: {', '.join(OrgSubtype.values)} "
            f"(unknown subtype '{subtype}').",
        )
    if codes and kind != OrgKind.COORDINATOR:
        raise AccountsInputError(
            "regions",
            f"Wilayah hanya untuk koordinator, bukan '{kind}' (regions are only for coordinators).",
        )
    regions: list[Region] = []
    if codes:
        regions = list(Region.objects.filter(code__in=codes))
        known = {r.code for r in regions}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise AccountsInputError(
                "regions",
                f"Kode wilayah tidak dikenal: {', '.join(unknown)} (unknown region code).",
            )
    with transaction.atomic():
        org = Organisation.objects.create(
            name=name, kind=kind, subtype=subtype, verified=verified, description=description
        )
        if regions:
            org.regions.add(*regions)
        audit_record(
            actor=actor, action="organisation.created", obj=org, after=_org_snapshot(org), organisation=org
        )
        if owner is not None:
            _membership_create(actor=actor, organisation=org, user=owner, role=Role.OWNER)
    return org


def _membership_create(*, actor: Any | None, organisation: Organisation, user: Any, role: str) -> Membership:
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    audit_record(
        actor=actor,
        action="membership.added",
        obj=membership,
        after={"user": user.get_username(), "role": role},
        organisation=organisation,
    )
    return membership


def membership_add(
    *, actor: Any, organisation: Organisation, email: str, role: str = Role.MEMBER
) -> Membership:
    """Add the existing, verified account with this e-mail to ``organisation``."""
    User = get_user_model()
    email = email.strip()
    if role not in Role.values:
        raise AccountsInputError("role", f"Peran '{role}' tidak dikenal (unknown role).")
    if not email:
        raise AccountsInputError("email", "E-mail wajib diisi (e-mail is required).")
    users = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    if not users:
        raise AccountsInputError(
            "email",
            "Tidak ada akun aktif dengan e-mail ini; minta orangnya mendaftar dan memverifikasi "
            "e-mailnya dulu (no active account has this e-mail).",
        )
    if len(users) > 1:
        raise AccountsInputError(
            "email",
            "Lebih dari satu akun memakai e-mail ini; minta operator menambahkannya "
            "(several accounts share this e-mail).",
        )
    user = users[0]
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise AccountsInputError("email", "Akun ini sudah menjadi anggota organisasi (already a member).")
    with transaction.atomic():
        return _membership_create(actor=actor, organisation=organisation, user=user, role=role)


def organisation_verify(*, actor: Any, organisation: Organisation) -> bool:
    """Mark an organisation verified (operators do this for aggregators). Returns False
    and changes nothing when it already was verified."""
    with transaction.atomic():
        changed = Organisation.objects.filter(pk=organisation.pk, verified=False).update(verified=True)
        if changed:
            audit_record(
                actor=actor,
                action="organisation.verified",
                obj=organisation,
                before={"verified": False},
                after={"verified": True},
                organisation=organisation,
            )
    organisation.verified = True
    return bool(changed)


# --- API tokens -----------------------------------------------------------------------


def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def token_create(*, actor: Any | None, organisation: Organisation, name: str = "") -> str:
    """Create an API token for ``organisation``; returns the plain token, which is shown
    once and never stored (only its SHA-256 is)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            organisation=organisation,
            name=name.strip()[:100],
            key_hash=token_hash(plain),
            prefix=plain[:TOKEN_DISPLAY_CHARS],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="token.created",
            obj=token,
            after={"prefix": token.prefix, "name": token.name},
            organisation=organisation,
        )
    return plain


def token_revoke(*, actor: Any | None, token: ApiToken) -> bool:
    """Revoke a token; it stops working on the next request. False if already revoked."""
    now = timezone.now()
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        if changed:
            audit_record(
                actor=actor,
                action="token.revoked",
                obj=token,
                before={"revoked_at": None},
                after={"revoked_at": now.isoformat()},
                organisation=token.organisation,
            )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(changed)
