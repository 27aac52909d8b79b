"""NUL bytes (and lone surrogates) in any text parameter of any route are refused with
400 (a page) or 422 (/api/, JSON), never a 5xx, and nothing is written.

The routes come from the URLconf and the parameters from what the site itself offers:
the query and body fields of every operation in /api/v1/openapi.json, and the fields of
every form on every page (read from the page's HTML). A new route, API parameter or
form field is covered without editing this test."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from kolaborasi.accounts.models import ApiToken
from kolaborasi.audit.models import AuditHead
from kolaborasi.funds.models import PackageTemplate
from kolaborasi.funds.services import donation_create
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledge_create
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Need
from tests.personas import RATNA_RW, login

pytestmark = pytest.mark.django_db

NUL = "\x00"
SURROGATE = "\ud800"


class _Fields(HTMLParser):
    """Names of every input, select and textarea on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "select", "textarea"):
            name = dict(attrs).get("name")
            if name and name != "csrfmiddlewaretoken":
                self.names.add(name)


def _form_fields(html: str) -> set[str]:
    parser = _Fields()
    parser.feed(html)
    return parser.names


@pytest.fixture
def world(personas: dict[str, Any]) -> dict[str, str]:
    """Valid values for every path converter, from the demo data plus one pledge, one
    donation and one package template of the personas."""
    dina, agus = personas["dina"], personas["agus"]
    need = Need.objects.select_related("target").get(target__region_id=RATNA_RW, aid_type__slug="sembako")
    pledge = pledge_create(
        actor=dina.user,
        organisation=dina.organisation,
        need=need,
        quantity=1,
        planned_delivery=timezone.localdate() + dt.timedelta(days=3),
    )
    donation = donation_create(
        actor=dina.user,
        donor=dina.organisation,
        aggregator=agus.organisation,
        amount=100_000,
        donated_on=timezone.localdate(),
    )
    template = PackageTemplate.objects.create(
        aggregator=agus.organisation,
        aid_type=AidType.objects.get(slug="sembako"),
        name="Paket A",
        contents="beras",
        unit_cost=50_000,
    )
    token = ApiToken.objects.filter(organisation=dina.organisation).first()
    return {
        "target_id": str(need.target_id),
        "pledge_id": str(pledge.pk),
        "donation_id": str(donation.pk),
        "aggregator_id": str(agus.organisation.pk),
        "org_id": str(dina.organisation.pk),
        "token_id": str(token.pk if token else 1),
        "template_id": str(template.pk),
        "plan_id": "1",
        "code": RATNA_RW,
        "aid": "sembako",
        "app_label": "accounts",
        "model_name": "organisation",
        "object_id": str(dina.organisation.pk),
        "content_type_id": "1",
        "token": "abc",
        "uidb64": "MQ",
    }


def _routes() -> list[str]:
    """Every route of the URLconf as a path template, e.g. /sasaran/<int:target_id>/."""
    routes = set()
    for _view, regex, _ns, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        route = simplify_regex(str(regex))
        if route.startswith(("/media/", "/static/")):
            continue
        routes.add(route)
    return sorted(routes)


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _fill(route: str, values: dict[str, str], *, poison: str = "") -> str:
    """The route with every parameter filled with a valid value; text parameters (not
    int) get ``poison`` appended, percent-encoded."""

    def one(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        value = values.get(name, "1")
        if poison and converter != "int":
            value += poison
        return value

    return _PARAM.sub(one, route)


def _snapshot() -> dict[str, int]:
    """Row counts of every table the project writes, and the audit chain's head."""
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        # Sessions change on every login; the stats tables are derived totals that
        # reads bring up to date (kolaborasi.stats.tally), not writes of a request.
        if model._meta.app_label not in ("sessions", "contenttypes", "admin", "stats")
    }
    counts["audit_seq"] = AuditHead.objects.get(pk=1).seq
    return counts


def _assert_refused(response: Any, what: str) -> None:
    status = response.status_code
    assert status < 500, f"{what}: {status}"
    if "/api/" in what.split(" ", 2)[1]:
        assert status == 422, f"{what}: {status}"
        assert "detail" in response.json(), what
    else:
        assert status == 400, f"{what}: {status}"
        assert "tidak dapat disimpan" in response.content.decode(), what


def _schema_props(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return dict(schema.get("properties", {}))


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, list[dict[str, Any]], dict[str, Any]]]:
    """(method, path, parameters, body properties by content type) of every operation."""
    for route, item in spec["paths"].items():
        for method, op in item.items():
            bodies: dict[str, Any] = {}
            for ctype, content in op.get("requestBody", {}).get("content", {}).items():
                bodies[ctype] = _schema_props(spec, content.get("schema", {}))
            yield method.upper(), route, op.get("parameters", []), bodies


def _probe_value(prop: dict[str, Any]) -> Any:
    """A valid-looking value for the properties not being probed."""
    if prop.get("type") == "integer":
        return 1
    if prop.get("type") == "boolean":
        return False
    if prop.get("format") == "date":
        return str(timezone.localdate())
    return "x"


