"""A person's data: everything held about them, as JSON (``user_data_export``), and its
erasure (``user_erase``) without breaking the audit chain (docs/privacy.md, "Erasure").

Erasing deletes the person's personal data and their audit key; the account stays, as
an anonymous, inactive row (the chain refers to it by number), and so do their
organisations' records. The chain holds the person's data only as commitments
(``kolaborasi.audit.personal``): with the key and the values gone they no longer open,
and every link still verifies. Events written before commitments (digest version 1)
are never rewritten; the answer counts those that still hold the person's data.

Apps above accounts that keep a person's data of their own (a pledge's delivery contact)
take part through two signals, since the layers keep this module from importing them:
each receiver returns a dict that is merged into the export or the erasure's answer."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.dispatch import Signal
from django_otp import devices_for_user

from kolaborasi.audit import personal
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_record
from kolaborasi.core.actor import Actor
from kolaborasi.core.mail import mail_forget_address

from .models import PRIVATE_DONOR, ApiToken, EmailLink, Membership, Organisation, OrgSubtype

# The username an erased account keeps: its number, nothing about the person.
ERASED_USERNAME = "terhapus-{pk}"

# Sent with ``user``; each receiver returns {section: data} for the export.
personal_data_exported = Signal()
# Sent with ``user`` inside the erasing transaction; each receiver erases what its app
# holds about the person and returns {what: count} for the answer.
personal_data_erased = Signal()


def _answers(signal: Signal, user: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    answer: Any
    for _receiver, answer in signal.send(sender=type(user), user=user):
        merged.update(answer)
    return merged


def _own_individual_organisations(user: Any) -> list[Organisation]:
    """The individual donors' organisations that are this person: of subtype individual,
    with nobody else as member."""
    mine = Organisation.objects.filter(memberships__user=user, subtype=OrgSubtype.INDIVIDUAL)
    return [org for org in mine.order_by("pk") if not org.memberships.exclude(user=user).exists()]


def _subjects(user: Any, organisations: list[Organisation]) -> list[str]:
    return [
        personal.user_subject(user.pk),
        *(f"{Organisation._meta.label_lower}:{org.pk}" for org in organisations),
    ]


def _names(user: Any, organisations: list[Organisation]) -> list[str]:
    return [
        user.get_username(),
        user.email,
        user.first_name,
        user.last_name,
        *(org.name for org in organisations),
    ]


def _axes_models() -> list[Any]:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # models: not at import time

    return [AccessAttempt, AccessFailureLog, AccessLog]


def user_data_export(*, actor: Actor, user: Any) -> dict[str, Any]:
    """Everything kolaborasi holds about ``user``, as JSON-ready data; audited (who asked,
    not what was given)."""
    organisations = _own_individual_organisations(user)
    subjects = _subjects(user, organisations)
    username = user.get_username()
    data: dict[str, Any] = {
        "account": {
            "id": user.pk,
            "username": username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_active": user.is_active,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "memberships": [
            {"organisation": m.organisation_id, "name": m.organisation.name, "role": m.role}
            for m in Membership.objects.filter(user=user).select_related("organisation").order_by("pk")
        ],
        "individual_organisations": [
            {"id": org.pk, "name": org.name, "description": org.description} for org in organisations
        ],
        "email_links": [
            {
                "purpose": link.purpose,
                "email": link.email,
                "created_at": link.created_at.isoformat(),
                "expires_at": link.expires_at.isoformat(),
                "used": link.used_at is not None,
            }
            for link in EmailLink.objects.filter(user=user).order_by("pk")
        ],
        "second_factor_devices": [
            {"type": type(d).__name__, "name": d.name, "confirmed": d.confirmed}
            for d in devices_for_user(user, confirmed=None)
        ],
        "api_tokens_created": [
            {"prefix": t.prefix, "name": t.name, "organisation": t.organisation_id}
            for t in ApiToken.objects.filter(created_by=user).order_by("pk")
        ],
        "failed_logins": sum(m.objects.filter(username=username).count() for m in _axes_models()),
        "audit": {
            "events_acted": AuditEvent.objects.filter(actor_id=user.pk).count(),
            "personal_data": personal.personal_held(subjects),
            "legacy_events_with_personal_data": personal.legacy_events_naming(
                user_id=user.pk, names=_names(user, organisations)
            ),
        },
    }
    data.update(_answers(personal_data_exported, user))
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.USER_DATA_EXPORTED, obj=user, after={"exported": True})
    return data


def user_erase(*, actor: Actor, user: Any) -> dict[str, Any]:
    """Erase ``user``'s personal data (see the module's text) in one transaction, with its
    audit event. Answers what was done, and ``legacy_events``: how many events written
    before commitments still hold the person's data (they are not rewritten)."""
    User = get_user_model()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        organisations = _own_individual_organisations(locked)
        subjects = _subjects(locked, organisations)
        username, email = locked.get_username(), locked.email
        legacy = personal.legacy_events_naming(user_id=locked.pk, names=_names(locked, organisations))
        erased = personal.personal_erase(subjects)
        links, _ = EmailLink.objects.filter(user=locked).delete()
        devices = 0
        for device in devices_for_user(locked, confirmed=None):
            device.delete()
            devices += 1
        attempts = sum(m.objects.filter(username=username).delete()[0] for m in _axes_models())
        mails = mail_forget_address(email) if email else 0
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(locked.pk)
        ).update(object_repr=ERASED_USERNAME.format(pk=locked.pk), change_message="")
        Organisation.objects.filter(pk__in=[o.pk for o in organisations]).update(
            name=PRIVATE_DONOR, description=""
        )
        locked.username = ERASED_USERNAME.format(pk=locked.pk)
        locked.email = ""
        locked.first_name = ""
        locked.last_name = ""
        locked.is_active = False
        locked.set_unusable_password()
        locked.save()
        result = {
            "user": locked.pk,
            "erased": True,
            "active": False,
            "organisations_anonymised": [o.pk for o in organisations],
            "audit_keys_deleted": erased["keys"],
            "audit_values_deleted": erased["values"],
            "email_links_deleted": links,
            "second_factor_devices_deleted": devices,
            "failed_logins_deleted": attempts,
            "mails_forgotten": mails,
            "legacy_events": legacy,
            **_answers(personal_data_erased, locked),
        }
        audit_record(
            actor=actor,
            action=AuditAction.USER_ERASED,
            obj=locked,
            after={k: v for k, v in result.items() if k != "user"},
        )
    user.refresh_from_db()
    return result
