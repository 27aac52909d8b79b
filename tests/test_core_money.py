"""Rupiah typed the Indonesian way are read as the person meant, and anything that
could mean another number is refused with a sentence, never silently misread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kolaborasi.core.money import format_rupiah, group_thousands, parse_rupiah
from kolaborasi.funds.models import Donation
from tests.personas import login

AMOUNTS = st.integers(min_value=0, max_value=10**15)


@pytest.fixture(autouse=True)
def _indonesian() -> Iterator[None]:
    """The reasons are read in Indonesian here, whatever an earlier test activated."""
    with translation.override("id"):
        yield


@given(AMOUNTS)
def test_every_way_of_writing_an_amount_reads_back_the_same(amount: int) -> None:
    for written in (
        str(amount),
        group_thousands(amount),
        format_rupiah(amount),
        f"Rp {group_thousands(amount)}",
        f"rp. {amount}",
        f"  {group_thousands(amount)} ",
    ):
        assert parse_rupiah(written) == amount, written


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=99))
def test_decimals_are_refused(whole: int, cents: int) -> None:
    for written in (f"{group_thousands(whole)},{cents}", f"{whole},{cents:02d}"):
        with pytest.raises(ValueError, match="koma"):
            parse_rupiah(written)


@pytest.mark.parametrize(
    "written",
    [
        "50,000",
        "50.000,5",
        "1,5 juta",
        "50.00",
        "1.2345",
        "5.0.0",
        ".500",
        "500.",
        "",
        "Rp",
        "-5",
        "5e6",
        "١٢٣",
        "50 000 abc",
        "Rp-1.000",
    ],
)
def test_ambiguous_or_foreign_amounts_are_refused_with_a_reason(written: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_rupiah(written)
    assert "misalnya" in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["50.000.000", "50000000", "Rp 50.000.000", "Rp50.000.000"])
def test_the_donation_form_records_exactly_what_was_typed(personas, typed: str) -> None:  # type: ignore[no-untyped-def]
    """Typing "50.000.000" once recorded Rp50: the number box kept "50.000" and read 50."""
    client = Client()
    login(client, personas["dina"])
    form = {
        "aggregator": personas["agus"].organisation.pk,
        "amount": typed,
        "donated_on": "2020-04-20",
        "channel": "transfer",
    }
    assert client.post("/dana/donasi/baru/", form).status_code == 302
    assert Donation.objects.get().amount == 50_000_000


@pytest.mark.django_db
def test_an_ambiguous_amount_keeps_the_form_and_records_nothing(personas) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas["dina"])
    form = {
        "aggregator": personas["agus"].organisation.pk,
        "amount": "50.000,5",
        "donated_on": "2020-04-20",
        "channel": "transfer",
    }
    response = client.post("/dana/donasi/baru/", form)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Jangan memakai koma" in body and 'value="50.000,5"' in body
    assert 'inputmode="numeric"' in body
    assert "— Pilih —" in body and "Select an option" not in body  # Django's own words too
    assert not Donation.objects.exists()


@pytest.mark.django_db
def test_the_amount_is_read_back_while_typing(client: Client) -> None:
    assert client.get("/jumlah/", {"amount": "50.000.000"}).content.decode() == "Rp50.000.000"
    refused = client.get("/jumlah/", {"amount": "50,000"}).content.decode()
    assert "Jangan memakai koma" in refused
    client.cookies["django_language"] = "en"
    assert "Do not use a comma" in client.get("/jumlah/", {"budget": "50,000"}).content.decode()


def test_thousands_of_digits_are_refused_in_words() -> None:
    with pytest.raises(ValueError, match="terlalu besar"):
        parse_rupiah("9" * 5000)
