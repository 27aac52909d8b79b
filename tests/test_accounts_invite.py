"""Operators invite coordinators (for one or more areas) and other operators by e-mail
from /akun/operator/undang/; nobody else may. The invitee gets a link by e-mail, sets a
password and is a member of the organisation. An address that already has an account
with a password is only added as a member: no link can set that account's password."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from kolaborasi.accounts.models import EmailLink, Membership, Organisation, OrgKind, Role
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.core.once import FIELD
from tests.personas import RATNA_RW, login
from tests.tasks_support import run_tasks

pytestmark = pytest.mark.django_db

User = get_user_model()
URL = "/akun/operator/undang/"
CIPULIR = "31.74.05.1003"


def _key(client: Client) -> str:
    page = client.get(URL).content.decode()
    match = re.search(rf'name="{FIELD}" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _post(client: Client, data: Mapping[str, object]) -> Any:
    return client.post(URL, {FIELD: _key(client), **data})


def _mailed_link() -> str:
    run_tasks()
    match = re.search(r"http://testserver(/akun/\S+)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def _state() -> tuple[int, int, int, int, int]:
    return (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        EmailLink.objects.count(),
        AuditEvent.objects.count(),
    )


def test_operator_invites_a_coordinator_for_rws(
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["oki"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client, {"email": "ketua@example.org", "kind": "coordinator", "wilayah": CIPULIR, "rw": "2, 3"}
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    org = Organisation.objects.get(kind=OrgKind.COORDINATOR, memberships__user__email="ketua@example.org")
    assert sorted(org.regions.values_list("code", flat=True)) == [f"{CIPULIR}.002", f"{CIPULIR}.003"]
    assert org.name == "Koordinator RW 002 Kel. Cipulir dan 1 wilayah lain"
    assert org.verified
    user = User.objects.get(email="ketua@example.org")
    assert (user.is_active, user.has_usable_password()) == (False, False)
    assert Membership.objects.get(user=user).role == Role.OWNER
    link = _mailed_link()
    assert link.startswith("/akun/undangan/")
    assert mail.outbox[-1].to == ["ketua@example.org"]
    assert org.name in mail.outbox[-1].subject
    assert AuditEvent.objects.filter(action="user.invited", object_id=str(user.pk)).exists()
    assert audit_verify().ok
    page = client.get(URL).content.decode()
    assert "Undangan terkirim ke ketua@example.org" in page


def test_areas_collect_before_sending(client: Client, personas, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["oki"])
    before = _state()
    # "Add this area": nothing is written, the area comes back ticked, even before the
    # e-mail is typed (no complaint about it yet).
    response = _post(client, {"email": "", "kind": "coordinator", "wilayah": CIPULIR, "add_area": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(rf'<input type="checkbox" name="area" value="{re.escape(CIPULIR)}"[^>]* checked', page)
    assert "Kel. Cipulir" in page
    assert "errorlist" not in page
    assert _state() == before
    # A bad RW number is said at once, and nothing is added.
    response = _post(
        client, {"email": "", "kind": "coordinator", "wilayah": CIPULIR, "rw": "x", "add_area": "1"}
    )
    assert response.status_code == 400 and "bukan nomor RW" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client,
            {
                "email": "lurah@example.org",
                "kind": "coordinator",
                "area": [CIPULIR],
                "wilayah": "31.74.05.1004",
                "name": "Lurah Cipulir dan sekitarnya",
            },
        )
    assert response.status_code == 302
    org = Organisation.objects.get(name="Lurah Cipulir dan sekitarnya")
    assert sorted(org.regions.values_list("code", flat=True)) == [CIPULIR, "31.74.05.1004"]


def test_operator_invites_another_operator(
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["oki"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client,
            {"email": "op2@example.org", "kind": "operator", "operator_org": personas["oki"].organisation.pk},
        )
    assert response.status_code == 302
    user = User.objects.get(email="op2@example.org")
    membership = Membership.objects.get(user=user)
    assert membership.organisation == personas["oki"].organisation
    assert membership.role == Role.MEMBER
    assert _mailed_link().startswith("/akun/undangan/")


def test_existing_account_with_password_is_added_not_taken_over(
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    luar = personas["luar"].user
    password_before = luar.password
    login(client, personas["oki"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client, {"email": luar.email.upper(), "kind": "coordinator", "wilayah": f"{CIPULIR}.004"}
        )
    assert response.status_code == 302
    assert Membership.objects.get(user=luar).organisation.kind == OrgKind.COORDINATOR
    luar.refresh_from_db()
    assert luar.password == password_before
    # No link that sets a password: the mail leads to the login page.
    assert not EmailLink.objects.filter(user=luar).exists()
    link = _mailed_link()
    assert link.startswith("/akun/masuk/?next=")
    assert "sudah punya akun" in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"email": "x@example.org", "kind": "coordinator"}, "Pilih paling sedikit satu wilayah"),
        (
            {"email": "x@example.org", "kind": "coordinator", "wilayah": CIPULIR, "rw": "lima"},
            "bukan nomor RW",
        ),
        (
            {"email": "x@example.org", "kind": "coordinator", "wilayah": "31.74.05", "rw": "1"},
            "Nomor RW hanya bersama satu kelurahan",
        ),
        (
            {"email": "x@example.org", "kind": "coordinator", "wilayah": CIPULIR, "rw": "999"},
            "Kode wilayah tidak dikenal",
        ),
        ({"email": "bukan-email", "kind": "coordinator", "wilayah": CIPULIR}, "alamat email yang valid"),
        (
            {"email": "x@example.org", "kind": "coordinator", "wilayah": CIPULIR, "name": "RW 001 Cipulir"},
            "Sudah ada organisasi",
        ),
        (
            {"email": "x@example.org", "kind": "coordinator", "wilayah": CIPULIR, "name": "=HYPERLINK(1)"},
            "rumus",
        ),
        (
            {"email": "x@example.org", "kind": "tamu", "wilayah": CIPULIR},
            "tamu bukan salah satu dari pilihan",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: Client, personas, data: dict[str, str], field_message: str
) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["oki"])
    before = _state()
    response = _post(client, data)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert _state() == before
    # What was typed stays in the form.
    assert data["email"] in response.content.decode()


def test_deactivated_account_is_refused(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    luar = personas["luar"].user
    User.objects.filter(pk=luar.pk).update(is_active=False, last_login="2026-01-01T00:00:00Z")
    login(client, personas["oki"])
    before = _state()
    response = _post(client, {"email": luar.email, "kind": "coordinator", "wilayah": f"{CIPULIR}.004"})
    assert response.status_code == 400
    assert "dinonaktifkan" in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize("persona", ["anonymous", "dina", "agus", "ratna", "luar"])
def test_only_operators_invite(client: Client, personas, persona: str) -> None:  # type: ignore[no-untyped-def]
    if persona != "anonymous":
        login(client, personas[persona])
    before = _state()
    data = {"email": "ketua@example.org", "kind": "coordinator", "wilayah": RATNA_RW, FIELD: "x" * 43}
    for response in (client.get(URL), client.post(URL, data)):
        if persona == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/akun/masuk/?next=")
        else:
            assert response.status_code == 403
            assert "hanya untuk operator" in response.content.decode()
    assert _state() == before
    assert not User.objects.filter(email="ketua@example.org").exists()


def test_admin_speaks_indonesian_and_picks_users_by_email(admin_client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    org = personas["ratna"].organisation
    page = admin_client.get(f"/admin/accounts/organisation/{org.pk}/change/").content.decode()
    assert "Tambahkan Keanggotaan lagi" in page or "Tambahkan Keanggotaan" in page
    assert "Membership" not in page
    # The user is chosen with an autocomplete that searches e-mail addresses.
    assert 'data-model-name="user"' in page or "admin-autocomplete" in page
    found = admin_client.get(
        "/admin/autocomplete/",
        {"term": "ratna@example", "app_label": "accounts", "model_name": "membership", "field_name": "user"},
    ).json()
    assert [r["text"] for r in found["results"]] == ["ratna"]
    index = admin_client.get("/admin/").content.decode()
    assert "Boundarys" not in index and "Batas wilayah" in index
