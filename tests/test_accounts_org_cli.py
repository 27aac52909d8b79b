"""`kolaborasi org create` / `kolaborasi org token` (public contract): one line of JSON
with the id and a working API token; bad input → CommandError, nothing created."""

from __future__ import annotations

import json

import pytest
from django.core.management.base import CommandError
from django.test import Client

from kolaborasi.accounts.models import ApiToken, Organisation
from kolaborasi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _json_line(out: str) -> dict:  # type: ignore[type-arg]
    lines = out.splitlines()
    assert len(lines) == 1, out
    data = json.loads(lines[0])
    assert set(data) == {"id", "token"}
    return data  # type: ignore[no-any-return]


def test_create_donor_prints_id_and_working_token(run_cli, client: Client) -> None:  # type: ignore[no-untyped-def]
    out, _err = run_cli(
        "org", "create", "--name", "Komunitas Berbagi", "--kind", "donor", "--subtype", "community"
    )
    data = _json_line(out)
    org = Organisation.objects.get(pk=data["id"])
    assert (org.name, org.kind, org.subtype, org.verified) == (
        "Komunitas Berbagi",
        "donor",
        "community",
        False,
    )
    response = client.get("/api/v1/organisations/me", HTTP_AUTHORIZATION=f"Bearer {data['token']}")
    assert response.status_code == 200
    assert response.json()["id"] == org.pk
    assert AuditEvent.objects.filter(action="organisation.created", object_id=str(org.pk)).exists()
    assert AuditEvent.objects.filter(action="token.created", organisation_id=org.pk).count() == 1


def test_create_coordinator_with_regions(run_cli) -> None:  # type: ignore[no-untyped-def]
    out, _err = run_cli(
        "org", "create", "--name", "Kelurahan Cipulir", "--kind", "coordinator", "--verified",
        "--region", "31.74.05.1003", "--region", "31.74.05.1003.002",
    )  # fmt: skip
    org = Organisation.objects.get(pk=_json_line(out)["id"])
    assert org.verified is True
    assert sorted(org.regions.values_list("code", flat=True)) == ["31.74.05.1003", "31.74.05.1003.002"]


@pytest.mark.parametrize("kind", ["aggregator", "operator"])
def test_create_other_kinds(run_cli, kind: str) -> None:  # type: ignore[no-untyped-def]
    out, _err = run_cli("org", "create", "--name", f"Org {kind}", "--kind", kind)
    assert Organisation.objects.get(pk=_json_line(out)["id"]).kind == kind


def test_token_prints_a_new_token_for_the_same_organisation(run_cli, client: Client) -> None:  # type: ignore[no-untyped-def]
    first = _json_line(run_cli("org", "create", "--name", "Yayasan X", "--kind", "aggregator")[0])
    second = _json_line(run_cli("org", "token", str(first["id"]))[0])
    assert second["id"] == first["id"]
    assert second["token"] != first["token"]
    assert ApiToken.objects.filter(organisation_id=first["id"], revoked_at__isnull=True).count() == 2
    for token in (first["token"], second["token"]):
        assert client.get("/api/v1/organisations/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--kind", "sponsor"], "--kind: Jenis 'sponsor' tidak dikenal"),
        (
            ["--name", "X", "--kind", "aggregator", "--subtype", "company"],
            "--subtype: Subjenis hanya untuk donatur",
        ),
        (
            ["--name", "X", "--kind", "donor", "--subtype", "negara"],
            "--subtype: Subjenis 'negara' tidak dikenal",
        ),
        (
            ["--name", "X", "--kind", "coordinator", "--region", "31.74.99"],
            "--region: Kode wilayah tidak dikenal: 31.74.99",
        ),
        (
            ["--name", "X", "--kind", "coordinator", "--region", "31.74.05", "--region", "99"],
            "--region: Kode wilayah tidak dikenal: 99",
        ),
        (
            ["--name", "X", "--kind", "donor", "--region", "31.74.05"],
            "--region: Wilayah hanya untuk koordinator",
        ),
        (["--name", "   ", "--kind", "donor"], "--name: Nama organisasi wajib diisi"),
        (["--name", "X" * 201, "--kind", "donor"], "--name: Nama organisasi terlalu panjang"),
    ],
)
def test_bad_create_input_creates_nothing(run_cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    orgs, tokens, events = Organisation.objects.count(), ApiToken.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CommandError) as excinfo:
        run_cli("org", "create", *args)
    assert message in str(excinfo.value)
    assert (Organisation.objects.count(), ApiToken.objects.count(), AuditEvent.objects.count()) == (
        orgs,
        tokens,
        events,
    )


@pytest.mark.parametrize(
    ("raw", "message"), [("999999", "Organisasi dengan ID 999999 tidak ada"), ("abc", "harus angka")]
)
def test_token_for_unknown_id(run_cli, raw: str, message: str) -> None:  # type: ignore[no-untyped-def]
    tokens = ApiToken.objects.count()
    with pytest.raises(CommandError) as excinfo:
        run_cli("org", "token", raw)
    assert message in str(excinfo.value)
    assert ApiToken.objects.count() == tokens


def test_missing_required_options(run_cli) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="--kind"):
        run_cli("org", "create", "--name", "X")
    assert not Organisation.objects.filter(name="X").exists()
