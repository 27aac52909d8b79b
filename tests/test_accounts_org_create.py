"""Organisations from the UI: a logged-in person creates a donor or aggregator
organisation and owns it; owners add members by e-mail; the active organisation is
chosen with the switcher."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from kolaborasi.accounts.access import coordinator_covers, org_for_request
from kolaborasi.accounts.models import Membership, Organisation
from kolaborasi.audit.models import AuditEvent
from tests.personas import login


def test_create_donor_organisation(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    luar = personas["luar"].user
    login(client, luar)
    response = client.post(
        "/akun/organisasi/baru/", {"name": "Warung Bu Sri", "kind": "donor", "subtype": "individual"}
    )
    org = Organisation.objects.get(name="Warung Bu Sri")
    assert response.status_code == 302
    assert response["Location"] == f"/akun/organisasi/{org.pk}/"
    assert (org.kind, org.subtype, org.verified) == ("donor", "individual", False)
    assert Membership.objects.get(organisation=org).user == luar
    assert Membership.objects.get(organisation=org).role == "owner"
    assert AuditEvent.objects.filter(
        action="organisation.created", object_id=str(org.pk), actor_id=luar.pk
    ).exists()
    assert AuditEvent.objects.filter(action="membership.added", organisation_id=org.pk).exists()
    assert client.get(f"/akun/organisasi/{org.pk}/").status_code == 200


def test_aggregator_starts_unverified(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["luar"])
    client.post(
        "/akun/organisasi/baru/", {"name": "Yayasan Baru", "kind": "aggregator", "description": "LSM"}
    )
    org = Organisation.objects.get(name="Yayasan Baru")
    assert (org.kind, org.verified, org.subtype) == ("aggregator", False, "")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X", "kind": "donor"}, "subtype"),
        ({"name": "X", "kind": "aggregator", "subtype": "company"}, "subtype"),
        ({"name": "X", "kind": "operator"}, "kind"),
        ({"name": "X", "kind": "coordinator"}, "kind"),
        ({"name": "", "kind": "aggregator"}, "name"),
        ({"name": "X", "kind": "donor", "subtype": "negara"}, "subtype"),
    ],
)
def test_bad_organisation_input_creates_nothing(client: Client, personas, data, field) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["luar"])
    before = Organisation.objects.count()
    response = client.post("/akun/organisasi/baru/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Organisation.objects.count() == before


def test_owner_adds_member_by_email(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    login(client, dina)
    url = f"/akun/organisasi/{dina.organisation.pk}/anggota/"
    response = client.post(url, {"email": "LUAR@example.org", "role": "member"})
    assert response.status_code == 302
    membership = Membership.objects.get(organisation=dina.organisation, user=personas["luar"].user)
    assert membership.role == "member"
    assert AuditEvent.objects.filter(action="membership.added", object_id=str(membership.pk)).exists()

    # Already a member; unknown address; inactive (unverified) account: nothing changes.
    get_user_model().objects.create_user("baru", "baru@example.org", "x-Panjang-2026", is_active=False)
    for email, text in [
        ("luar@example.org", "sudah menjadi anggota"),
        ("siapa@example.org", "Tidak ada akun aktif"),
        ("baru@example.org", "Tidak ada akun aktif"),
    ]:
        count = Membership.objects.count()
        response = client.post(url, {"email": email, "role": "member"})
        assert response.status_code == 400
        assert text in " ".join(response.context["member_form"].errors["email"])
        assert Membership.objects.count() == count


def test_member_cannot_add_members(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    oki = personas["oki"]  # a plain member of the operator team
    login(client, oki)
    response = client.post(f"/akun/organisasi/{oki.organisation.pk}/anggota/", {"email": "luar@example.org"})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=personas["luar"].user).exists()


def test_switcher_picks_the_active_organisation(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    agus_org = personas["agus"].organisation
    Membership.objects.create(user=dina.user, organisation=agus_org, role="member")
    login(client, dina)

    def active() -> Organisation | None:
        request = RequestFactory().get("/")
        request.user = dina.user
        request.session = client.session
        return org_for_request(request)

    assert active() == dina.organisation  # first by name: "PT Dina Logistik" < "Yayasan..."
    response = client.post("/akun/organisasi/pilih/", {"organisation": agus_org.pk, "next": "/komitmen/"})
    assert response.status_code == 302
    assert response["Location"] == "/komitmen/"
    assert active() == agus_org
    # Unknown or foreign organisations are refused; the choice stays.
    ratna_org = personas["ratna"].organisation
    assert client.post("/akun/organisasi/pilih/", {"organisation": ratna_org.pk}).status_code == 404
    assert active() == agus_org
    # An unsafe "next" is ignored.
    response = client.post(
        "/akun/organisasi/pilih/", {"organisation": agus_org.pk, "next": "https://evil.example"}
    )
    assert response["Location"] == "/akun/"


def test_coordinator_covers_its_regions_and_everything_below(personas) -> None:  # type: ignore[no-untyped-def]
    ratna_org = personas["ratna"].organisation  # covers RW 31.74.05.1003.001
    assert coordinator_covers(ratna_org, "31.74.05.1003.001")
    assert not coordinator_covers(ratna_org, "31.74.05.1003.002")
    assert not coordinator_covers(ratna_org, "31.74.05.1003")  # not the kelurahan above it
    lurah = Organisation.objects.create(name="Kelurahan Cipulir", kind="coordinator")
    lurah.regions.add("31.74.05.1003")  # type: ignore[arg-type]
    assert coordinator_covers(lurah, "31.74.05.1003.002")
    assert coordinator_covers(lurah, "31.74.05.1003")
    assert not coordinator_covers(lurah, "31.74.05.1004.001")
    assert not coordinator_covers(personas["dina"].organisation, "31.74.05.1003.001")  # donors cover nothing


def test_pages_speak_english_when_asked(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    """English when the person chose it with the switch; a browser that merely prefers
    English still gets Indonesian."""
    page = client.get("/akun/daftar/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Create account</button>" not in page and 'lang="id"' in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/akun/daftar/"})
    assert response.status_code == 302
    assert response.cookies["django_language"]["max-age"] == 365 * 24 * 3600
    page = client.get("/akun/daftar/").content.decode()
    assert "Create account</button>" in page
    login(client, personas["luar"])
    page = client.get("/akun/organisasi/baru/").content.decode()
    assert "Create an organisation" in page
    assert " Donor</label>" in page
    assert " Aggregator</label>" in page
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    page = client.get("/akun/organisasi/baru/").content.decode()
    assert " Donatur</label>" in page
