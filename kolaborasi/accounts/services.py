"""Every write about accounts, organisations and API tokens: atomic, audited
(docs/decisions/0003-audit-chain.md), side effects (e-mail) only after commit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot
from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.core.errors import Invalid, Message
from kolaborasi.core.text import DESCRIPTION_MAX_LENGTH, FORMULA_START, formula_refusal, unstorable_refusal
from kolaborasi.regions.models import Region

from .models import (
    ALL_SCOPES,
    ApiToken,
    Membership,
    Organisation,
    OrgKind,
    OrgSubtype,
    Role,
    TokenScope,
)

# Plain tokens look like "kol_<43 url-safe chars>"; the prefix makes them greppable in
# secret scanners and tells a reader what the string is.
TOKEN_PREFIX = "kol_"  # noqa: S105 (a label, not a secret)
TOKEN_DISPLAY_CHARS = 12


class AccountsInputError(Invalid):
    """Bad input to an accounts service: ``field`` names what is wrong, ``message`` why."""

    def __init__(self, field: str, message: Message) -> None:
        super().__init__(message, field=field)


class DuplicateOrganisation(AccountsInputError):
    """An organisation of this name and kind exists already (operators' tools)."""

    def __init__(self, message: Message) -> None:
        super().__init__("name", message)


# The one shape of an organisation in the audit log, whoever writes it (pages, CLI, admin).
ORG_AUDIT_FIELDS = ("name", "kind", "subtype", "verified", "description", "regions")


def _org_snapshot(org: Organisation) -> dict[str, Any]:
    return snapshot(org, ORG_AUDIT_FIELDS)


# --- Organisations and members --------------------------------------------------------


def organisation_fields_clean(
    *, name: str, kind: str, subtype: str = "", description: str = "", region_codes: Iterable[str] = ()
) -> tuple[str, str, list[Region]]:
    """What an organisation may be: the cleaned name and description and the regions,
    or AccountsInputError naming the first field that is wrong. The one home of these
    rules for the pages, the CLI and the admin."""
    name = name.strip()
    codes = list(dict.fromkeys(c.strip() for c in region_codes if c.strip()))
    if not name:
        raise AccountsInputError("name", _("Nama organisasi wajib diisi."))
    if len(name) > Organisation._meta.get_field("name").max_length:  # type: ignore[operator]
        raise AccountsInputError("name", _("Nama organisasi terlalu panjang, maks. 200 karakter."))
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
            _("Jenis '%(kind)s' tidak dikenal; pilih salah satu: %(choices)s.")
            % {"kind": kind, "choices": ", ".join(OrgKind.values)},
        )
    if subtype and kind != OrgKind.DONOR:
        raise AccountsInputError(
            "subtype",
            _("Subjenis hanya untuk donatur, bukan '%(kind)s'.") % {"kind": kind},
        )
    if subtype and subtype not in OrgSubtype.values:
        raise AccountsInputError(
            "subtype",
            _("Subjenis '%(subtype)s' tidak dikenal; pilih: %(choices)s.")
            % {"subtype": subtype, "choices": ", ".join(OrgSubtype.values)},
        )
    if codes and kind != OrgKind.COORDINATOR:
        raise AccountsInputError(
            "regions",
            _("Wilayah hanya untuk koordinator, bukan '%(kind)s'.") % {"kind": kind},
        )
    regions: list[Region] = []
    if codes:
        regions = list(Region.objects.filter(code__in=codes))
        known = {r.code for r in regions}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise AccountsInputError(
                "regions",
                _("Kode wilayah tidak dikenal: %(codes)s.") % {"codes": ", ".join(unknown)},
            )
    return name, description, regions


