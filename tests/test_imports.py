"""`kolaborasi import rw|institutions|boundaries`: all-or-nothing, row-level reports."""

import json

import pytest
from django.core.management.base import CommandError

from kolaborasi.audit.models import AuditEvent
from kolaborasi.regions.models import Boundary, Region
from kolaborasi.targets.models import Need, Target

pytestmark = pytest.mark.django_db

HEADER = "village_code,rw_number,households,head_name,as_of,source\n"
GOOD = "31.74.03.1001,901,350,Ibu Ratna,2026-11-01,Kelurahan\n31.74.03.1001,902,120,,01/11/2026,Kelurahan\n"


def counts() -> tuple[int, int, int, int]:
    return Region.objects.count(), Target.objects.count(), Need.objects.count(), AuditEvent.objects.count()


def test_good_rw_file_creates_rws_needs_and_an_audit_event(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    out, _ = run_cli("import", "rw", str(tmp_file("rw.csv", HEADER + GOOD)))
    assert "2 RW diimpor" in out
    rw = Target.objects.get(region_id="31.74.03.1001.901")
    assert (rw.size, rw.head_name, rw.kind, rw.city_code) == (350, "Ibu Ratna", "rw", "31.74")
    assert rw.needs.count() == 3 and {n.quantity for n in rw.needs.all()} == {350}
    assert counts() == (before[0] + 2, before[1] + 2, before[2] + 6, before[3] + 1)


BAD_RW = [
    ("99.99.99.9999,901,10,,2026-11-01,x\n", 2, "village_code", "tidak dikenal"),
    (
        "31.74.03.1001,901,10,,2026-11-01,x\n31.74.03.1001,901,12,,2026-11-01,x\n",
        3,
        "rw_number",
        "ganda",
    ),
    ("31.74.03.1001,1,10,,2026-11-01,x\n", 2, "rw_number", "sudah ada"),
    ("31.74.03.1001,901,-5,,2026-11-01,x\n", 2, "households", "negatif"),
    ("31.74.03.1001,901,banyak,,2026-11-01,x\n", 2, "households", "bukan bilangan bulat"),
    ("31.74.03.1001,901,10,,2026-13-45,x\n", 2, "as_of", "bukan tanggal"),
    ("31.74.03.1001,1000,10,,2026-11-01,x\n", 2, "rw_number", "harus 1..999"),
    ("31.74.03.1001,901,10,,2026-11-01,\n", 2, "source", "sumber data kosong"),
]


@pytest.mark.parametrize(("rows", "line", "column", "reason"), BAD_RW)
def test_bad_rw_rows_are_reported_and_change_nothing(
    run_cli, tmp_file, capsys, rows, line, column, reason
) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    # a good row first: it must not be written either (all-or-nothing)
    path = tmp_file("rw.csv", HEADER + "31.74.03.1002,950,10,,2026-11-01,x\n" + rows)
    with pytest.raises(CommandError, match="tidak ada yang diubah"):
        run_cli("import", "rw", str(path))
    assert counts() == before


def test_bad_rw_report_names_row_column_reason(tmp_file) -> None:  # type: ignore[no-untyped-def]
    from kolaborasi.core.errors import ImportRejected
    from kolaborasi.targets.imports import rw_import

    for rows, line, column, reason in BAD_RW:
        with pytest.raises(ImportRejected) as info:
            rw_import(actor=None, data=(HEADER + "31.74.03.1002,950,10,,2026-11-01,x\n" + rows).encode())
        matching = [e for e in info.value.errors if e.column == column and reason in e.reason]
        assert matching, (rows, info.value.errors)
        assert matching[0].row == line + 1  # +1 for the good row placed first


def test_wrong_encoding_and_missing_columns(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    from kolaborasi.core.errors import ImportRejected
    from kolaborasi.targets.imports import rw_import

    before = counts()
    latin1 = (
        (HEADER + "31.74.03.1001,901,10,Bapak Suryadi Ṡ,2026-11-01,x\n")
        .encode("utf-8")
        .replace("Ṡ".encode(), b"\xe9")
    )
    with pytest.raises(ImportRejected) as info:
        rw_import(actor=None, data=latin1)
    assert "UTF-8" in info.value.errors[0].reason and info.value.errors[0].row == 2
    with pytest.raises(ImportRejected) as info:
        rw_import(actor=None, data=b"village_code,households\n31.74.03.1001,5\n")
    assert {e.column for e in info.value.errors} == {"rw_number", "as_of", "source"}
    with pytest.raises(CommandError, match="berkas tidak ditemukan"):
        run_cli("import", "rw", "/nonexistent.csv")
    assert counts() == before


INST_HEADER = "village_code,kind,name,residents,as_of,source,lat,lng\n"


def test_institutions_good_and_bad(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    from kolaborasi.core.errors import ImportRejected
    from kolaborasi.targets.imports import institution_import

    before = counts()
    out, _ = run_cli(
        "import",
        "institutions",
        str(
            tmp_file(
                "i.csv",
                INST_HEADER + "31.74.03.1001,pesantren,PP Uji Coba,80,2026-11-01,Kemenag,-6.24,106.78\n",
            )
        ),
    )
    assert "1 lembaga diimpor" in out
    assert Target.objects.get(name="PP Uji Coba").lat == -6.24
    assert counts()[1] == before[1] + 1
    bad = [
        ("31.74.03.1001,hotel,X,1,2026-11-01,s,,\n", "kind"),
        ("31.74.03.1001,pesantren,PP Uji Coba,80,2026-11-01,s,,\n", "name"),  # already exists
        ("31.74.03.1001,pesantren,Y,-1,2026-11-01,s,,\n", "residents"),
        ("31.74.03.1001,pesantren,Z,5,2026-11-01,s,95,106\n", "lat"),
        ("31.74.03.1001,pesantren,W,5,2026-11-01,s,-6.2,\n", "lat"),
    ]
    mid = counts()
    for row, column in bad:
        with pytest.raises(ImportRejected) as info:
            institution_import(actor=None, data=(INST_HEADER + row).encode())
        assert column in {e.column for e in info.value.errors}, (row, info.value.errors)
    assert counts() == mid


def _fc(*features: dict) -> str:  # type: ignore[type-arg]
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def _square(code: str, x: float = 106.8, y: float = -6.2, d: float = 0.01) -> dict:  # type: ignore[type-arg]
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_boundaries_good_and_bad(run_cli, tmp_file) -> None:  # type: ignore[no-untyped-def]
    out, _ = run_cli("import", "boundaries", str(tmp_file("b.geojson", _fc(_square("31.74.03.1001.001")))))
    assert "1 batas wilayah diimpor" in out
    assert Boundary.objects.filter(region_id="31.74.03.1001.001").exists()
    assert Region.objects.get(code="31.74.03.1001.001").centroid_lat is not None
    before = (Boundary.objects.count(), AuditEvent.objects.count())
    point = {
        "type": "Feature",
        "properties": {"code": "31.74"},
        "geometry": {"type": "Point", "coordinates": [106.8, -6.2]},
    }
    line = _square("31.75")
    line["geometry"]["coordinates"] = [[[106.8, -6.2], [106.9, -6.2], [106.8, -6.2], [106.8, -6.2]]]
    cases = [
        (_fc(_square("31.74"), _square("99.99")), "tidak dikenal"),
        (_fc(point), "Polygon/MultiPolygon"),
        (_fc(line), "geometri tidak sah"),
        ("{not json", "JSON tidak sah"),
        (json.dumps({"type": "Feature"}), "bukan GeoJSON FeatureCollection"),
    ]
    for content, reason in cases:
        with pytest.raises(CommandError):
            run_cli("import", "boundaries", str(tmp_file("bad.geojson", content)))
        assert (Boundary.objects.count(), AuditEvent.objects.count()) == before, reason


def test_demo_boundaries_cover_every_village() -> None:
    # the reference shapes, or tests/boundaries.py stand-ins when shared data is absent
    assert Boundary.objects.filter(region__level="village", region__code__startswith="31.").count() == 267
