"""Personal data as commitments, and `kolaborasi user export|erase`: after erasure the
person's address is nowhere in the database (every table's text searched, the audit
events included) nor in the export, and the chain still verifies — on the server and
with tools/verify_audit.py. Events written before commitments are not rewritten: the
erasure counts them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.test import Client

from kolaborasi.audit.models import AuditEvent, AuditPersonalValue, AuditPersonKey
from kolaborasi.audit.personal import PREFIX, event_opened
from kolaborasi.audit.services import audit_verify, content_digest, link_hash
from tests.audit_world import EMAIL, FULL, build
from tests.test_audit_export import export, run_verifier

pytestmark = pytest.mark.django_db


def database_text() -> dict[str, list[str]]:
    """Every row of every table, as text, per table."""
    dump: dict[str, list[str]] = {}
    for model in apps.get_models():
        rows = model._default_manager.values_list()
        dump[model._meta.db_table] = [json.dumps(row, default=str, ensure_ascii=False) for row in rows]
    return dump


def tables_holding(text: str) -> dict[str, int]:
    return {table: n for table, rows in database_text().items() if (n := sum(text in r for r in rows))}


def test_new_events_hold_only_commitments_and_verify_without_keys(client: Client) -> None:
    world = build()
    holding = tables_holding(EMAIL)
    assert "audit_auditevent" not in holding and "audit_auditpersonalvalue" in holding
    mine = list(AuditEvent.objects.filter(actor_id=world.user.pk).order_by("seq"))
    assert mine and all(e.digest_version == 2 and e.actor_label.startswith(PREFIX) for e in mine)
    # The operator's view opens them while the values are held.
    assert event_opened(mine[0])["actor_label"] == EMAIL
    # The server's verify needs no key: the digest is of the stored commitments.
    AuditPersonKey.objects.all().delete()
    report = audit_verify()
    assert report.ok and report.checked == AuditEvent.objects.count()
    # Python and (on PostgreSQL) the one-statement link agree on every event.
    for event in AuditEvent.objects.order_by("seq"):
        assert link_hash(event.prev_hash, event.seq, content_digest(event)) == event.hash


def test_user_export_prints_everything_held(run_cli: Any) -> None:
    world = build()
    out, _ = run_cli("user", "export", EMAIL)
    data = json.loads(out)
    assert data["account"]["email"] == EMAIL and data["account"]["id"] == world.user.pk
    assert data["individual_organisations"] == [
        {"id": world.organisation.pk, "name": FULL, "description": ""}
    ]
    assert data["memberships"][0]["organisation"] == world.organisation.pk
    held = data["audit"]["personal_data"]
    values = [v["value"] for v in held[f"user:{world.user.pk}"]["values"]]
    assert EMAIL in values and "Sari" in values and "Sari Dewi" in values
    assert FULL in [v["value"] for v in held[f"accounts.organisation:{world.organisation.pk}"]["values"]]
    assert data["audit"]["events_acted"] >= 2
    # What the apps above accounts hold: the delivery contact given with the pledge.
    assert [(c["contact_name"], c["contact_phone"]) for c in data["pledge_contacts"]] == [
        ("Pak Budi", "081234567890")
    ]
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == "user.data_exported" and last.object_id == str(world.user.pk)


def test_user_erase_leaves_no_address_and_the_chain_verifying(
    run_cli: Any, client: Client, tmp_path: Path
) -> None:
    world = build()
    out, _ = run_cli("user", "erase", EMAIL)
    result = json.loads(out)
    assert result["user"] == world.user.pk and result["erased"] and result["legacy_events"] == 0
    assert result["organisations_anonymised"] == [world.organisation.pk]
    assert result["audit_keys_deleted"] == 2 and result["audit_values_deleted"] >= 5
    assert result["pledge_contacts_erased"] == 1
    for text in (EMAIL, "Sari Dewi", FULL, "Pak Budi", "081234567890"):
        assert tables_holding(text) == {}, text
    user = get_user_model().objects.get(pk=world.user.pk)
    assert not user.is_active and not user.has_usable_password() and user.email == ""
    world.organisation.refresh_from_db()
    assert world.organisation.name == "Donatur perorangan"
    assert not AuditPersonalValue.objects.filter(subject=f"user:{world.user.pk}").exists()
    erased = AuditEvent.objects.order_by("-seq").first()
    assert erased is not None and erased.action == "user.erased" and erased.digest_version == 2
    # The commitments stay in the chain, and no longer open.
    mine = AuditEvent.objects.filter(actor_id=world.user.pk).order_by("seq").first()
    assert mine is not None and event_opened(mine)["actor_label"].startswith(PREFIX)
    # Both verifiers.
    run_cli("audit", "verify")
    body = export(client)
    assert EMAIL.encode() not in body
    path = tmp_path / "audit.jsonl"
    path.write_bytes(body)
    done = run_verifier(path)
    assert done.returncode == 0, done.stderr
    # Someone erased cannot be found any more.
    with pytest.raises(CommandError, match="tidak ada akun"):
        run_cli("user", "export", EMAIL)


def test_erase_counts_the_legacy_events_it_does_not_rewrite(
    run_cli: Any, client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(monkeypatch, legacy=True)
    out, err = run_cli("user", "erase", "--id", str(world.user.pk))
    result = json.loads(out)
    assert result["legacy_events"] == 1 and "1 peristiwa audit lama" in err
    # Only the legacy event still names the person, as written; nothing else does.
    assert tables_holding(EMAIL) == {"audit_auditevent": 1}
    run_cli("audit", "verify")
    body = export(client)
    assert EMAIL.encode() not in body
    path = tmp_path / "audit.jsonl"
    path.write_bytes(body)
    assert run_verifier(path).returncode == 0


def test_erase_and_export_refuse_what_is_not_one_account(run_cli: Any) -> None:
    with pytest.raises(CommandError, match="tidak ada akun"):
        run_cli("user", "erase", "nobody@contoh.id")
    with pytest.raises(CommandError, match="--id"):
        run_cli("user", "erase", "--id", "x")
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError):
        run_cli("user", "erase")
    assert AuditEvent.objects.count() == before


def test_operator_screens_show_the_values_until_erased(admin_client: Client, run_cli: Any) -> None:
    world = build()
    event = AuditEvent.objects.filter(actor_id=world.user.pk).order_by("seq").first()
    assert event is not None
    listing = admin_client.get("/admin/audit/auditevent/", {"q": str(world.organisation.pk)})
    assert listing.status_code == 200 and EMAIL in listing.content.decode()
    page = admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and FULL in page.content.decode()
    run_cli("user", "erase", EMAIL)
    listing = admin_client.get("/admin/audit/auditevent/", {"q": str(world.organisation.pk)})
    text = listing.content.decode()
    assert EMAIL not in text and "(data pribadi dihapus)" in text
    page = admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and FULL not in page.content.decode()
