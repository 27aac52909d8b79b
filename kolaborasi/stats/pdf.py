"""The weekly report as PDF, rendered by WeasyPrint from the same HTML as the page.

WeasyPrint fetches the stylesheet and the chart images itself; this fetcher answers
those from inside the process (static files from disk, charts from the same drawing
code) so a PDF never makes a network request, not even to our own server."""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from kolaborasi.campaigns.selectors import PAGE_PARAM
from kolaborasi.core.models import SiteAuthority

from . import charts
from .scope import parse_scope

# Importing WeasyPrint tells Pillow, for the whole process, to accept truncated images.
# The report draws only our own charts; evidence photos must stay refused when cut off,
# in every worker that has rendered a PDF.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# WeasyPrint logs every layout step at INFO; keep the server log for real problems.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

CHARTS = {
    "/data/grafik/kumulatif.svg": charts.cumulative_svg,
    "/data/grafik/wilayah.svg": charts.breakdown_svg,
}


class LocalFetcher(URLFetcher):
    def __init__(self, host: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.host = host

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.netloc != self.host:
            raise ValueError(f"no external fetch in PDFs: {url}")
        if parts.path in CHARTS:
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            scope = parse_scope(
                q.get("region"), q.get("since"), q.get("until"), q.get(PAGE_PARAM), campaign_field=PAGE_PARAM
            )
            body = CHARTS[parts.path](scope)
            return URLFetcherResponse(url, body, {"Content-Type": "image/svg+xml"})
        if parts.path == reverse("core:authority_logo"):
            logo = SiteAuthority.objects.filter(pk=1).values_list("logo_png", flat=True).first()
            if not logo:
                raise ValueError("no logo configured")
            return URLFetcherResponse(url, bytes(logo), {"Content-Type": "image/png"})
        if parts.path.startswith(settings.STATIC_URL):
            rel = parts.path[len(settings.STATIC_URL) :]
            found = finders.find(rel)
            path = Path(found) if isinstance(found, str) else Path(settings.STATIC_ROOT) / rel
            if not path.is_file():
                raise ValueError(f"static file not found: {rel}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise ValueError(f"not fetched for PDFs: {url}")


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    host = urlsplit(base_url).netloc
    pdf = HTML(string=html, base_url=base_url, url_fetcher=LocalFetcher(host)).write_pdf()
    return bytes(pdf or b"")
