"""Aid type names read in the person's language; the API and exports keep the stored
(Indonesian) name."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from kolaborasi.targets.models import AidType

pytestmark = pytest.mark.django_db


def test_display_name_follows_the_active_language() -> None:
    meal = AidType.objects.get(slug="siap-saji")
    with translation.override("id"):
        assert (meal.display_name, str(meal), meal.display_unit) == ("Makanan siap saji",) * 2 + ("paket",)
    with translation.override("en"):
        assert (meal.display_name, str(meal), meal.display_unit) == ("Ready meal",) * 2 + ("packages",)
        # Without an English name of its own, the catalogue's translation of the stored name.
        meal.name_en = ""
        assert meal.display_name == "Ready meal"
        # An aid type the catalogue does not know keeps its stored name.
        assert AidType(name="Selimut").display_name == "Selimut"


def test_pages_in_english_show_english_names_and_the_api_the_stored_ones(client: Client) -> None:
    client.cookies["django_language"] = "en"
    html = client.get("/cari/").content.decode()
    assert "Ready meal" in html and "Holiday parcel" in html
    assert "Makanan siap saji" not in html and "Paket lebaran" not in html
    names = {t["slug"]: t["name"] for t in client.get("/api/v1/aid-types", HTTP_ACCEPT_LANGUAGE="en").json()}
    assert names["siap-saji"] == "Makanan siap saji"
