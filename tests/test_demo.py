"""The synthetic Jakarta demo: real structure, real per-kota RW totals."""

import random

import pytest
from django.db.models import Max, Min, Sum

from kolaborasi.regions.models import Region
from kolaborasi.targets.demo import RW_PER_CITY, SEED, demo_load, rw_demo_rows
from kolaborasi.targets.models import INSTITUTION_KINDS, Need, Target

pytestmark = pytest.mark.django_db


def test_structure_of_jakarta() -> None:
    assert Region.objects.filter(parent_id="31", level="city").count() == 6
    assert Region.objects.filter(code__startswith="31.", level="district").count() == 44
    assert Region.objects.filter(code__startswith="31.", level="village").count() == 267
    assert Region.objects.filter(code__startswith="31.", level="rw").count() == 2731


def test_rw_totals_per_kota_and_households() -> None:
    for city, expected in RW_PER_CITY.items():
        assert Target.objects.filter(kind="rw", city_code=city).count() == expected
    stats = Target.objects.filter(kind="rw").aggregate(total=Sum("size"), low=Min("size"), high=Max("size"))
    assert 1_000_000 <= stats["total"] <= 1_200_000
    assert stats["low"] >= 20 and stats["high"] <= 1200
    # skewed: many more small RWs than big ones
    assert (
        Target.objects.filter(kind="rw", size__lt=400).count()
        > Target.objects.filter(kind="rw", size__gte=800).count()
    )
    # every village has at least one RW
    assert Target.objects.filter(kind="rw").values("village").distinct().count() == 267


def test_institutions_and_needs() -> None:
    institutions = Target.objects.exclude(kind="rw")
    assert 200 <= institutions.count() <= 500
    assert set(institutions.values_list("kind", flat=True)) == set(INSTITUTION_KINDS)
    # one need per aid type and target, one unit per household/resident by default
    assert Need.objects.count() == Target.objects.count() * 3
    need = Need.objects.select_related("target").first()
    assert need is not None and need.quantity == need.target.size and need.remaining == need.quantity


def test_labelled_synthetic_and_second_run_changes_nothing() -> None:
    assert not Target.objects.filter(synthetic=False).exists()
    before = Target.objects.count()
    assert demo_load(log=lambda _m: None).created is False
    assert Target.objects.count() == before


def test_deterministic() -> None:
    first = rw_demo_rows(random.Random(SEED))
    second = rw_demo_rows(random.Random(SEED))
    assert first == second
