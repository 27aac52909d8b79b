"""The site's issuing authority (:class:`~kolaborasi.core.models.SiteAuthority`): read
once per process and data change, its logo checked and re-encoded on upload."""

from __future__ import annotations

import io
import warnings

from django.core.cache import cache
from django.db.models.functions import Length
from django.utils.translation import gettext as _
from PIL import Image

from .models import SiteAuthority

CACHE_KEY = "core:site-authority:v1"
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_PIXELS = 2_000_000
LOGO_BOX = (512, 512)


def site_authority() -> SiteAuthority | None:
    """The configured authority, or None; cached until it is saved again."""
    found = cache.get(CACHE_KEY)
    if found is None:
        found = (
            SiteAuthority.objects.defer("logo_png")
            .annotate(logo_bytes=Length("logo_png"))
            .filter(pk=1)
            .first()
            or False
        )
        cache.set(CACHE_KEY, found, timeout=300)
    return found or None


def site_authority_changed() -> None:
    cache.delete(CACHE_KEY)


def logo_clean(data: bytes) -> bytes:
    """A PNG of at most LOGO_BOX made from an uploaded JPEG, PNG or WebP, or ValueError
    with the reason (in the request's language)."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(_("Logo terlalu besar: maksimal 512 KB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in {"JPEG", "PNG", "WEBP"}:
                    raise ValueError(_("Logo harus berupa gambar PNG, JPEG atau WebP."))
                if image.width * image.height > LOGO_MAX_PIXELS:
                    raise ValueError(_("Logo terlalu besar: maksimal 2 megapiksel."))
                image.thumbnail(LOGO_BOX)
                out = io.BytesIO()
                image.convert("RGBA").save(out, format="PNG", optimize=True)
    except (OSError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValueError(_("Logo tidak dapat dibaca sebagai gambar PNG, JPEG atau WebP.")) from None
    return out.getvalue()
