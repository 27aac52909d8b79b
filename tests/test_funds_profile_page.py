"""Public aggregator profile page: Rp formatting, Indonesian first, English on request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kolaborasi.accounts.models import OrgKind
from kolaborasi.core.money import format_rupiah
from kolaborasi.funds import services
from tests.personas import make_org


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "Rp0"),
        (999, "Rp999"),
        (1000, "Rp1.000"),
        (1_000_000_000, "Rp1.000.000.000"),
        (-2500, "-Rp2.500"),
        ("x", ""),
    ],
)
def test_rupiah_filter(value: object, text: str) -> None:
    assert format_rupiah(value) == text


@pytest.mark.django_db
def test_profile_in_both_languages() -> None:
    agg = make_org("Rumah Zakat", OrgKind.AGGREGATOR)
    agg.description = "Lembaga amil zakat nasional."
    agg.save()
    unverified = make_org("Yayasan Baru", OrgKind.AGGREGATOR, verified=False)
    donor = make_org("CV Pribadi", subtype="individual")
    d = services.donation_create(
        actor=None, donor=donor, aggregator=agg, amount=2_500_000, donated_on=dt.date(2020, 5, 1)
    )
    services.donation_confirm(actor=None, donation=d)
    page = Client().get(f"/dana/agregator/{agg.pk}/").content.decode()
    assert "Rp2.500.000" in page and "Terverifikasi" in page and "Saldo" in page
    assert "CV Pribadi" not in page  # did not choose to be public
    english = Client()
    english.cookies["django_language"] = "en"  # the language switch, not the browser
    page = english.get(f"/dana/agregator/{agg.pk}/").content.decode()
    assert "Balance" in page and "Verified" in page and "Rp2.500.000" in page
    listing = Client().get("/dana/agregator/").content.decode()
    assert "Rumah Zakat" in listing and "Yayasan Baru" not in listing  # not verified: not public
    assert Client().get(f"/dana/agregator/{unverified.pk}/").status_code == 404
