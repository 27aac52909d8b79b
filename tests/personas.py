"""Named personas for every role plus an outsider:

- ``dina``  – donor, owner of the company "PT Dina Logistik"
- ``agus``  – aggregator, owner of the verified "Yayasan Agus Peduli"
- ``ratna`` – coordinator (Ketua RW) covering RW ``31.74.05.1003.001`` (Cipulir, Kebayoran Lama)
- ``oki``   – operator, member of "Tim Operator KSBB"
- ``luar``  – an outsider: a registered account in no organisation

Each persona with an organisation carries a real API token for it (``Persona.token``,
made by ``token_create``), for ``Authorization: Bearer ...`` in API tests.
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
