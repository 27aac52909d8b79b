"""Accepting an invitation: the link sets the first password of the invited account,
activates it and logs the person in as a member of the organisation. Links expire, work
once, and never set the password of an account that already has one."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from kolaborasi.accounts.invites import user_invite
from kolaborasi.accounts.models import EmailLink, EmailLinkPurpose, Membership
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from tests.personas import make_org

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Sandi-ketua-rw-yang-kuat-2026"


@pytest.fixture
def invitation(db, fast_hasher):  # type: ignore[no-untyped-def]
    org = make_org("RW 007 Cipulir", kind="coordinator")
    return user_invite(
        actor=None, email="ketua7@example.org", organisation=org, role="owner", site_url="http://testserver/"
    )


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_accepting_sets_the_password_and_logs_in(client: Client, invitation) -> None:  # type: ignore[no-untyped-def]
    response = client.get(_path(invitation.url))
    # The token leaves the address bar at once.
    assert response.status_code == 302 and response["Location"] == "/akun/undangan/sesi/"
    page = client.get("/akun/undangan/sesi/").content.decode()
    assert "RW 007 Cipulir" in page and invitation.user.username in page
    response = client.post(
        "/akun/undangan/sesi/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    org = Membership.objects.get(user=invitation.user).organisation
    assert response.status_code == 302
    assert response["Location"] == f"/akun/organisasi/{org.pk}/"
    user = User.objects.get(pk=invitation.user.pk)
    assert user.is_active and user.check_password(NEW_PASSWORD)
    # Logged in, acting for the coordinator organisation.
    page = client.get(response["Location"]).content.decode()
    assert "RW 007 Cipulir" in page and "Konfirmasi bantuan yang tiba" in page
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEvent.objects.filter(action="user.invite_accepted", object_id=str(user.pk)).exists()
    assert audit_verify().ok
    # The link works once.
    client.logout()
    client.get(_path(invitation.url))
    response = client.get("/akun/undangan/sesi/")
    assert response.status_code == 400
    assert "sudah dipakai" in response.content.decode()


def test_a_weak_password_is_refused_and_the_link_still_works(client: Client, invitation) -> None:  # type: ignore[no-untyped-def]
    client.get(_path(invitation.url))
    response = client.post("/akun/undangan/sesi/", {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    user = User.objects.get(pk=invitation.user.pk)
    assert not user.has_usable_password() and not user.is_active
    assert EmailLink.objects.get(user=user, purpose=EmailLinkPurpose.INVITE).used_at is None


def test_an_expired_link_is_refused(client: Client, invitation) -> None:  # type: ignore[no-untyped-def]
    EmailLink.objects.filter(user=invitation.user).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.get(_path(invitation.url))
    response = client.post(
        "/akun/undangan/sesi/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 400
    assert "sudah kedaluwarsa" in response.content.decode()
    assert not User.objects.get(pk=invitation.user.pk).has_usable_password()


def test_a_wrong_token_is_refused(client: Client, invitation) -> None:  # type: ignore[no-untyped-def]
    client.get("/akun/undangan/" + "A" * 43 + "/")
    response = client.get("/akun/undangan/sesi/")
    assert response.status_code == 400
    assert "tidak sah" in response.content.decode()
    # Without any token at all.
    fresh = Client()
    assert fresh.get("/akun/undangan/sesi/").status_code == 400


def test_only_the_hash_is_stored(invitation) -> None:  # type: ignore[no-untyped-def]
    token = invitation.url.rstrip("/").rsplit("/", 1)[1]
    assert not EmailLink.objects.filter(token_hash=token).exists()
    assert EmailLink.objects.filter(token_hash=hashlib.sha256(token.encode()).hexdigest()).exists()


def test_a_link_cannot_take_over_an_account_that_got_a_password(client: Client, invitation) -> None:  # type: ignore[no-untyped-def]
    # The owner set a password another way (e.g. a second invitation's link) first.
    user = User.objects.get(pk=invitation.user.pk)
    user.set_password("Pilihan-pemilik-2026")
    user.is_active = True
    user.save()
    client.get(_path(invitation.url))
    response = client.post(
        "/akun/undangan/sesi/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password("Pilihan-pemilik-2026")
    assert "_auth_user_id" not in client.session


def test_inviting_again_gives_a_fresh_link_for_the_same_account(client: Client, invitation) -> None:  # type: ignore[no-untyped-def]
    org = Membership.objects.get(user=invitation.user).organisation
    again = user_invite(
        actor=None, email="KETUA7@example.org", organisation=org, role="owner", site_url="http://testserver/"
    )
    assert again.user.pk == invitation.user.pk and again.url != invitation.url
    assert Membership.objects.filter(user=again.user).count() == 1
    client.get(_path(again.url))
    response = client.post(
        "/akun/undangan/sesi/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    # Accepting one link ends the others.
    other = Client()
    other.get(_path(invitation.url))
    assert "sudah dipakai" in other.get("/akun/undangan/sesi/").content.decode()


def test_registering_with_an_invited_address_mails_a_fresh_invitation(  # type: ignore[no-untyped-def]
    client: Client, invitation, django_capture_on_commit_callbacks
) -> None:
    from django.core import mail

    from tests.tasks_support import run_tasks

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/akun/daftar/",
            {
                "username": "ketua",
                "email": "ketua7@example.org",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
    run_tasks()
    assert "/akun/undangan/" in str(mail.outbox[-1].body)
    assert User.objects.filter(email__iexact="ketua7@example.org").count() == 1
    assert not User.objects.get(pk=invitation.user.pk).has_usable_password()


def test_an_invited_operator_sets_up_the_second_factor_next(client: Client, fast_hasher) -> None:  # type: ignore[no-untyped-def]
    org = make_org("Tim Operator Kota", kind="operator")
    invitation = user_invite(
        actor=None, email="op.baru@example.org", organisation=org, site_url="http://testserver/"
    )
    client.get(_path(invitation.url))
    response = client.post(
        "/akun/undangan/sesi/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == f"/akun/organisasi/{org.pk}/"
    # Operators log in with a second factor: the organisation's page waits for it.
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert "/akun/dua-langkah/" in response["Location"]
