"""Operators and everyone in an aggregator log in with a second factor: TOTP (django-otp) with
recovery codes. First login: enrol (QR code, key, confirm a code, recovery codes shown
once); later logins: a code from the app or a recovery code (each works once). Until a
code is accepted the person reaches no page that needs a login, the admin included.
Wrong codes are throttled."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.personal import PREFIX, event_opened
from kolaborasi.audit.services import audit_verify
from tests.personas import PASSWORD, login

pytestmark = pytest.mark.django_db
OPERATOR_PAGE = "/akun/operator/agregator/"
SECOND = "/akun/dua-langkah/"
ENROL = "/akun/dua-langkah/pasang/"


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the person's authenticator app shows (``steps_ahead`` periods later: a code
    is accepted once, so a second login in the same 30 s needs the next one)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, steps_ahead):06d}"


def _pause_passed(device: TOTPDevice) -> None:
    """As if the throttling pause after a wrong code had run out."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )


def _password_login(client: Client, username: str) -> None:
    response = client.post(
        "/akun/masuk/", {"username": username, "password": PASSWORD, "next": OPERATOR_PAGE}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_operator_enrols_then_logs_in_with_a_code_or_a_recovery_code(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    oki = personas["oki"].user
    _password_login(client, "oki")
    # The operator page sends the person to the second factor, which (first time) sends
    # them on to enrolment.
    response = client.get(OPERATOR_PAGE)
    assert response.status_code == 302 and response["Location"].startswith(SECOND)
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    response = client.get(response["Location"])
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml', page)
    device = TOTPDevice.objects.get(user=oki, confirmed=False)
    assert response.context["key"].replace(" ", "") in page.replace(" ", "")

    # A wrong code is refused; nothing is confirmed.
    response = client.post(ENROL, {"code": _wrong(_code(device)), "next": OPERATOR_PAGE})
    assert response.status_code == 200 and "Kode salah" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(OPERATOR_PAGE).status_code == 302
    _pause_passed(device)

    # The right code: confirmed, recovery codes shown (this once), and in.
    response = client.post(ENROL, {"code": _code(device), "next": OPERATOR_PAGE})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and all(c in response.content.decode() for c in codes)
    assert StaticToken.objects.filter(device__user=oki).count() == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert AuditEvent.objects.filter(action="user.second_factor_enrolled", object_id=str(oki.pk)).exists()
    assert client.get(OPERATOR_PAGE).status_code == 200
    # Enrolment cannot be redone by someone who only has the password.
    assert client.get(ENROL)["Location"].startswith(SECOND)

    # Next login: password, then a code from the app.
    client.post("/akun/keluar/")
    _password_login(client, "oki")
    assert client.get(OPERATOR_PAGE)["Location"].startswith(SECOND)
    assert client.get(SECOND).status_code == 200
    device.refresh_from_db()
    response = client.post(SECOND, {"code": _wrong(_code(device, 1)), "next": OPERATOR_PAGE})
    assert response.status_code == 200 and "Kode salah" in response.content.decode()
    assert client.get(OPERATOR_PAGE).status_code == 302
    _pause_passed(device)
    response = client.post(SECOND, {"code": _code(device, 1), "next": OPERATOR_PAGE})
    assert response.status_code == 302 and response["Location"] == OPERATOR_PAGE
    assert client.get(OPERATOR_PAGE).status_code == 200

    # Phone lost: a recovery code works, once.
    client.post("/akun/keluar/")
    _password_login(client, "oki")
    response = client.post(SECOND, {"code": codes[0].upper(), "next": OPERATOR_PAGE})
    assert response.status_code == 302 and response["Location"] == OPERATOR_PAGE
    assert client.get(OPERATOR_PAGE).status_code == 200
    assert StaticToken.objects.filter(device__user=oki).count() == 9
    client.post("/akun/keluar/")
    _password_login(client, "oki")
    response = client.post(SECOND, {"code": codes[0], "next": OPERATOR_PAGE})
    assert response.status_code == 200 and "Kode salah" in response.content.decode()
    assert client.get(OPERATOR_PAGE).status_code == 302


def test_wrong_codes_are_throttled(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    oki = personas["oki"].user
    device = TOTPDevice.objects.create(user=oki, name="authenticator", confirmed=True)
    _password_login(client, "oki")
    response = client.post(SECOND, {"code": _wrong(_code(device))})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # After many wrong codes, even the right one waits: 429 with Retry-After.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=10)
    response = client.post(SECOND, {"code": _code(device)})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 60
    assert "Terlalu banyak kode salah" in response.content.decode()
    assert client.get(OPERATOR_PAGE).status_code == 302


def test_without_the_second_factor_nothing_behind_the_login_opens(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    waiting = Organisation.objects.create(name="Yayasan Baru", kind=OrgKind.AGGREGATOR)
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", PASSWORD)
    TOTPDevice.objects.create(user=personas["oki"].user, name="authenticator", confirmed=True)
    for user, paths in (
        (personas["oki"].user, [OPERATOR_PAGE, "/akun/", "/komitmen/semua/", "/admin/"]),
        (
            personas["agus"].user,
            ["/akun/", f"/akun/organisasi/{personas['agus'].organisation.pk}/", "/dana/"],
        ),
        (admin, ["/admin/", "/admin/accounts/organisation/", OPERATOR_PAGE]),
    ):
        client.force_login(user)  # the password only
        for path in paths:
            response = client.get(path)
            assert response.status_code == 302, (user, path)
            assert response["Location"].startswith(SECOND), (user, path, response["Location"])
        # Writes are refused too, and change nothing.
        response = client.post(f"/akun/operator/agregator/{waiting.pk}/verifikasi/")
        assert response.status_code == 302 and response["Location"] == SECOND
        client.logout()
    waiting.refresh_from_db()
    assert waiting.verified is False

    # With the second factor the same pages open; a donor never needs one.
    login(client, admin)
    assert client.get("/admin/").status_code == 200
    login(client, personas["oki"])
    assert client.get(OPERATOR_PAGE).status_code == 200
    client.force_login(personas["dina"].user)
    assert client.get("/akun/").status_code == 200


def test_an_aggregator_owner_must_enrol(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas["luar"].user)
    assert client.get("/akun/").status_code == 200
    response = client.post(
        "/akun/organisasi/baru/", {"name": "Yayasan Luar", "kind": "aggregator", "subtype": ""}
    )
    assert response.status_code == 302
    # From now on the owner of an aggregator needs the second factor.
    response = client.get("/akun/")
    assert response.status_code == 302 and response["Location"].startswith(SECOND)
    assert client.get(response["Location"])["Location"].startswith(ENROL)


def test_every_member_of_an_aggregator_must_enrol(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    """Any member may confirm, spend and refund the aggregator's money, so a member who
    is not the owner owes the second factor too; a donor's member does not."""
    from kolaborasi.accounts.models import Membership, Role

    User = get_user_model()
    member = User.objects.create_user("anggota", "anggota@example.org", PASSWORD)
    Membership.objects.create(user=member, organisation=personas["agus"].organisation, role=Role.MEMBER)
    client.force_login(member)
    response = client.get("/akun/")
    assert response.status_code == 302 and response["Location"].startswith(SECOND)

    helper = User.objects.create_user("pembantu", "pembantu@example.org", PASSWORD)
    Membership.objects.create(user=helper, organisation=personas["dina"].organisation, role=Role.MEMBER)
    client.force_login(helper)
    assert client.get("/akun/").status_code == 200


def test_the_wait_after_wrong_codes_is_capped(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    """Someone who has the password can make wrong codes, but cannot lock the owner out
    of the second step for days: the wait stops growing at the configured cap."""
    settings.SECOND_FACTOR_MAX_WAIT_SECONDS = 900
    oki = personas["oki"].user
    device = TOTPDevice.objects.create(user=oki, name="authenticator", confirmed=True)
    _password_login(client, "oki")
    # Forty wrong codes in django-otp's own doubling would mean a wait of 2^39 s.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=40, throttling_failure_timestamp=timezone.now()
    )
    response = client.post(SECOND, {"code": _code(device)})
    assert response.status_code == 429
    assert 60 < int(response["Retry-After"]) <= 900 + 1
    device.refresh_from_db()
    assert device.throttling_failure_count == 10  # 2^9 = 512 s, the last wait under the cap


def test_resetting_a_second_factor_in_the_admin_is_audited(admin_client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    """An operator resets someone who lost phone and recovery codes by deleting their
    devices in the admin; who removed whose device is in the audit chain, the secret not."""
    oki = personas["oki"].user
    device = TOTPDevice.objects.create(user=oki, name="authenticator", confirmed=True)
    response = admin_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = AuditEvent.objects.filter(action="user.second_factor_removed").get()
    before = event.before or {}
    # The owner's username is personal: a commitment in the chain, opened for operators.
    assert before["user"].startswith(PREFIX) and event_opened(event)["before"]["user"] == "oki"
    assert before["device"] == device.persistent_id
    assert device.key not in str(before)
    assert event.actor_id is not None and event.actor_id != oki.pk
    assert audit_verify().ok


def test_the_admin_never_shows_a_devices_secret(admin_client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    """An operator resets a device; nobody copies another person's authenticator key or
    recovery codes from the admin."""
    device = TOTPDevice.objects.create(user=personas["oki"].user, name="authenticator", confirmed=True)
    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code in (403, 404)
