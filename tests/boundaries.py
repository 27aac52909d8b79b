"""Boundaries for the test database: the reference Jakarta shapes from ../shared/data
when they are there, otherwise stand-in squares for the same kota, kecamatan and
kelurahan codes written as real GeoJSON files, so the map, planner and browser tests
exercise the same import path either way (the project must run without shared data)."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

from django.conf import settings
from lokal import wilayah

from kolaborasi.targets.demo import BOUNDARY_FILES


def _square(code: str, x: float, y: float, size: float) -> dict[str, object]:
    ring = [[x, y], [x + size, y], [x + size, y - size], [x, y - size], [x, y]]
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@cache
def boundaries_dir() -> Path:
    reference = Path(settings.BOUNDARIES_DIR)
    if all((reference / name).is_file() for name in BOUNDARY_FILES):
        return reference
    folder = Path(tempfile.mkdtemp(prefix="kolaborasi-boundaries-"))
    cities = [w.code for w in wilayah.list_wilayah("31")]
    districts = [d.code for c in cities for d in wilayah.list_wilayah(c)]
    villages = [v.code for d in districts for v in wilayah.list_wilayah(d)]
    # A 20-wide grid of 0.01° squares starting near Jakarta; each level on its own grid
    # (shapes of different levels need not nest for these tests).
    for name, codes in zip(BOUNDARY_FILES, [cities, districts, villages], strict=True):
        features = [
            _square(code, 106.70 + (i % 20) * 0.01, -6.10 - (i // 20) * 0.01, 0.009)
            for i, code in enumerate(codes)
        ]
        (folder / name).write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return folder
