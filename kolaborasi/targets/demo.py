"""Deterministic synthetic demo data for DKI Jakarta, built on the real registry.

RW counts per kota are the real 2021 figures; the households per RW are synthetic
(skewed, tens to ~1,200, about 1.1 million in all) and every row is flagged
``synthetic`` so the UI and API can say so."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.services import AidTypeUnit, campaign_create, campaign_for_new_needs
from kolaborasi.regions.models import Level, Region
from kolaborasi.regions.services import boundaries_import, regions_load

from .imports import institution_import_rows, rw_import_rows
from .models import AidType, Target

SEED = 2020
RW_PER_CITY = {
    "31.01": 24,  # Kepulauan Seribu
    "31.71": 389,  # Jakarta Pusat
    "31.72": 449,  # Jakarta Utara
    "31.73": 586,  # Jakarta Barat
    "31.74": 576,  # Jakarta Selatan
    "31.75": 707,  # Jakarta Timur
}
TOTAL_HOUSEHOLDS = 1_100_000
MIN_HH, MAX_HH = 20, 1200
INSTITUTIONS = {"pesantren": 110, "panti-asuhan": 90, "panti-disabilitas": 40, "panti-jompo": 40}
AS_OF = date(2020, 4, 20)
SOURCE = "DEMO sintetis"
CAMPAIGN_NAME = "Bantuan Sosial Jakarta (demo)"
CAMPAIGN_DESCRIPTION = "Program contoh dengan data sintetis: satu paket per KK rentan atau penghuni lembaga."
BOUNDARY_FILES = ["jakarta-kota.geojson", "jakarta-kecamatan.geojson", "jakarta-kelurahan.geojson"]

FIRST = [
    "Ahmad",
    "Budi",
    "Siti",
    "Dewi",
    "Agus",
    "Sri",
    "Hendra",
    "Nur",
    "Rudi",
    "Yanti",
    "Joko",
    "Ratna",
    "Bambang",
    "Wati",
    "Eko",
    "Lestari",
    "Hadi",
    "Indah",
    "Slamet",
    "Fitri",
]
LAST = [
    "Santoso",
    "Wijaya",
    "Hidayat",
    "Saputra",
    "Lubis",
    "Siregar",
    "Nasution",
    "Pratama",
    "Kurniawan",
    "Setiawan",
    "Rahman",
    "Simanjuntak",
    "Gunawan",
    "Hasibuan",
    "Sitompul",
]
INSTITUTION_PREFIX = {
    "pesantren": "Pondok Pesantren",
    "panti-asuhan": "Panti Asuhan",
    "panti-disabilitas": "Panti Disabilitas",
    "panti-jompo": "Panti Werdha",
}
INSTITUTION_NAMES = [
    "Al-Hikmah",
    "Nurul Iman",
    "Darussalam",
    "Kasih Bunda",
    "Harapan",
    "Bina Insani",
    "Al-Falah",
    "Mutiara",
    "Sejahtera",
    "Cahaya",
    "Al-Ikhlas",
    "Tunas Bangsa",
]


@dataclass
class DemoResult:
    created: bool
    rws: int
    households: int
    institutions: int
    boundaries: int


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split ``total`` into ``parts`` positive integers with some spread."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def rw_demo_rows(rng: random.Random) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for city, total in RW_PER_CITY.items():
        villages = list(Region.objects.below(city).filter(level=Level.VILLAGE).order_by("code"))
        if not villages:
            raise RuntimeError(
                _("registri wilayah untuk %(city)s belum dimuat; jalankan dulu `kolaborasi regions load`")
                % {"city": city}
            )
        for village, count in zip(villages, _split(total, len(villages), rng), strict=True):
            for number in range(1, count + 1):
                rows.append(
                    {
                        "village_code": village.code,
                        "rw_number": str(number),
                        "households": "0",
                        "head_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                        "as_of": AS_OF.isoformat(),
                        "source": SOURCE,
                    }
                )
    raw = [rng.lognormvariate(0, 0.65) for _ in rows]
    scale = TOTAL_HOUSEHOLDS / sum(raw)
    for row, value in zip(rows, raw, strict=True):
        row["households"] = str(min(MAX_HH, max(MIN_HH, round(value * scale))))
    return rows


def institution_demo_rows(rng: random.Random) -> list[dict[str, str]]:
    villages = list(Region.objects.filter(level=Level.VILLAGE, code__startswith="31.").order_by("code"))
    rows = []
    used: set[tuple[str, str]] = set()
    for kind, count in INSTITUTIONS.items():
        for _i in range(count):
            village = rng.choice(villages)
            name = f"{INSTITUTION_PREFIX[kind]} {rng.choice(INSTITUTION_NAMES)}"
            if (village.code, name) in used:
                name = f"{name} {village.name}"
            used.add((village.code, name))
            lat = lng = ""
            if village.centroid_lat is not None and village.centroid_lng is not None:
                lat = f"{village.centroid_lat + rng.uniform(-0.004, 0.004):.6f}"
                lng = f"{village.centroid_lng + rng.uniform(-0.004, 0.004):.6f}"
            rows.append(
                {
                    "village_code": village.code,
                    "kind": kind,
                    "name": name,
                    "residents": str(rng.randint(15, 250)),
                    "as_of": AS_OF.isoformat(),
                    "source": SOURCE,
                    "lat": lat,
                    "lng": lng,
                    "address": "",
                    "head_name": "",
                }
            )
    return rows


def _demo_campaign(actor: object | None) -> Campaign:
    """The demo's needs go to the one open campaign; on an installation without any
    campaign the demo opens its own over DKI Jakarta, collecting every active aid type."""
    aid_types = [
        AidTypeUnit(a.pk, a.slug, a.unit) for a in AidType.objects.filter(active=True).order_by("pk")
    ]
    if Campaign.objects.exists():
        return campaign_for_new_needs(actor=actor, region_codes=["31"], aid_types=aid_types)  # type: ignore[arg-type]
    return campaign_create(
        actor=actor,  # type: ignore[arg-type]
        name=CAMPAIGN_NAME,
        description=CAMPAIGN_DESCRIPTION,
        region_codes=["31"],
        aid_types=aid_types,
        start=AS_OF,
    )


def demo_load(
    *, actor: object | None = None, boundaries_dir: Path | None = None, log: Callable[[str], None] = print
) -> DemoResult:
    """Load the Jakarta demo once; a second call changes nothing."""
    if Target.objects.filter(synthetic=True).exists():
        log(_("Data demo sudah ada; tidak ada yang diubah."))
        return DemoResult(False, 0, 0, 0, 0)
    rng = random.Random(SEED)
    with transaction.atomic():
        if not Region.objects.filter(code__startswith="31.", level=Level.VILLAGE).exists():
            log("Memuat registri DKI Jakarta ...")
            regions_load(actor=actor, province="31")
        boundaries = 0
        folder = boundaries_dir or settings.BOUNDARIES_DIR
        if folder.is_dir():
            for name in BOUNDARY_FILES:
                path = folder / name
                if path.is_file():
                    log(f"Mengimpor batas wilayah {name} ...")
                    boundaries += boundaries_import(actor=actor, data=path.read_bytes(), label=name).imported
        else:
            log(_("Batas wilayah tidak ditemukan di %(folder)s; peta tanpa poligon.") % {"folder": folder})
        campaign = _demo_campaign(actor)
        rows = rw_demo_rows(rng)
        log(f"Membuat {len(rows)} RW sintetis ...")
        rw_import_rows(actor=actor, rows=rows, label="demo", synthetic=True, campaign=campaign)
        inst_rows = institution_demo_rows(rng)
        log(f"Membuat {len(inst_rows)} lembaga sintetis ...")
        institution_import_rows(actor=actor, rows=inst_rows, label="demo", synthetic=True, campaign=campaign)
    households = sum(int(r["households"]) for r in rows)
    return DemoResult(True, len(rows), households, len(inst_rows), boundaries)