def organisation_create(
    *,
    actor: Actor,
    name: str,
    kind: str,
    subtype: str = "",
    verified: bool = False,
    description: str = "",
    region_codes: Iterable[str] = (),
    owner: Any | None = None,
    refuse_duplicate: bool = False,
) -> Organisation:
    """Create an organisation (and make ``owner`` its owner). Checks everything first;
    on any problem raises AccountsInputError and creates nothing.

    ``refuse_duplicate``: operators' tools (the command line, invitations) refuse a
    second organisation with the same name (in any letter case) and kind, which is
    nearly always the same command run twice. People registering themselves are not
    refused: two donors may well share a name, and the answer would tell a stranger
    which names exist."""
    name, description, regions = organisation_fields_clean(
        name=name, kind=kind, subtype=subtype, description=description, region_codes=region_codes
    )
    with transaction.atomic():
        if refuse_duplicate:
            _check_not_duplicate(name, kind)
        if owner is not None and not verified:
            _check_unverified_allowance(owner)
        org = Organisation.objects.create(
            name=name, kind=kind, subtype=subtype, verified=verified, description=description
        )
        if regions:
            org.regions.add(*regions)
        audit_record(
            actor=actor,
            action=AuditAction.ORGANISATION_CREATED,
            obj=org,
            after=_org_snapshot(org),
            organisation=org,
        )
        if owner is not None:
            _membership_create(actor=actor, organisation=org, user=owner, role=Role.OWNER)
    return org


