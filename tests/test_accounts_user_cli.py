"""`kolaborasi user invite --email EMAIL --org ID [--role owner|member]` (public
contract): one line of JSON {"user": ID, "invite_url": "..."}; the same address twice
reuses the account. `kolaborasi org create` refuses a second organisation with the same
name and kind unless --allow-duplicate."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.test import Client

from kolaborasi.accounts.models import EmailLink, Membership, Organisation, Role
from kolaborasi.audit.services import audit_verify
from tests.personas import make_org

pytestmark = pytest.mark.django_db

User = get_user_model()


def _line(out: str) -> dict:  # type: ignore[type-arg]
    lines = out.splitlines()
    assert len(lines) == 1, out
    data = json.loads(lines[0])
    assert set(data) == {"user", "invite_url"}
    return data  # type: ignore[no-any-return]


def test_invite_twice_reuses_the_account_with_a_fresh_link(run_cli, client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://bantuan.example.go.id"
    org = make_org("RW 009 Cipulir", kind="coordinator")
    first = _line(run_cli("user", "invite", "--email", "rw9@example.org", "--org", str(org.pk))[0])
    second = _line(
        run_cli("user", "invite", "--email", "rw9@example.org", "--org", str(org.pk), "--role", "owner")[0]
    )
    assert first["user"] == second["user"]
    assert first["invite_url"] != second["invite_url"]
    assert second["invite_url"].startswith("https://bantuan.example.go.id/akun/undangan/")
    user = User.objects.get(pk=first["user"])
    assert user.email == "rw9@example.org"
    # The first invitation's role stands: inviting again does not change a membership.
    assert Membership.objects.get(user=user, organisation=org).role == Role.MEMBER
    assert EmailLink.objects.filter(user=user, used_at__isnull=True).count() == 2
    # The fresh link works.
    path = second["invite_url"].removeprefix("https://bantuan.example.go.id")
    client.get(path)
    page = client.get("/akun/undangan/sesi/", secure=True)
    assert page.status_code == 200 and "RW 009 Cipulir" in page.content.decode()
    assert audit_verify().ok


def test_invite_an_existing_account_prints_the_login_page(run_cli, personas) -> None:  # type: ignore[no-untyped-def]
    org = make_org("Tim Operator Kota", kind="operator")
    luar = personas["luar"].user
    data = _line(run_cli("user", "invite", "--email", luar.email, "--org", str(org.pk), "--role", "owner")[0])
    assert data["user"] == luar.pk
    assert "/akun/masuk/?next=" in data["invite_url"]
    assert Membership.objects.get(user=luar, organisation=org).role == Role.OWNER
    assert not EmailLink.objects.filter(user=luar).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "a@example.org", "--org", "abc"], "harus angka"),
        (["--email", "a@example.org", "--org", "999999"], "tidak ada"),
        (["--email", "bukan-email", "--org", "{coord}"], "bukan alamat e-mail yang sah"),
        (["--email", "a@example.org", "--org", "{coord}", "--role", "raja"], "--role"),
        (["--email", "a@example.org", "--org", "{donor}"], "--org"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(run_cli, db, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    coord = make_org("RW 010 Cipulir", kind="coordinator")
    donor = make_org("PT Donor", kind="donor")
    args = [a.format(coord=coord.pk, donor=donor.pk) for a in args]
    users_before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        run_cli("user", "invite", *args)
    assert User.objects.count() == users_before
    assert not Membership.objects.exists()
    assert not EmailLink.objects.exists()


def test_org_create_refuses_a_duplicate_unless_allowed(run_cli, db) -> None:  # type: ignore[no-untyped-def]
    out, _err = run_cli("org", "create", "--name", "Dinas Sosial DKI", "--kind", "operator")
    first = json.loads(out)["id"]
    with pytest.raises(
        CommandError, match=r"Sudah ada organisasi Operator bernama “Dinas Sosial DKI” \(ID \d+\)"
    ):
        run_cli("org", "create", "--name", "dinas sosial dki ", "--kind", "operator")
    assert Organisation.objects.filter(name__iexact="Dinas Sosial DKI").count() == 1
    # The same name of another kind is another organisation.
    run_cli("org", "create", "--name", "Dinas Sosial DKI", "--kind", "coordinator", "--region", "31.74")
    out, _err = run_cli(
        "org", "create", "--name", "Dinas Sosial DKI", "--kind", "operator", "--allow-duplicate"
    )
    second = json.loads(out)["id"]
    assert second != first
    assert Organisation.objects.filter(name="Dinas Sosial DKI", kind="operator").count() == 2


@pytest.mark.slow
def test_org_create_duplicate_exits_non_zero_from_the_command_line(migrated_sqlite) -> None:  # type: ignore[no-untyped-def]
    """Through the real `kolaborasi` console script: a refusal is a non-zero exit with the
    reason on stderr."""
    import os
    import subprocess
    from pathlib import Path

    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": migrated_sqlite()}
    kolaborasi = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kolaborasi")
    args = [kolaborasi, "org", "create", "--name", "Dinas Sosial DKI", "--kind", "operator"]
    assert subprocess.run(args, env=env, capture_output=True).returncode == 0
    again = subprocess.run(args, env=env, capture_output=True, text=True)
    assert again.returncode != 0
    assert "Dinas Sosial DKI" in again.stderr and "--allow-duplicate" in again.stderr


def test_deactivate_and_activate_from_the_command_line(run_cli, client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    """A person who leaves is deactivated, not deleted: they can no longer sign in, the
    account stays, each change is one audit event and the chain verifies."""
    from kolaborasi.audit.models import AuditEvent
    from tests.personas import PASSWORD

    dina = personas["dina"].user
    out, _err = run_cli("user", "deactivate", "--email", dina.email.upper())
    assert json.loads(out) == {"user": dina.pk, "active": False, "changed": True}
    dina.refresh_from_db()
    assert dina.is_active is False
    refused = client.post("/akun/masuk/", {"username": dina.get_username(), "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and (event.action, event.object_id) == ("user.deactivated", str(dina.pk))
    # Again: already inactive, nothing written.
    seq = event.seq
    out, _err = run_cli("user", "deactivate", "--id", str(dina.pk))
    assert json.loads(out) == {"user": dina.pk, "active": False, "changed": False}
    assert AuditEvent.objects.filter(seq__gt=seq).count() == 0
    out, _err = run_cli("user", "activate", "--id", str(dina.pk))
    assert json.loads(out) == {"user": dina.pk, "active": True, "changed": True}
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "tidak.ada@contoh.id"], "tidak ada akun dengan alamat"),
        (["--id", "satu"], "nomor akun harus angka"),
        (["--id", "999999"], "akun nomor 999999 tidak ada"),
    ],
)
def test_deactivate_refuses_what_it_cannot_find(run_cli, personas, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    from kolaborasi.audit.models import AuditEvent

    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=message):
        run_cli("user", "deactivate", *args)
    assert AuditEvent.objects.count() == events


def test_deactivate_asks_which_when_two_accounts_share_an_address(run_cli, personas) -> None:  # type: ignore[no-untyped-def]
    User = get_user_model()
    twin = User.objects.create_user(
        "dina_kedua", email=personas["dina"].user.email, password="x-Panjang-2026"
    )
    with pytest.raises(CommandError, match=r"pilih satu dengan --id") as refused:
        run_cli("user", "deactivate", "--email", twin.email)
    assert str(twin.pk) in str(refused.value)
    assert User.objects.filter(is_active=False, pk__in=[twin.pk, personas["dina"].user.pk]).count() == 0
