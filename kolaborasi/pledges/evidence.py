"""Evidence photos: accepted by content (never by name or declared type), size-capped,
fully decoded and re-encoded so nothing but pixels survives — EXIF, GPS position,
comments and any payload appended to the file are dropped (DESIGN §3.6, §6)."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from PIL import Image, ImageOps

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Refuse decompression bombs well before Pillow's own (warning-only) threshold.
MAX_PIXELS = 40_000_000


class EvidenceRejected(ValueError):
    """The upload is not an acceptable photo; the message says why (Indonesian, English)."""


@dataclass(frozen=True)
class CleanImage:
    name: str
    content: bytes
    format: str


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def evidence_clean(upload: IO[bytes], *, size: int | None = None) -> CleanImage:
    """Check and re-encode one uploaded photo; raise EvidenceRejected with the reason."""
    limit = max_bytes()
    if size is not None and size > limit:
        raise EvidenceRejected(
            f"berkas bukti terlalu besar: {size} bita, maksimum {limit} bita "
            f"(evidence file too large: {size} bytes, limit {limit})"
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise EvidenceRejected(
            f"berkas bukti terlalu besar, maksimum {limit} bita "
            f"(evidence file too large, limit {limit} bytes)"
        )
    if not data:
        raise EvidenceRejected("berkas bukti kosong (evidence file is empty)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in FORMATS:
                    raise EvidenceRejected(
                        "berkas bukti bukan foto JPEG, PNG atau WebP "
                        f"(evidence must be a JPEG, PNG or WebP photo; got {fmt or 'unknown content'})"
                    )
                if probe.width * probe.height > MAX_PIXELS:
                    raise EvidenceRejected(
                        f"foto terlalu besar: {probe.width}×{probe.height} piksel "
                        f"(photo too large: {probe.width}×{probe.height} pixels)"
                    )
                probe.load()  # decodes every pixel: truncated or corrupt data fails here
                image = ImageOps.exif_transpose(probe)
                return _reencode(image, fmt)
    except EvidenceRejected:
        raise
    except Image.UnidentifiedImageError as exc:
        raise EvidenceRejected(
            "berkas bukti bukan gambar yang dapat dibaca (evidence is not a readable image: "
            "JPEG, PNG or WebP expected)"
        ) from exc
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise EvidenceRejected(f"gambar rusak atau terpotong (image is corrupt or truncated: {exc})") from exc


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
    return CleanImage(name=f"{uuid.uuid4().hex}.{FORMATS[fmt]}", content=out.getvalue(), format=fmt)
