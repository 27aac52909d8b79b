"""Who runs this site: the operator configures the issuing authority once (admin); it
shows in the footer of every page, on the weekly report and in its PDF, whose pages carry
a number and the time the PDF was made."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

import kolaborasi.stats.pdf as pdf_module
from kolaborasi.core.authority import site_authority, site_authority_changed
from kolaborasi.core.models import SiteAuthority

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Pemerintah Provinsi DKI Jakarta",
    "unit": "Dinas Sosial",
    "contact": "dinsos@jakarta.go.id",
    "hotline": "112",
    "privacy_policy": "Kami hanya menyimpan data yang diperlukan.\n\nNama Ketua RW tidak diterbitkan.",
}


def _png(size: tuple[int, int] = (800, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return out.getvalue()


def test_without_an_authority_the_site_names_none(client: Client) -> None:
    assert site_authority() is None
    body = client.get("/").content.decode()
    assert "Diselenggarakan oleh" not in body
    assert client.get("/privasi/").status_code == 404
    assert client.get("/penyelenggara/logo.png").status_code == 404


def test_an_operator_configures_it_once_and_every_page_shows_it(admin_client: Client, client: Client) -> None:
    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    response = admin_client.post("/admin/core/siteauthority/add/", {**FORM, "logo": logo})
    assert response.status_code == 302, response.content.decode()[:2000]
    authority = SiteAuthority.objects.get()
    with Image.open(io.BytesIO(bytes(authority.logo_png))) as stored:
        assert stored.format == "PNG" and max(stored.size) <= 512  # re-encoded, made smaller
    # One row only, never deleted.
    assert admin_client.get("/admin/core/siteauthority/add/").status_code == 403
    assert admin_client.get(f"/admin/core/siteauthority/{authority.pk}/delete/").status_code == 403

    home = client.get("/").content.decode()
    assert "Diselenggarakan oleh" in home and "Pemerintah Provinsi DKI Jakarta" in home
    assert 'href="tel:112"' in home and 'href="/privasi/"' in home
    assert client.get("/penyelenggara/logo.png")["Content-Type"] == "image/png"
    privacy = client.get("/privasi/").content.decode()
    assert "<p>Nama Ketua RW tidak diterbitkan.</p>" in privacy
    client.cookies["django_language"] = "en"
    assert "Run by" in client.get("/").content.decode()


def test_a_logo_that_is_not_a_picture_is_refused(admin_client: Client) -> None:
    bad = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = admin_client.post("/admin/core/siteauthority/add/", {**FORM, "logo": bad})
    assert response.status_code == 200
    assert "Logo tidak dapat dibaca" in response.content.decode()
    assert not SiteAuthority.objects.exists()


def test_the_weekly_report_and_its_pdf_name_the_authority(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    SiteAuthority.objects.create(**FORM, logo_png=_png((64, 64)))
    page = client.get("/data/laporan/", {"week": "2026-W17", "region": "31.74"}).content.decode()
    assert "Pemerintah Provinsi DKI Jakarta" in page and 'class="generated"' in page

    seen: dict[str, Any] = {}
    real = pdf_module.html_to_pdf

    def capture(html: str, *, base_url: str) -> bytes:
        seen["html"] = html
        return real(html, base_url=base_url)

    monkeypatch.setattr(pdf_module, "html_to_pdf", capture)
    response = client.get("/data/laporan.pdf", {"week": "2026-W17", "region": "31.74"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert "Pemerintah Provinsi DKI Jakarta" in seen["html"] and "Dibuat " in seen["html"]
    # A new authority is a new PDF, not the one cached for the old.
    SiteAuthority.objects.filter(pk=1).update(name="Pemerintah Kota Bogor", updated_at=timezone.now())
    site_authority_changed()
    seen.clear()
    client.get("/data/laporan.pdf", {"week": "2026-W17", "region": "31.74"})
    assert "Pemerintah Kota Bogor" in seen["html"]
    # The logo is fetched from the database into the PDF (no network).
    logo = pdf_module.LocalFetcher("testserver").fetch("http://testserver/penyelenggara/logo.png")
    assert logo.read().startswith(b"\x89PNG")
