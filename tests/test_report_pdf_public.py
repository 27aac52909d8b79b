"""/data/laporan.pdf is rendered once and served to everyone: it must show what the
public sees, never the login, menu or pending messages of whoever asked first."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

import kolaborasi.stats.pdf as pdf_module
from tests.personas import login

pytestmark = pytest.mark.django_db


def test_the_cached_pdf_carries_nothing_of_the_first_visitor(
    client: Client, personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    real = pdf_module.html_to_pdf

    def capture(html: str, **kwargs: Any) -> bytes:
        rendered.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf_module, "html_to_pdf", capture)
    dina = personas["dina"]
    login(client, dina)
    # Switching organisation leaves a message waiting for dina's next page.
    client.post("/akun/organisasi/pilih/", {"organisation": dina.organisation.pk})
    response = client.get("/data/laporan.pdf", {"region": "31.74"})
    assert response.status_code == 200
    assert rendered, "the PDF was rendered from HTML"
    html = rendered[-1]
    assert "PT Dina Logistik" not in html  # neither the message nor the active organisation
    assert "Komitmen saya" not in html  # the logged-in menu
    assert "/akun/masuk/" in html  # the public's menu
    # The message is still there for dina's own next page.
    assert "Sekarang bertindak atas nama PT Dina Logistik" in client.get("/data/").content.decode()