def _check_not_duplicate(name: str, kind: str) -> None:
    """Refuse an organisation whose name and kind an existing one has. Two runs at once
    must not both pass the check: on PostgreSQL a transaction-level advisory lock on the
    (kind, name) pair serialises them; SQLite runs one write transaction at a time."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(
            hashlib.sha256(f"org:{kind}:{name.casefold()}".encode()).digest()[:8], "big", signed=True
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    existing = Organisation.objects.filter(kind=kind, name__iexact=name).order_by("pk").first()
    if existing is not None:
        raise DuplicateOrganisation(
            _(
                "Sudah ada organisasi %(kind)s bernama “%(name)s” (ID %(id)s). Pakai yang itu, "
                "atau pilih nama lain."
            )
            % {"kind": existing.get_kind_display(), "name": existing.name, "id": existing.pk},
        )


def donor_individual_create(*, actor: Actor, user: Any) -> Organisation:
    """The donor profile of a person who gives as themselves: a donor organisation of
    subtype individual, owned by ``user``, named after them. Its name stays private:
    public pages and open data show it as "Donatur perorangan" (``models.public_name``)."""
    # A username may begin with a character a spreadsheet reads as a formula, which
    # organisation names may not: such characters are left out of the profile's name.
    name = (user.get_full_name() or user.get_username()).strip().lstrip("".join(FORMULA_START)).strip()
    return organisation_create(
        actor=actor,
        name=name or _("Donatur perorangan"),
        kind=OrgKind.DONOR,
        subtype=OrgSubtype.INDIVIDUAL,
        owner=user,
    )


def _check_unverified_allowance(owner: Any) -> None:
    """Hold limits are per organisation, so one person owning many unverified
    organisations would multiply them: each person may own at most
    ORG_UNVERIFIED_PER_PERSON unverified ones at a time. The person's row is locked so
    that two requests at once cannot both take the last place."""
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
    allowance = settings.ORG_UNVERIFIED_PER_PERSON
    owned = Membership.objects.filter(
        user=owner,
        role=Role.OWNER,
        organisation__verified=False,
        organisation__kind__in=(OrgKind.DONOR, OrgKind.AGGREGATOR),
    ).count()
    if owned >= allowance:
        raise AccountsInputError(
            "name",
            _(
                "Anda sudah memiliki %(n)s organisasi yang belum diverifikasi, batas untuk satu orang. "
                "Gunakan organisasi yang sudah ada, atau tunggu sampai operator memverifikasinya."
            )
            % {"n": owned},
        )


def _membership_create(*, actor: Actor, organisation: Organisation, user: Any, role: str) -> Membership:
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    audit_record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_ADDED,
        obj=membership,
        after={"user": user.get_username(), "role": role},
        organisation=organisation,
    )
    return membership


def membership_add(
    *, actor: Actor, organisation: Organisation, email: str, role: str = Role.MEMBER
) -> Membership:
    """Add the existing, verified account with this e-mail to ``organisation``."""
    User = get_user_model()
    email = email.strip()
    if role not in Role.values:
        raise AccountsInputError("role", _("Peran '%(role)s' tidak dikenal.") % {"role": role})
    if not email:
        raise AccountsInputError("email", _("E-mail wajib diisi."))
    users = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    if not users:
        raise AccountsInputError(
            "email",
            _(
                "Tidak ada akun aktif dengan e-mail ini; minta orangnya mendaftar dan memverifikasi "
                "e-mailnya dulu."
            ),
        )
    if len(users) > 1:
        raise AccountsInputError(
            "email",
            _("Lebih dari satu akun memakai e-mail ini; minta operator menambahkannya."),
        )
    user = users[0]
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise AccountsInputError("email", _("Akun ini sudah menjadi anggota organisasi."))
    with transaction.atomic():
        return _membership_create(actor=actor, organisation=organisation, user=user, role=role)


def organisation_verify(*, actor: Actor, organisation: Organisation) -> bool:
    """Mark an organisation verified (operators do this for aggregators). Returns False
    and changes nothing when it already was verified."""
    with transaction.atomic():
        changed = Organisation.objects.filter(pk=organisation.pk, verified=False).update(verified=True)
        if changed:
            audit_record(
                actor=actor,
                action=AuditAction.ORGANISATION_VERIFIED,
                obj=organisation,
                before={"verified": False},
                after={"verified": True},
                organisation=organisation,
            )
    organisation.verified = True
    return bool(changed)


def organisation_change(
    *,
    actor: Actor,
    organisation: Organisation,
    name: str,
    kind: str,
    subtype: str = "",
    description: str = "",
    region_codes: Iterable[str] = (),
) -> bool:
    """Set an organisation's name, kind, subtype, description and regions (an
    operator's correction; verifying is ``organisation_verify``). Checks everything
    first; AccountsInputError changes nothing. Returns False, and writes no event, when
    nothing changed."""
    name, description, regions = organisation_fields_clean(
        name=name, kind=kind, subtype=subtype, description=description, region_codes=region_codes
    )
    with transaction.atomic():
        locked = Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
        before = _org_snapshot(locked)
        locked.name, locked.kind, locked.subtype, locked.description = name, kind, subtype, description
        locked.save(update_fields=["name", "kind", "subtype", "description"])
        locked.regions.set(regions)
        after = _org_snapshot(locked)
        if after != before:
            audit_record(
                actor=actor,
                action=AuditAction.ORGANISATION_CHANGED,
                obj=locked,
                before=before,
                after=after,
                organisation=locked,
            )
    organisation.refresh_from_db()
    return after != before


def _membership_state(membership: Membership) -> dict[str, Any]:
    return {"user": membership.user.get_username(), "role": membership.role}


def membership_create(*, actor: Actor, organisation: Organisation, user: Any, role: str) -> Membership:
    """Make ``user`` a member of ``organisation`` with ``role`` (an operator's choice of
    account; people add each other by e-mail through ``membership_add``)."""
    if role not in Role.values:
        raise AccountsInputError("role", _("Peran '%(role)s' tidak dikenal.") % {"role": role})
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise AccountsInputError("user", _("Akun ini sudah menjadi anggota organisasi."))
    with transaction.atomic():
        return _membership_create(actor=actor, organisation=organisation, user=user, role=role)


def membership_change(*, actor: Actor, membership: Membership, role: str) -> bool:
    """Give a member another role. False, and no event, when the role is the same."""
    if role not in Role.values:
        raise AccountsInputError("role", _("Peran '%(role)s' tidak dikenal.") % {"role": role})
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if locked.role == role:
            return False
        before = _membership_state(locked)
        locked.role = role
        locked.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_CHANGED,
            obj=locked,
            before=before,
            after=_membership_state(locked),
            organisation=locked.organisation,
        )
    membership.role = role
    return True


def membership_remove(*, actor: Actor, membership: Membership) -> None:
    """Take a person out of an organisation (their account and the organisation stay)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_REMOVED,
            obj=membership,
            before=_membership_state(membership),
            organisation=membership.organisation,
        )
        membership.delete()


