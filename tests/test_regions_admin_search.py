"""A coordinator's area is set by an operator in the admin: the region box there searches
by name (a page of results at a time, never the registry as thousands of options), ranks
a place of exactly that name first and larger places before smaller, and finds an RW by
its number and kelurahan."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from kolaborasi.regions.models import Region
from tests.personas import RATNA_RW, login

AUTOCOMPLETE = "/admin/autocomplete/"


def _operator_in_admin(client: Client) -> None:
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "Admin-panjang-2026")
    login(client, user)


def _search(client: Client, term: str) -> list[dict[str, Any]]:
    params = {"app_label": "accounts", "model_name": "organisation", "field_name": "regions", "term": term}
    response = client.get(AUTOCOMPLETE, params)
    assert response.status_code == 200
    return list(response.json()["results"])


def test_the_coordinator_s_area_box_holds_only_what_is_chosen(client: Client, personas: Any) -> None:
    assert Region.objects.count() > 1000  # the demo's Jakarta: thousands of places
    _operator_in_admin(client)
    org = personas["ratna"].organisation
    html = client.get(f"/admin/accounts/organisation/{org.pk}/change/").content.decode()
    box = html[html.index('name="regions"') :]
    box = box[: box.index("</select>")]
    assert box.count("<option") == 1 and f'value="{RATNA_RW}"' in box
    assert "admin-autocomplete" in box


def test_a_place_is_found_by_its_name(client: Client, personas: Any) -> None:
    _operator_in_admin(client)
    assert _search(client, "Kebayoran Lama")[0]["id"] == "31.74.05"
    # The kelurahan before anything smaller that carries its name.
    assert _search(client, "cipulir")[0]["id"] == "31.74.05.1003"
    # A code still works, the place itself first.
    assert _search(client, "31.74.05")[0]["id"] == "31.74.05"


def test_an_rw_is_found_by_its_number_and_kelurahan(client: Client, personas: Any) -> None:
    _operator_in_admin(client)
    for term in ("RW 1 Cipulir", "rw 001 cipulir", "RW 01 Cipu"):
        assert [r["id"] for r in _search(client, term)] == [RATNA_RW], term
    assert _search(client, "RW 999 Cipulir") == []
