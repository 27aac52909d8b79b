"""The one refusal helper: JSON for the API, a page in the site's layout for people,
in the request's language, with Retry-After when given."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from django.utils.translation import gettext as _

from kolaborasi.core.refusal import refuse


def _busy(request: HttpRequest) -> HttpResponse:
    return refuse(request, 503, _("Layanan sedang penuh"), next_step="Tunggu sebentar.", retry_after=7)


urlpatterns = [
    path("api/v1/busy", _busy),
    path("sibuk/", _busy),
    path("", include("kolaborasi.urls")),
]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_api_gets_json_with_retry_after(client: Client) -> None:
    response = client.get("/api/v1/busy")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response.json() == {"detail": "Layanan sedang penuh", "retry_after": 7}


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_people_get_a_page_in_the_layout(client: Client) -> None:
    response = client.get("/sibuk/")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert "Layanan sedang penuh" in html
    assert "Silakan coba lagi dalam 7 detik." in html
    assert "Tunggu sebentar." in html


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_the_page_follows_the_chosen_language(client: Client) -> None:
    client.cookies["django_language"] = "en"
    html = client.get("/sibuk/").content.decode()
    assert "Please try again in 7 seconds." in html
    assert "Silakan coba" not in html
