import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_provinces_without_parent_lists_dki(client: Client) -> None:
    response = client.get("/api/v1/regions")
    assert response.status_code == 200
    codes = [r["code"] for r in response.json()]
    assert "31" in codes
    assert all(r["level"] == "province" and r["parent"] is None for r in response.json())


def test_children_of_jakarta_are_the_six_kota(client: Client) -> None:
    response = client.get("/api/v1/regions", {"parent": "31"})
    assert response.status_code == 200
    body = response.json()
    assert [r["code"] for r in body] == ["31.01", "31.71", "31.72", "31.73", "31.74", "31.75"]
    assert body[4] == {
        "code": "31.74",
        "name": "Kota Administrasi Jakarta Selatan",
        "level": "city",
        "parent": "31",
    }


def test_level_filter_lists_descendants(client: Client) -> None:
    response = client.get("/api/v1/regions", {"parent": "31", "level": "village"})
    assert response.status_code == 200
    assert len(response.json()) == 267
    rws = client.get("/api/v1/regions", {"parent": "31.01", "level": "rw"}).json()
    assert len(rws) == 24
    assert all(r["code"].count(".") == 4 and len(r["code"].rsplit(".", 1)[1]) == 3 for r in rws)


def test_region_detail_counts(client: Client) -> None:
    response = client.get("/api/v1/regions/31")
    assert response.status_code == 200
    body = response.json()
    assert body["children"] == 6
    assert body["descendants"] == {"city": 6, "district": 44, "village": 267, "rw": 2731}


@pytest.mark.parametrize("url", ["/api/v1/regions/99.99", "/api/v1/regions?parent=99"])
def test_unknown_code_is_404_with_detail(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["detail"]
    # In the client's language, never Django's or ninja's English "Not Found".
    assert "Not Found" not in response.json()["detail"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert "not found" in english.lower() and english != response.json()["detail"]


def test_bad_level_is_422(client: Client) -> None:
    response = client.get("/api/v1/regions", {"parent": "31", "level": "planet"})
    assert response.status_code == 422
    assert "level" in response.json()["detail"]


def test_aid_types(client: Client) -> None:
    response = client.get("/api/v1/aid-types")
    assert response.status_code == 200
    assert [a["slug"] for a in response.json()] == ["sembako", "siap-saji", "lebaran"]
    assert response.json()[0] == {"slug": "sembako", "name": "Sembako", "unit": "paket"}


def test_healthz_and_openapi(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/regions" in spec["paths"]
    assert "/api/v1/aid-types" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200
