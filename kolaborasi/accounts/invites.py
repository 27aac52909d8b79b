"""Invitations: how an operator gives a coordinator (Ketua RW, lurah) or another operator
an account without the Django admin. Part of the accounts services (atomic, audited,
mail after commit), split out at its seam.

What an invitation does, by the state of the account that has the address:

- **no account**: one is made (inactive, without a password) and made a member of the
  organisation; the link lets the invitee choose the first password, which activates
  the account and logs them in.
- **an account without a password** (invited before, not yet accepted): the same
  account is reused; a fresh link is made (earlier unused links stay valid until they
  expire).
- **an account with a password**: only the membership is added. No link can set that
  account's password: the "link" is the login page (for an account still waiting for
  its own e-mail verification, that verification link). Taking an account over needs
  its password, never only access to an invitation.
- **a deactivated account**: refused.

Invitation links carry only a random token (the database keeps its SHA-256), work once
and expire after INVITE_MAX_AGE."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.core.mail import mail_queue

from .models import EmailLink, EmailLinkPurpose, Membership, Organisation, OrgKind, Role
from .registration import VERIFY_MAX_AGE, email_link_create, free_username, render_mail
from .services import (
    AccountsInputError,
    _membership_create,
    organisation_create,
    token_hash,
)

INVITE_MAX_AGE = timedelta(days=7)

# The kinds of organisation an operator invites people into.
INVITABLE_KINDS = (OrgKind.COORDINATOR, OrgKind.OPERATOR)


@dataclass(frozen=True)
class Invitation:
    """The result of an invitation: the account, and the URL the invitee opens (a
    password-setting link for a new account, the login page for one that has a
    password). ``new_account`` says whether the account was made by this invitation."""

    user: Any
    url: str
    new_account: bool
    membership_added: bool
    # What the URL does: "password" (choose the first password), "verify" (the
    # account's own pending verification), or "login".
    link: str


def _check_email(email: str) -> str:
    email = email.strip()
    if not email:
        raise AccountsInputError("email", _("E-mail wajib diisi."))
    # Django's EmailField check, in the service, so the command line gets it too.
    try:
        validate_email(email)
    except ValidationError:
        raise AccountsInputError(
            "email", _("“%(email)s” bukan alamat e-mail yang sah.") % {"email": email[:80]}
        ) from None
    return email


def _username_from(email: str) -> str:
    """A username for an invited account: the part before the @, in the characters
    Django's usernames allow, made unique."""
    wanted = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[:140] or "pengguna"
    return free_username(wanted)


def user_invite(
    *, actor: Actor, email: str, organisation: Organisation, role: str = Role.MEMBER, site_url: str
) -> Invitation:
    """Invite the person with ``email`` into ``organisation`` (a coordinator or operator
    organisation) with ``role``, and mail them the link. Inviting the same address again
    reuses the account and gives a fresh link. See the module docstring for what
    happens to an account that already exists."""
    User = get_user_model()
    email = _check_email(email)
    if role not in Role.values:
        raise AccountsInputError(
            "role",
            _("Peran '%(role)s' tidak dikenal; pilih: %(choices)s.")
            % {"role": role, "choices": ", ".join(Role.values)},
        )
    if organisation.kind not in INVITABLE_KINDS:
        raise AccountsInputError(
            "org",
            _(
                "Undangan hanya untuk organisasi koordinator atau operator; “%(org)s” adalah %(kind)s. "
                "Donatur dan agregator mendaftar sendiri."
            )
            % {"org": organisation.name, "kind": organisation.get_kind_display()},
        )
    with transaction.atomic():
        users = list(User.objects.select_for_update().filter(email__iexact=email).order_by("pk")[:2])
        if len(users) > 1:
            raise AccountsInputError(
                "email",
                _("Lebih dari satu akun memakai e-mail ini; tambahkan anggotanya lewat admin."),
            )
        new_account = not users
        if new_account:
            user = User.objects.create_user(username=_username_from(email), email=email, is_active=False)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            audit_record(
                actor=actor,
                action=AuditAction.USER_INVITED,
                obj=user,
                after={"username": user.get_username(), "is_active": False},
                organisation=organisation,
            )
        else:
            user = users[0]
            if not user.is_active and user.last_login is not None:
                raise AccountsInputError(
                    "email", _("Akun dengan e-mail ini dinonaktifkan; aktifkan dulu lewat admin.")
                )
        added = not Membership.objects.filter(user=user, organisation=organisation).exists()
        if added:
            _membership_create(actor=actor, organisation=organisation, user=user, role=role)
        url, link = _invite_url(user, organisation, site_url)
        _send_invite(user, organisation, url, link=link, inviter=acting_user(actor))
    return Invitation(user=user, url=url, new_account=new_account, membership_added=added, link=link)


