"""Evidence photos: accepted by content (never by name or declared type), size-capped,
fully decoded and re-encoded so nothing but pixels survives — EXIF, GPS position,
comments and any payload appended to the file are dropped.

Decoding is where a hostile upload hurts: a 154 KB PNG of zeros can declare 6300×6300
pixels and take hundreds of megabytes once decoded. So the declared size is checked
first (``Image.open`` reads only the header) against ``EVIDENCE_MAX_PIXELS``, far below
Pillow's own bomb threshold, and the decoding itself runs in one of
``IMAGE_WORK_SLOTS`` cross-process slots (``kolaborasi.core.heavy``): however many
uploads arrive at once, at most that many photos are in memory on one app server."""

from __future__ import annotations

import ctypes
import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from kolaborasi.core import heavy
from kolaborasi.core.errors import Invalid

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Bytes of memory one photo of the largest accepted size may take while it is decoded
# and re-encoded (4 bytes per pixel, the decoded image and one converted copy, with room
# for the encoder): times IMAGE_WORK_SLOTS, the documented memory budget.
BYTES_PER_PIXEL_AT_WORK = 10


class EvidenceRejected(Invalid):
    """The upload is not an acceptable photo; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="evidence")


# The longest side of the small copy shown in lists (CSS pixels ×2 for sharp phones).
THUMBNAIL_SIDE = 192


@dataclass(frozen=True)
class CleanImage:
    name: str
    content: bytes
    format: str
    # A small JPEG copy, made from the pixels already decoded, so lists never load
    # (or decode again) the full photo.
    thumbnail: bytes = b""


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(settings.EVIDENCE_MAX_PIXELS)


def memory_budget() -> int:
    """Most memory photo processing may take on one app server at any moment."""
    return int(settings.IMAGE_WORK_SLOTS) * max_pixels() * BYTES_PER_PIXEL_AT_WORK


def evidence_clean(upload: IO[bytes], *, size: int | None = None) -> CleanImage:
    """Check and re-encode one uploaded photo; raise EvidenceRejected with the reason."""
    limit = max_bytes()
    if size is not None and size > limit:
        raise EvidenceRejected(
            _("Berkas bukti terlalu besar: %(size)s bita, maksimum %(limit)s bita.")
            % {"size": size, "limit": limit}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise EvidenceRejected(_("Berkas bukti terlalu besar, maksimum %(limit)s bita.") % {"limit": limit})
    if not data:
        raise EvidenceRejected(_("Berkas bukti kosong."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in FORMATS:
                    raise EvidenceRejected(
                        _("Berkas bukti bukan foto JPEG, PNG atau WebP (isinya: %(format)s).")
                        % {"format": fmt or _("tidak dikenal")}
                    )
                limit_px = max_pixels()
                if probe.width * probe.height > limit_px:
                    raise EvidenceRejected(
                        _(
                            "Foto terlalu besar: %(width)s×%(height)s piksel, maksimal %(mp)s "
                            "megapiksel. Perkecil foto lalu unggah lagi."
                        )
                        % {"width": probe.width, "height": probe.height, "mp": f"{limit_px / 1e6:g}"}
                    )
                try:
                    with heavy.slot(
                        "image",
                        settings.IMAGE_WORK_SLOTS,
                        wait=settings.IMAGE_WORK_WAIT_SECONDS,
                        retry_after=settings.HEAVY_RETRY_AFTER,
                    ):
                        try:
                            probe.load()  # decodes every pixel: truncated or corrupt data fails here
                            image = ImageOps.exif_transpose(probe, in_place=True)
                            return _reencode(probe if image is None else image, fmt)
                        finally:
                            probe.close()
                            _give_memory_back()
                except heavy.Busy as busy:
                    raise heavy.Busy(
                        busy.retry_after, _("Server sedang memproses banyak foto sekaligus.")
                    ) from None
    except EvidenceRejected:
        raise
    except Image.UnidentifiedImageError as exc:
        raise EvidenceRejected(
            _("Berkas bukti bukan gambar yang dapat dibaca; kirim JPEG, PNG atau WebP.")
        ) from exc
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise EvidenceRejected(_("Gambar rusak atau terpotong: %(error)s") % {"error": exc}) from exc


def _give_memory_back() -> None:
    """Return the freed pixel buffers to the operating system now. glibc keeps large
    freed blocks in the process heap for reuse, so every worker that ever decoded a
    photo would otherwise stay that much larger, and bounding how many photos are
    decoded at once would not bound the server's memory."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


def _thumbnail(image: Image.Image) -> bytes:
    """A JPEG no larger than THUMBNAIL_SIDE on its longest side. Made from the image in
    hand, inside the same work slot, so it costs no second decoding; resized first, so
    no full-size copy is ever made (the memory budget counts one)."""
    scale = min(1.0, THUMBNAIL_SIDE / max(image.width, image.height, 1))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0) if scale < 1 else image.copy()
    if small.mode != "RGB":
        # Transparent parts on white, as the page's background.
        rgba = small.convert("RGBA")
        small = Image.new("RGB", small.size, (255, 255, 255))
        small.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def _reencode(image: Image.Image, fmt: str) -> CleanImage:
    # Keep only what the pixels need; metadata (exif, xmp, comments, text) goes.
    transparency = image.info.get("transparency")
    image.info = {} if transparency is None else {"transparency": transparency}
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        # A fresh PNG carries no text/eXIf chunks: only the pixels are written.
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "WEBP", quality=85)
    return CleanImage(
        name=f"{uuid.uuid4().hex}.{FORMATS[fmt]}",
        content=out.getvalue(),
        format=fmt,
        thumbnail=_thumbnail(image),
    )
