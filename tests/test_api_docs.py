"""The API's documentation page: Swagger UI from our own static files, rendering the
operations under the site's Content-Security-Policy (a CDN copy was blank under it)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import screenshot


def test_docs_page_loads_only_our_own_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls), html
    assert any(u.endswith("swagger-ui.css") for u in urls), html
    assert all(u.startswith("/static/") for u in urls), urls
    # No inline script may run under the policy: every <script> either loads a file of
    # ours or is a JSON data block.
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        assert "src=" not in attrs or not body.strip()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_docs_assets_are_served(client):
    for name in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        response = client.get(f"/static/ninja/{name}")
        assert response.status_code == 200, name
        assert b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_operations_without_csp_violations(live_server, page: Any) -> None:
    violations: list[str] = []
    page.expose_function("reportViolation", lambda text: violations.append(text))
    # Injected by the browser driver, outside the page's policy, before any page script.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));"
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/pledges" in p for p in paths), paths
    assert any("/api/v1/targets" in p for p in paths), paths
    assert page.locator(".opblock").count() >= 20
    assert violations == []
    assert all(url.startswith(live_server.url) for url in requested), requested
    screenshot(page, "api-docs")