def _invite_url(user: Any, organisation: Organisation, site_url: str) -> tuple[str, str]:
    """The link for the invitee. Only an account without a password gets a link that
    sets one; an account with a password logs in (or, still unverified, verifies its
    own address first)."""
    root = site_url.rstrip("/")
    if not user.has_usable_password():
        plain = email_link_create(user, EmailLinkPurpose.INVITE, INVITE_MAX_AGE)
        return root + reverse("accounts:invite_accept", args=[plain]), "password"
    if not user.is_active and user.last_login is None:
        plain = email_link_create(user, EmailLinkPurpose.VERIFY, VERIFY_MAX_AGE)
        return root + reverse("accounts:verify", args=[plain]), "verify"
    org_page = reverse("accounts:org_detail", args=[organisation.pk])
    return root + reverse("accounts:login") + "?" + urlencode({"next": org_page}), "login"


def _send_invite(user: Any, organisation: Organisation, url: str, *, link: str, inviter: Any) -> None:
    context = {
        "user": user,
        "organisation": organisation,
        "link": url,
        "days": INVITE_MAX_AGE.days if link == "password" else VERIFY_MAX_AGE.days,
        "kind": link,
        "inviter": inviter.get_username() if inviter is not None else "",
    }
    subject, body = render_mail("invite", context)
    mail_queue(subject=subject, body=body, to=[user.email])


def invite_resend(user: Any, site_url: str) -> None:
    """A fresh invitation link for an invited account that has not chosen a password yet
    (when its owner registers or asks for a verification link with that address)."""
    membership = Membership.objects.filter(user=user).select_related("organisation").order_by("pk").first()
    if membership is None:
        return
    url, link = _invite_url(user, membership.organisation, site_url)
    _send_invite(user, membership.organisation, url, link=link, inviter=None)


_INVITE_INVALID = gettext_lazy(
    "Tautan undangan ini tidak sah. Periksa bahwa Anda membuka tautan lengkap dari e-mail, "
    "atau minta operator mengirim undangan baru."
)
_INVITE_USED = gettext_lazy(
    "Tautan undangan ini sudah dipakai. Masuk dengan nama pengguna dan kata sandi Anda, atau "
    "atur ulang kata sandi bila lupa."
)
_INVITE_EXPIRED = gettext_lazy(
    "Tautan undangan ini sudah kedaluwarsa. Minta operator mengirim undangan baru."
)


def invite_link_user(*, token: str) -> Any:
    """The account an unused, unexpired invitation link is for; AccountsInputError with
    the reason (unknown, used, expired) otherwise."""
    link = (
        EmailLink.objects.select_related("user")
        .filter(token_hash=token_hash(token), purpose=EmailLinkPurpose.INVITE)
        .first()
    )
    if link is None:
        raise AccountsInputError("token", _INVITE_INVALID)
    if link.used_at is not None or link.user.has_usable_password():
        raise AccountsInputError("token", _INVITE_USED)
    if link.expires_at <= timezone.now():
        raise AccountsInputError("token", _INVITE_EXPIRED)
    if link.user.email.lower() != link.email.lower():
        raise AccountsInputError("token", _INVITE_INVALID)
    if not link.user.is_active and link.user.last_login is not None:
        raise AccountsInputError("token", _("Akun ini dinonaktifkan."))
    return link.user


def invite_accept(*, token: str, password: str) -> Any:
    """Set the first password through an invitation link and activate the account; the
    link and every other invitation link of the account stop working."""
    user: Any = invite_link_user(token=token)
    User = get_user_model()
    with transaction.atomic():
        now = timezone.now()
        mine = EmailLink.objects.filter(token_hash=token_hash(token), used_at__isnull=True)
        if not mine.update(used_at=now):  # opened in two tabs: the other one won
            raise AccountsInputError("token", _INVITE_USED)
        # The account's row is locked and re-read: a password set meanwhile (another
        # link) wins, and this one changes nothing.
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.has_usable_password():
            raise AccountsInputError("token", _INVITE_USED)
        EmailLink.objects.filter(
            user=user, purpose__in=[EmailLinkPurpose.INVITE, EmailLinkPurpose.VERIFY], used_at__isnull=True
        ).update(used_at=now)
        locked.set_password(password)
        locked.is_active = True
        locked.save(update_fields=["password", "is_active"])
        audit_record(
            actor=locked,
            action=AuditAction.USER_INVITE_ACCEPTED,
            obj=locked,
            before={"is_active": user.is_active},
            after={"is_active": True, "password": "set"},
        )
    return locked


def coordinator_invite(
    *,
    actor: Actor,
    email: str,
    name: str,
    region_codes: Iterable[str],
    site_url: str,
) -> Invitation:
    """A new coordinator organisation named ``name`` for the areas ``region_codes``,
    with the person at ``email`` as its owner: one transaction, so a refused address
    leaves no organisation behind."""
    codes = [c for c in region_codes if c]
    if not codes:
        raise AccountsInputError("regions", _("Pilih paling sedikit satu wilayah untuk koordinator."))
    email = _check_email(email)
    with transaction.atomic():
        org = organisation_create(
            actor=actor,
            name=name,
            kind=OrgKind.COORDINATOR,
            verified=True,
            region_codes=codes,
            refuse_duplicate=True,
        )
        return user_invite(actor=actor, email=email, organisation=org, role=Role.OWNER, site_url=site_url)
