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
def test_org_create_duplicate_exits_non_zero_from_the_command_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Through the real `kolaborasi` console script: a refusal is a non-zero exit with the
    reason on stderr."""
    import os
    import subprocess
    from pathlib import Path

    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    kolaborasi = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kolaborasi")
    subprocess.run([kolaborasi, "migrate", "-v0"], env=env, check=True, capture_output=True)
    args = [kolaborasi, "org", "create", "--name", "Dinas Sosial DKI", "--kind", "operator"]
    assert subprocess.run(args, env=env, capture_output=True).returncode == 0
    again = subprocess.run(args, env=env, capture_output=True, text=True)
    assert again.returncode != 0
    assert "Dinas Sosial DKI" in again.stderr and "--allow-duplicate" in again.stderr
