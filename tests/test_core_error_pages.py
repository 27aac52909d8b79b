"""Every refusal and failure a person can meet renders in the site's layout and the
active language, says why, and offers the next step: 400, 403 (with the view's own
reason), 404, 405, 500 and a failed CSRF check. API paths keep JSON."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from kolaborasi.targets.models import Target
from tests.personas import login

pytestmark = pytest.mark.django_db

LAYOUT = 'class="site-header"'


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# A URLconf with one view that fails, for the 500 page.
urlpatterns = [path("rusak/", _boom), path("", include("kolaborasi.urls"))]
handler500 = "kolaborasi.core.error_pages.server_error"


def _english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize(
    ("english", "text", "link"),
    [
        (False, "Halaman atau data yang Anda cari tidak ada", "/cari/"),
        (True, "The page or the data you are looking for does not exist", "/cari/"),
    ],
)
def test_404_in_the_layout_with_search_and_list(client: Client, english: bool, text: str, link: str) -> None:
    response = (_english(client) if english else client).get("/tidak-ada-di-sini/")
    assert response.status_code == 404
    body = response.content.decode()
    assert LAYOUT in body and text in body
    assert f'href="{link}"' in body and 'href="/daftar/"' in body
    # Django's developer text never reaches the page.
    assert "tried" not in body and "matches the given query" not in body


@pytest.mark.parametrize(
    ("english", "text"), [(False, "Sasaran tidak ditemukan."), (True, "Target not found.")]
)
def test_404_for_an_object_that_does_not_exist(client: Client, english: bool, text: str) -> None:
    """The sentence the view raised is what the person reads, in their language, with
    the way on (search, the list)."""
    missing = (Target.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    response = (_english(client) if english else client).get(f"/sasaran/{missing}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert text in body and 'href="/daftar/"' in body


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/dana/sasaran/{missing}/", "Sasaran tidak ditemukan."),
        ("/data/grafik/kumulatif.svg?region=31.99.99", "31.99.99"),
        ("/privasi/", "belum menulis kebijakan privasinya"),
    ],
)
def test_a_view_s_own_404_sentence_is_shown_in_indonesian(client: Client, path: str, text: str) -> None:
    missing = (Target.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    response = client.get(path.format(missing=missing))
    assert response.status_code == 404
    body = response.content.decode()
    assert text in body
    assert "not found" not in body.lower()


@pytest.mark.parametrize(
    ("english", "reason", "button"),
    [
        (
            False,
            "Hanya anggota organisasi donatur atau agregator yang dapat berkomitmen.",
            "Pilih cara membantu",
        ),
        (True, "Only members of a donor or aggregator organisation can pledge.", "Choose how to help"),
    ],
)
def test_403_says_the_views_reason_and_offers_the_first_steps(  # type: ignore[no-untyped-def]
    client: Client, personas, english: bool, reason: str, button: str
) -> None:
    """A logged-in person without an organisation who presses "Beri bantuan"."""
    target = Target.objects.filter(kind="rw").first()
    assert target is not None
    login(client, personas["luar"])
    if english:
        _english(client)
    response = client.get(f"/komitmen/baru/{target.pk}/")
    assert response.status_code == 403
    body = response.content.decode()
    assert LAYOUT in body and reason in body
    # The first-steps page, which brings the person back here afterwards.
    assert button in body and f'href="/akun/mulai/?next=%2Fkomitmen%2Fbaru%2F{target.pk}%2F"' in body
    assert "403 Forbidden" not in body


def test_405_is_a_page_with_allow(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["agus"])
    response = client.get("/dana/rencana/1/setujui/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert LAYOUT in body and "Alamat ini tidak dapat dipakai dengan cara itu." in body


def test_400_for_a_bad_host(client: Client) -> None:
    response = client.get("/", HTTP_HOST="bukan-situs-ini.example")
    assert response.status_code == 400
    assert "Permintaan ini tidak dapat kami baca." in response.content.decode()


@pytest.mark.parametrize(
    ("english", "text"),
    [(False, "Formulir ini sudah kedaluwarsa"), (True, "This form has expired")],
)
def test_csrf_failure_says_to_reload(english: bool, text: str) -> None:
    client = Client(enforce_csrf_checks=True)
    if english:
        _english(client)
    response = client.post("/akun/masuk/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert LAYOUT in body and text in body


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("english", "text"),
    [(False, "Terjadi kesalahan di server kami."), (True, "Something went wrong on our server.")],
)
def test_500_in_the_layout(english: bool, text: str) -> None:
    client = Client(raise_request_exception=False)
    if english:
        _english(client)
    response = client.get("/rusak/")
    assert response.status_code == 500
    body = response.content.decode()
    assert LAYOUT in body and text in body and "a bug" not in body


def test_api_paths_keep_json(client: Client) -> None:
    response = client.get("/api/tidak-ada/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_pages_vary_on_the_language_cookie(client: Client) -> None:
    """The language comes from the switch's cookie, so caches keep one copy per cookie."""
    response = client.get("/tidak-ada-di-sini/")
    assert "Cookie" in response["Vary"]
