"""Registration, e-mail links (verification, password reset) and the mails they send:
atomic, audited (docs/decisions/0003-audit-chain.md), mail only after commit. The same
answer whether or not an address is known (docs/architecture.md, abuse resistance)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.core.mail import mail_queue

from .models import EmailLink, EmailLinkPurpose
from .services import AccountsInputError, token_hash

# How long an e-mail verification link stays valid.
VERIFY_MAX_AGE = timedelta(days=3)


def user_register(*, username: str, email: str, password: str, site_url: str) -> AbstractUser | None:
    """Register someone. The person is told the same thing whatever happens here ("we
    sent you a link"), so the form reveals neither addresses nor usernames:

    - a new address gets an inactive account and a verification link;
    - an address that already has an account gets no new account: its owner is told by
      e-mail that someone tried to register with it (or, if that account is still
      waiting for verification, gets a fresh link);
    - a username that is taken is replaced by a free variant, which the verification
      e-mail names, so the clash is only ever revealed to the owner of the new address.

    Returns the new account, or None when the address was already registered."""
    User = get_user_model()
    email = email.strip()
    existing = User.objects.filter(email__iexact=email).order_by("pk").first()
    if existing is not None:
        # Hash the password anyway: a fast answer would say "this address exists".
        make_password(password)
        with transaction.atomic():
            if not existing.has_usable_password() and existing.last_login is None:
                _send_invite_again(existing, site_url)
            elif not existing.is_active and existing.last_login is None:
                _send_verification(existing, site_url)
            else:
                _send_registration_notice(existing, site_url)
        return None
    for _attempt in range(5):
        chosen = free_username(username)
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=chosen, email=email, password=password, is_active=False
                )
                audit_record(
                    actor=None,
                    actor_label=chosen,
                    action=AuditAction.USER_REGISTERED,
                    obj=user,
                    after={"username": chosen, "is_active": False},
                )
                _send_verification(user, site_url, requested_username=username)
            return user
        except IntegrityError:
            # Someone took the same name between the check and the insert: pick again.
            continue
    raise AccountsInputError("username", _("Coba nama pengguna lain."))


def free_username(wanted: str) -> str:
    """``wanted`` if nobody has it (in any letter case), otherwise ``wanted`` followed by
    four random digits that nobody has."""
    User = get_user_model()
    if not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    base = wanted[: User._meta.get_field("username").max_length - 4]  # type: ignore[operator]
    while True:
        candidate = f"{base}{secrets.randbelow(9000) + 1000}"
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate


def verification_resend(*, email: str, site_url: str) -> None:
    """Send a fresh link to an account that is still waiting for verification. Silent
    when there is none, so the form does not reveal which addresses are registered."""
    User = get_user_model()
    with transaction.atomic():
        waiting = User.objects.filter(email__iexact=email.strip(), is_active=False, last_login__isnull=True)
        for user in waiting:
            if user.has_usable_password():
                _send_verification(user, site_url)
            else:
                _send_invite_again(user, site_url)


def _send_invite_again(user: Any, site_url: str) -> None:
    """An invited account has no password yet: verifying its address would activate an
    account nobody can log in to, so its owner gets a fresh invitation link instead."""
    # invites builds on this module: imported here to avoid the cycle.
    from .invites import invite_resend

    invite_resend(user, site_url)


def email_link_create(user: Any, purpose: str, lifetime: timedelta) -> str:
    """A new single-use link token for ``user``; returns the plain token for the URL."""
    plain = secrets.token_urlsafe(32)
    EmailLink.objects.create(
        user=user,
        purpose=purpose,
        token_hash=token_hash(plain),
        email=user.email,
        expires_at=timezone.now() + lifetime,
    )
    return plain


def render_mail(name: str, context: dict[str, Any]) -> tuple[str, str]:
    subject = render_to_string(f"accounts/email/{name}_subject.txt", context).strip()
    return subject, render_to_string(f"accounts/email/{name}_body.txt", context)


def _send_verification(user: AbstractUser, site_url: str, *, requested_username: str = "") -> None:
    plain = email_link_create(user, EmailLinkPurpose.VERIFY, VERIFY_MAX_AGE)
    link = site_url.rstrip("/") + reverse("accounts:verify", args=[plain])
    context = {
        "user": user,
        "link": link,
        "days": VERIFY_MAX_AGE.days,
        "username_changed": bool(requested_username) and requested_username != user.get_username(),
        "requested_username": requested_username,
    }
    # Rendered now, in the language of the request; queued only if the account commits.
    subject, body = render_mail("verify", context)
    mail_queue(subject=subject, body=body, to=[user.email])


def _send_registration_notice(user: AbstractUser, site_url: str) -> None:
    root = site_url.rstrip("/")
    context = {
        "user": user,
        "login_url": root + reverse("accounts:login"),
        "reset_url": root + reverse("accounts:password_reset"),
    }
    subject, body = render_mail("registration_notice", context)
    mail_queue(subject=subject, body=body, to=[user.email])


def _email_link_find(token: str, purpose: str) -> EmailLink:
    """The link ``token`` stands for, unexpired and still addressed to its account's
    current e-mail; AccountsInputError otherwise. Used links are returned as such."""
    link = (
        EmailLink.objects.select_related("user").filter(token_hash=token_hash(token), purpose=purpose).first()
    )
    if link is None:
        raise AccountsInputError("token", _INVALID_LINK[purpose])
    if link.used_at is None and link.expires_at <= timezone.now():
        raise AccountsInputError("token", _EXPIRED_LINK[purpose])
    if link.user.email.lower() != link.email.lower():
        raise AccountsInputError(
            "token", _("Tautan ini tidak cocok dengan akun mana pun. Minta tautan baru.")
        )
    return link


_INVALID_LINK: dict[str, Any] = {
    EmailLinkPurpose.VERIFY: gettext_lazy("Tautan verifikasi tidak sah. Minta tautan baru."),
    EmailLinkPurpose.RESET: gettext_lazy("Tautan ini tidak sah atau sudah dipakai. Minta tautan baru."),
}
_EXPIRED_LINK: dict[str, Any] = {
    EmailLinkPurpose.VERIFY: gettext_lazy("Tautan verifikasi sudah kedaluwarsa; minta tautan baru."),
    EmailLinkPurpose.RESET: gettext_lazy("Tautan ini sudah kedaluwarsa; minta tautan baru."),
}


def user_verify_email(*, token: str) -> AbstractUser:
    """Activate the account the link was made for. Opening the link twice is harmless."""
    User = get_user_model()
    link = _email_link_find(token, EmailLinkPurpose.VERIFY)
    user = link.user
    with transaction.atomic():
        now = timezone.now()
        fresh = EmailLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
        activated = (
            User.objects.filter(pk=user.pk, is_active=False, last_login__isnull=True).update(is_active=True)
            if fresh
            else 0
        )
        if activated:
            # The account's other verification links have nothing left to do.
            EmailLink.objects.filter(user=user, purpose=EmailLinkPurpose.VERIFY, used_at__isnull=True).update(
                used_at=now
            )
            audit_record(
                actor=user,
                action=AuditAction.USER_VERIFIED,
                obj=user,
                before={"is_active": False},
                after={"is_active": True},
            )
    user.refresh_from_db()
    if not user.is_active:
        # Deactivated by an operator after having logged in: a link must not undo that.
        raise AccountsInputError("token", _("Akun ini dinonaktifkan."))
    return user


def password_reset_request(*, email: str, site_url: str) -> None:
    """E-mail a password-reset link to each active account with this address. Silent
    when there is none: the page answers the same either way."""
    User = get_user_model()
    lifetime = timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    with transaction.atomic():
        for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
            if not user.has_usable_password():
                continue
            plain = email_link_create(user, EmailLinkPurpose.RESET, lifetime)
            link = site_url.rstrip("/") + reverse("accounts:password_reset_confirm", args=[plain])
            subject, body = render_mail("password_reset", {"user": user, "link": link})
            mail_queue(subject=subject, body=body, to=[user.email])


def password_reset_link_user(*, token: str) -> AbstractUser:
    """The account an unused, unexpired reset link is for; AccountsInputError otherwise."""
    link = _email_link_find(token, EmailLinkPurpose.RESET)
    if link.used_at is not None or not link.user.is_active:
        raise AccountsInputError("token", _INVALID_LINK[EmailLinkPurpose.RESET])
    return link.user


def password_reset_complete(*, token: str, password: str) -> AbstractUser:
    """Set a new password through a reset link; the link (and every other reset link of
    the account) stops working."""
    user: Any = password_reset_link_user(token=token)
    with transaction.atomic():
        now = timezone.now()
        mine = EmailLink.objects.filter(token_hash=token_hash(token), used_at__isnull=True)
        if not mine.update(used_at=now):  # opened in two tabs: the other one won
            raise AccountsInputError("token", _INVALID_LINK[EmailLinkPurpose.RESET])
        EmailLink.objects.filter(user=user, purpose=EmailLinkPurpose.RESET, used_at__isnull=True).update(
            used_at=now
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            actor=user, action=AuditAction.USER_PASSWORD_RESET, obj=user, after={"password": "changed"}
        )
    return user