def user_set_active(*, actor: Actor, user: Any, active: bool) -> bool:
    """Deactivate (or reactivate) an account. People are never deleted: their rows stay
    so that what they did keeps its name in the audit log; a deactivated account cannot
    sign in. False, and no event, when the account already was in that state."""
    User = get_user_model()
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active)
        if changed:
            audit_record(
                actor=actor,
                action=AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED,
                obj=user,
                before={"is_active": not active},
                after={"is_active": active},
            )
    user.refresh_from_db(fields=["is_active"])
    return bool(changed)


# What an operator may change about an account in the admin, as the audit log records
# it: never the password (its change is an event without values).
USER_AUDIT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_superuser",
    "groups",
    "user_permissions",
)


def user_state(user: Any) -> dict[str, Any]:
    """The account as the audit log records it (``USER_AUDIT_FIELDS``)."""
    return snapshot(user, USER_AUDIT_FIELDS)


def user_saved(*, actor: Actor, user: Any, before: dict[str, Any] | None) -> bool:
    """Record an account an operator created (``before`` None) or edited in the admin,
    once the row and its groups and permissions are saved, inside the same transaction.
    An edit that changed nothing writes nothing; returns whether an event was written."""
    after = user_state(user)
    if before == after:
        return False
    changed = {name: value for name, value in after.items() if before is None or before.get(name) != value}
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED if before is None else AuditAction.USER_CHANGED,
        obj=user,
        before=None if before is None else {name: before.get(name) for name in changed},
        after=changed,
    )
    return True


def user_password_set(*, actor: Actor, user: Any) -> None:
    """Record that an operator set (or disabled) an account's password: who and when,
    never the password or its hash."""
    audit_record(
        actor=actor,
        action=AuditAction.USER_PASSWORD_SET,
        obj=user,
        after={"password_usable": user.has_usable_password()},
    )


# --- API tokens -----------------------------------------------------------------------


def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def token_scopes_parse(raw: str | Iterable[str]) -> str:
    """Normalise scopes ("pledge,funds", ["read", "pledge"], "all") to the stored form:
    known names, space-separated, in a fixed order, always including ``read``."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else [str(x).strip() for x in raw]
    if items == ["all"]:
        return ALL_SCOPES
    unknown = [x for x in items if x not in TokenScope.values]
    if unknown:
        raise AccountsInputError(
            "scope",
            _("Cakupan tidak dikenal: %(scopes)s; pilih dari %(choices)s atau all.")
            % {"scopes": ", ".join(unknown), "choices": ", ".join(TokenScope.values)},
        )
    chosen = {TokenScope.READ.value, *items}
    return " ".join(v for v in TokenScope.values if v in chosen)


def token_create(
    *,
    actor: Actor,
    organisation: Organisation,
    name: str = "",
    scopes: str | Iterable[str] = ALL_SCOPES,
    days: int | None = None,
) -> str:
    """Create an API token for ``organisation`` with ``scopes``, valid for ``days``
    (API_TOKEN_DAYS by default); returns the plain token, which is shown once and never
    stored (only its SHA-256 is)."""
    scope_value = token_scopes_parse(scopes)
    lifetime = settings.API_TOKEN_DAYS if days is None else days
    if lifetime < 1:
        raise AccountsInputError("days", _("Masa berlaku minimal 1 hari."))
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            organisation=organisation,
            name=name.strip()[:100],
            key_hash=token_hash(plain),
            prefix=plain[:TOKEN_DISPLAY_CHARS],
            created_by=acting_user(actor),
            scopes=scope_value,
            expires_at=timezone.now() + timedelta(days=lifetime),
        )
        audit_record(
            actor=actor,
            action=AuditAction.TOKEN_CREATED,
            obj=token,
            after={
                "prefix": token.prefix,
                "name": token.name,
                "scopes": scope_value,
                "expires_at": token.expires_at.isoformat(),
            },
            organisation=organisation,
        )
    return plain


def token_revoke(*, actor: Actor, token: ApiToken) -> bool:
    """Revoke a token; it stops working on the next request. False if already revoked."""
    now = timezone.now()
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        if changed:
            audit_record(
                actor=actor,
                action=AuditAction.TOKEN_REVOKED,
                obj=token,
                before={"revoked_at": None},
                after={"revoked_at": now.isoformat()},
                organisation=token.organisation,
            )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(changed)
