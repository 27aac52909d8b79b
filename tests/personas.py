"""Who acts in the tests: named personas for every role, the small builders for anyone
else, and the ways they sign in (a session, or an API token).

Personas (the ``personas`` fixture, from ``make_personas``):

- ``dina``  – donor, owner of the company "PT Dina Logistik"
- ``agus``  – aggregator, owner of the verified "Yayasan Agus Peduli"
- ``ratna`` – coordinator (Ketua RW) covering RW ``31.74.05.1003.001`` (Cipulir, Kebayoran Lama)
- ``oki``   – operator, member of "Tim Operator KSBB"
- ``luar``  – an outsider: a registered account in no organisation

Each persona with an organisation carries a real API token for it (``Persona.token``,
made by ``token_create``), for ``Authorization: Bearer ...`` in API tests.

Builders and sign-in, for personas and for anyone a test makes itself:

- ``make_org(name, kind=..., verified=..., subtype=...)`` – an organisation;
- ``token_for(persona_or_org)`` – an API token, ``auth(...)`` the test client's header
  for it, ``api_post`` / ``api_get`` – a JSON request with a token;
- ``login(client, persona_or_user)`` – a session, with the second factor when required.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, make_password
from django.contrib.auth.models import AbstractBaseUser, User
from django.test import Client

from kolaborasi.accounts.models import Membership, Organisation, OrgKind, OrgSubtype, Role
from kolaborasi.accounts.services import token_create
from kolaborasi.regions.models import Region

PASSWORD = "kolaborasi-uji-2026"
RATNA_RW = "31.74.05.1003.001"


@dataclass
class Persona:
    user: User
    organisation: Organisation | None
    token: str = ""  # an API token of ``organisation`` ("" for an outsider)

    @property
    def auth_header(self) -> dict[str, str]:
        """Extra kwargs for the test client: ``client.get(url, **persona.auth_header)``."""
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}


@cache
def _password_hash_with(hasher: str) -> str:
    return make_password(PASSWORD, hasher=hasher)


def _password_hash() -> str:
    # Hashing is deliberately slow (PBKDF2); hash the shared password once per session
    # instead of five times per test — once per hasher: a module's fast_hasher fixture
    # must not leave its hash to a later test whose settings do not accept it.
    return _password_hash_with(get_hasher().algorithm)


def _persona(username: str, org: Organisation | None, role: str = Role.OWNER) -> Persona:
    user = get_user_model().objects.create_user(username, f"{username}@example.org")
    user.password = _password_hash()
    user.save(update_fields=["password"])
    if org is not None:
        Membership.objects.create(user=user, organisation=org, role=role)
        return Persona(user=user, organisation=org, token=token_create(actor=user, organisation=org))
    return Persona(user=user, organisation=org)


def make_org(
    name: str = "Donatur Uji", kind: str = OrgKind.DONOR, *, verified: bool = True, subtype: str = ""
) -> Organisation:
    """An organisation with no members. Verified by default, so that a test about a
    need or a ledger is not also about the unverified tier's limits; a donor is a
    company unless ``subtype`` says otherwise."""
    if kind == OrgKind.DONOR and not subtype:
        subtype = OrgSubtype.COMPANY
    return Organisation.objects.create(name=name, kind=kind, verified=verified, subtype=subtype)


def make_personas() -> dict[str, Persona]:
    dina_org = Organisation.objects.create(
        name="PT Dina Logistik", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY
    )
    agus_org = Organisation.objects.create(name="Yayasan Agus Peduli", kind=OrgKind.AGGREGATOR, verified=True)
    ratna_org = Organisation.objects.create(name="RW 001 Cipulir", kind=OrgKind.COORDINATOR, verified=True)
    ratna_org.regions.add(Region.objects.get(code=RATNA_RW))
    oki_org = Organisation.objects.create(name="Tim Operator KSBB", kind=OrgKind.OPERATOR, verified=True)
    return {
        "dina": _persona("dina", dina_org),
        "agus": _persona("agus", agus_org),
        "ratna": _persona("ratna", ratna_org),
        "oki": _persona("oki", oki_org, Role.MEMBER),
        "luar": _persona("luar", None),
    }


def token_for(who: Any) -> str:
    """An API token for an organisation, or a persona's (``""`` for one without an
    organisation). Anything with ``organisation`` and ``token`` attributes is a persona
    here; the token made for it is kept on it."""
    if isinstance(who, Organisation):
        return token_create(actor=None, organisation=who)
    if who.token:
        return str(who.token)
    if who.organisation is None:
        return ""
    who.token = token_create(actor=None, organisation=who.organisation)
    return str(who.token)


def auth(who: Any) -> dict[str, str]:
    """The test client's keyword arguments for ``who``'s token (see ``token_for``):
    ``client.get(url, **auth(persona))``; nothing for an outsider."""
    token = token_for(who)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def api_post(client: Client, path: str, token: str | None, body: Any = None) -> Any:
    """A JSON POST with ``token`` (none when empty)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        path, data=body if body is not None else {}, content_type="application/json", headers=headers
    )


def api_get(client: Client, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers)


def login(client: Client, persona: Persona | AbstractBaseUser) -> None:
    """Log ``persona`` (or a bare user) into ``client``, with a verified second factor
    when the account must use one (operators, aggregator owners, staff): as if the
    person had typed their password and a code from their authenticator."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kolaborasi.accounts.access import second_factor_required

    user: Any = persona.user if isinstance(persona, Persona) else persona
    client.force_login(user)
    if second_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
