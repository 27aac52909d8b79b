"""First steps: a person in no organisation is asked after logging in how they want to
give. Giving as an individual makes a private donor profile at once and sends them to
the map or the finder; a company, community or aggregator goes through the
organisation form and then on. The header and home page lead anonymous visitors to
"Masuk" and "Buat akun"."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kolaborasi.accounts.models import (
    PRIVATE_DONOR,
    Membership,
    Organisation,
    OrgKind,
    OrgSubtype,
    Role,
    public_name,
)
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.core.once import FIELD
from tests.personas import PASSWORD, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def sari(fast_hasher):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user("sari", "sari@example.org", PASSWORD)


def _once_key(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    marker = f'name="{FIELD}" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_anonymous_header_and_home_lead_to_login_and_sign_up(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").content.decode()
    nav = page[page.index("<nav") : page.index("</nav>")]
    assert '<a href="/daftar/">Sasaran</a>' in nav
    assert ">Daftar<" not in nav
    assert 'href="/akun/masuk/">Masuk</a>' in nav
    assert "Buat akun</a>" in nav and 'href="/akun/daftar/"' in nav
    # The home page itself links to registration too.
    main = page[page.index("<main") :]
    assert 'href="/akun/daftar/">Buat akun</a>' in main
    register = client.get("/akun/daftar/").content.decode()
    assert "<h1>Buat akun</h1>" in register


def test_first_login_without_organisation_leads_to_the_choice(client: Client, sari) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/akun/masuk/", {"username": "sari", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/akun/mulai/"
    page = client.get("/akun/mulai/").content.decode()
    assert "Menyumbang sebagai perorangan" in page
    assert "?jenis=donor" in page and "?jenis=aggregator" in page


def test_login_keeps_where_the_person_was_going(client: Client, sari) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/akun/masuk/?next=/sasaran/5/", {"username": "sari", "password": PASSWORD})
    assert response["Location"] == "/akun/mulai/?next=%2Fsasaran%2F5%2F"


def test_login_with_an_organisation_goes_where_it_went(client: Client, personas, fast_hasher) -> None:  # type: ignore[no-untyped-def]
    user = personas["dina"].user
    user.set_password(PASSWORD)
    user.save()
    response = client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD})
    assert response["Location"] == "/"


@pytest.mark.parametrize(("then", "landing"), [("peta", "/peta/"), ("cari", "/cari/")])
def test_individual_gets_a_private_donor_profile(client: Client, sari, then: str, landing: str) -> None:  # type: ignore[no-untyped-def]
    login(client, sari)
    key = _once_key(client, "/akun/mulai/")
    response = client.post("/akun/mulai/", {"choice": "individual", "then": then, "submission_key": key})
    assert response.status_code == 302
    assert response["Location"] == landing
    membership = Membership.objects.select_related("organisation").get(user=sari)
    org = membership.organisation
    assert membership.role == Role.OWNER
    assert (org.kind, org.subtype, org.verified, org.name) == (
        OrgKind.DONOR,
        OrgSubtype.INDIVIDUAL,
        False,
        "sari",
    )
    # The name is private: public pages and open data show "Donatur perorangan".
    assert public_name(org.name, org.kind, org.subtype) == PRIVATE_DONOR
    assert AuditEvent.objects.filter(action="organisation.created", object_id=str(org.pk)).exists()
    assert AuditEvent.objects.filter(action="membership.added", organisation_id=org.pk).exists()
    assert audit_verify().ok
    # Acting for it at once, and the map says so.
    assert client.session["active_organisation_id"] == org.pk
    # The same form again (double click, back button) makes nothing more.
    again = client.post("/akun/mulai/", {"choice": "individual", "then": then, "submission_key": key})
    assert again.status_code == 302
    assert Organisation.objects.filter(memberships__user=sari).count() == 1


def test_individual_goes_on_to_where_they_were_going(client: Client, sari) -> None:  # type: ignore[no-untyped-def]
    login(client, sari)
    key = _once_key(client, "/akun/mulai/?next=/sasaran/5/")
    response = client.post(
        "/akun/mulai/", {"choice": "individual", "then": "peta", "next": "/sasaran/5/", "submission_key": key}
    )
    assert response["Location"] == "/sasaran/5/"
    # A next that leaves the site is ignored.
    other = get_user_model().objects.create_user("budi", "budi@example.org")
    login(client, other)
    key = _once_key(client, "/akun/mulai/")
    response = client.post(
        "/akun/mulai/", {"choice": "individual", "next": "https://jahat.example/", "submission_key": key}
    )
    assert response["Location"] == "/peta/"


def test_someone_with_an_organisation_gets_no_second_profile(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["dina"])
    before = Organisation.objects.count()
    key = _once_key(client, "/akun/mulai/")
    response = client.post("/akun/mulai/", {"choice": "individual", "submission_key": key})
    assert response.status_code == 302
    assert Organisation.objects.count() == before


def test_no_choice_is_refused_and_changes_nothing(client: Client, sari) -> None:  # type: ignore[no-untyped-def]
    login(client, sari)
    key = _once_key(client, "/akun/mulai/")
    response = client.post("/akun/mulai/", {"choice": "sesuatu", "submission_key": key}, follow=True)
    assert "Pilih salah satu cara di bawah." in response.content.decode()
    assert not Membership.objects.filter(user=sari).exists()


def test_company_goes_through_the_form_then_to_the_map(client: Client, sari) -> None:  # type: ignore[no-untyped-def]
    login(client, sari)
    page = client.get("/akun/mulai/").content.decode()
    assert "/akun/organisasi/baru/?jenis=donor&amp;next=%2Fpeta%2F" in page
    form_page = client.get("/akun/organisasi/baru/?jenis=donor&next=/peta/").content.decode()
    assert re.search(r'<input type="radio" name="kind" value="donor"[^>]* checked>', form_page)
    assert 'name="next" value="/peta/"' in form_page
    key = _once_key(client, "/akun/organisasi/baru/?jenis=donor&next=/peta/")
    response = client.post(
        "/akun/organisasi/baru/?jenis=donor&next=/peta/",
        {
            "name": "Komunitas Sari",
            "kind": "donor",
            "subtype": "community",
            "next": "/peta/",
            "submission_key": key,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/peta/"
    org = Organisation.objects.get(memberships__user=sari)
    assert (org.name, org.kind, org.subtype) == ("Komunitas Sari", "donor", "community")


def test_aggregator_goes_through_the_form(client: Client, sari) -> None:  # type: ignore[no-untyped-def]
    login(client, sari)
    page = client.get("/akun/mulai/").content.decode()
    assert "/akun/organisasi/baru/?jenis=aggregator" in page
    key = _once_key(client, "/akun/organisasi/baru/?jenis=aggregator")
    response = client.post(
        "/akun/organisasi/baru/?jenis=aggregator",
        {"name": "Yayasan Sari", "kind": "aggregator", "subtype": "", "submission_key": key},
    )
    assert response.status_code == 302
    org = Organisation.objects.get(memberships__user=sari)
    assert response["Location"] == f"/akun/organisasi/{org.pk}/"
    assert (org.kind, org.verified) == ("aggregator", False)


def test_organisation_settings_are_their_own_tab(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    org = personas["dina"].organisation
    login(client, personas["dina"])
    main = client.get(f"/akun/organisasi/{org.pk}/").content.decode()
    assert "Token API" not in main and "Tambah anggota" not in main
    assert f'href="/akun/organisasi/{org.pk}/pengaturan/"' in main
    settings_page = client.get(f"/akun/organisasi/{org.pk}/pengaturan/").content.decode()
    assert "Token API" in settings_page and "Tambah anggota" in settings_page