@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", "dina"])
def test_nul_in_every_parameter_of_every_route_is_refused(
    who: str, personas: dict[str, Any], world: dict[str, str]
) -> None:
    client = Client()
    headers: dict[str, str] = {}
    routes = _routes()
    assert "/komitmen/baru/<int:target_id>/" in routes and "/api/v1/pledges" in routes

    # The fields each page's forms offer (pages are visited before counting rows: a
    # visit may log in, log out or tidy up; only the probes must change nothing).
    fields: dict[str, set[str]] = {}
    for route in routes:
        if who == "dina":
            login(client, personas["dina"].user)  # a page visited before may log out
            headers = {"Authorization": f"Bearer {personas['dina'].token}"}
        fields[route] = {"q", "next"}
        # The API's parameters come from its schema (below); pages offer theirs in forms.
        if not route.startswith("/api/") and not re.search(r"\.\w+$", route):
            url = _fill(route, world)
            page = client.get(url, headers=headers)
            # Readiness answers 503 while no worker runs (none does under the test client).
            not_ready = url == "/readyz" and page.status_code == 503
            assert page.status_code < 500 or not_ready, f"GET {url}: {page.status_code}"
            if page.get("Content-Type", "").startswith("text/html"):
                fields[route] |= _form_fields(page.content.decode())
    if who == "dina":
        login(client, personas["dina"].user)
    before = _snapshot()
    probes = 0

    def check(method: str, url: str, **kwargs: Any) -> None:
        nonlocal probes
        probes += 1
        call = client.get if method == "GET" else client.post
        response = call(url, headers=headers, **kwargs)
        _assert_refused(response, f"{method} {url} {kwargs.get('data', '')!r}"[:300])

    # 1. The URLconf: NUL in the path and in every field the page's own forms offer,
    #    as query parameters (GET) and form fields (urlencoded and multipart POST).
    for route in routes:
        url = _fill(route, world)
        check("GET", url + "%00")
        if any(converter != "int" for converter, _name in _PARAM.findall(route)):
            check("GET", _fill(route, world, poison="%00"))
        for field in sorted(fields[route]):
            check("GET", url, data={field: "x" + NUL})
            check("POST", url, data=f"{field}=x%00", content_type="application/x-www-form-urlencoded")
            check("POST", url, data={field: "x" + NUL})  # multipart
        check("POST", url, data={"ok\x00": "x"})  # a multipart field name

    # 2. The OpenAPI schema: every parameter and every body property of every operation.
    spec = client.get("/api/v1/openapi.json").json()
    operations = list(_operations(spec))
    assert any(path == "/api/v1/pledges" and method == "POST" for method, path, _p, _b in operations)
    for method, route, params, bodies in operations:
        path_values = {p["name"]: world.get(p["name"], "1") for p in params if p["in"] == "path"}
        url = route.format(**path_values)
        for param in params:
            if param["in"] == "path":
                if param.get("schema", {}).get("type") != "integer":
                    poisoned = dict(path_values, **{param["name"]: path_values[param["name"]] + "%00"})
                    check(method, route.format(**poisoned))
            elif param["in"] == "query":
                check(method, url + ("?" if "?" not in url else "&") + f"{param['name']}=x%00")
            elif param["in"] == "header":
                check(method, url, **{"HTTP_" + param["name"].upper().replace("-", "_"): "x" + NUL})
        for ctype, props in bodies.items():
            for name in props:
                for poison in (NUL, SURROGATE):
                    body = {n: _probe_value(p) for n, p in props.items()}
                    body[name] = "x" + poison
                    if ctype == "application/json":
                        # json.dumps writes both as escapes: \u0000, \ud800.
                        check(method, url, data=json.dumps(body), content_type="application/json")
                    elif poison == NUL:
                        check(method, url, data=body)
            if ctype == "application/json":
                check(method, url, data='{"x\\u0000": 1}', content_type="application/json")
                check(method, url, data=b'{"a": "\x00"}', content_type="application/json")
                # Read as JSON by the API whatever the declared type.
                check(method, url, data='{"aid_type": "\\u0000"}', content_type="text/plain")

    assert probes > 500  # the enumeration really ran over the whole site
    assert _snapshot() == before

    # 3. A file name: Django's multipart parser drops non-printable characters from it
    #    before any code of ours sees it, so it is not refused; it must not fail either
    #    (this probe reaches the views, so it comes after counting the rows).
    for route in routes:
        url = _fill(route, world)
        response = client.post(
            url,
            data=(
                b'--B\r\nContent-Disposition: form-data; name="evidence"; filename="a\x00.png"\r\n'
                b"Content-Type: image/png\r\n\r\nPNG\r\n--B--\r\n"
            ),
            content_type="multipart/form-data; boundary=B",
            headers=headers,
        )
        assert response.status_code < 500, f"POST {url} (file name): {response.status_code}"


def test_a_clean_request_still_goes_through(personas: dict[str, Any]) -> None:
    """Backslash-u text that is not an escape of a refused character, and ordinary
    non-ASCII text (an emoji is a surrogate pair only in UTF-16), pass."""
    client = Client()
    response = client.get("/api/v1/targets", {"q": "Cipulir 🙂 \\u0000"})
    assert response.status_code == 200
    response = client.get("/daftar/", {"q": "Cipulir"})
    assert response.status_code == 200


def test_the_refusal_says_what_and_what_next(personas: dict[str, Any]) -> None:
    client = Client()
    response = client.get("/daftar/?q=a%00")
    assert response.status_code == 400
    html = response.content.decode()
    assert "parameter &#x27;q&#x27;" in html or "parameter 'q'" in html
    assert "Hapus karakter itu" in html
    response = client.post(
        "/api/v1/pledges",
        data='{"target": 1, "aid_type": "sembako\\u0000", "quantity": 1, "planned_delivery": "2030-01-01"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {personas['dina'].token}"},
    )
    assert response.status_code == 422
    assert "isi JSON" in response.json()["detail"]
    assert Pledge.objects.count() == 0
    assert Region.objects.filter(code=RATNA_RW).exists()
