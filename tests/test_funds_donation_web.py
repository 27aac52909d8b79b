"""The donation form (donor) and the confirm/reject buttons (aggregator) in the web UI."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.accounts.models import OrgKind
from kolaborasi.funds.models import Donation, DonationStatus
from kolaborasi.funds.selectors import aggregator_funds
from tests.personas import login, make_org

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def _login(personas, who: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas[who])
    return client


def test_donor_records_and_aggregator_confirms(personas) -> None:  # type: ignore[no-untyped-def]
    agus = personas["agus"].organisation
    dina = _login(personas, "dina")
    form = {
        "aggregator": agus.pk,
        "amount": "545000000",
        "donated_on": "2020-04-20",
        "channel": "transfer",
        "reference": "BCA-1",
        "public": "on",
    }
    resp = dina.post("/dana/donasi/baru/", form)
    assert resp.status_code == 302
    donation = Donation.objects.get()
    assert (donation.amount, donation.public, donation.status) == (545_000_000, True, DonationStatus.PENDING)
    assert "Rp545.000.000" in dina.get("/dana/donasi/").content.decode()

    agus_web = _login(personas, "agus")
    page = agus_web.get("/dana/donasi/").content.decode()
    assert f"/dana/donasi/{donation.pk}/konfirmasi/" in page
    assert agus_web.post(f"/dana/donasi/{donation.pk}/konfirmasi/").status_code == 302
    donation.refresh_from_db()
    assert donation.status == DonationStatus.CONFIRMED
    assert aggregator_funds(agus)["balance"] == 545_000_000


def test_form_errors_change_nothing(personas) -> None:  # type: ignore[no-untyped-def]
    shady = make_org("Yayasan Belum Diverifikasi", OrgKind.AGGREGATOR, verified=False)
    agus = personas["agus"].organisation
    dina = _login(personas, "dina")
    base = {"aggregator": agus.pk, "amount": "1000", "donated_on": "2020-04-20", "channel": "transfer"}
    for change in (
        {"amount": "0"},
        {"amount": "12.5"},
        {"amount": "100000000001"},
        {"donated_on": "2999-01-01"},
        {"aggregator": shady.pk},
    ):
        resp = dina.post("/dana/donasi/baru/", base | change)
        assert resp.status_code == 200  # the form again, with the error
        assert resp.context["form"].errors
    assert not Donation.objects.exists()


def test_aggregator_rejects_with_reason(personas) -> None:  # type: ignore[no-untyped-def]
    agus = personas["agus"].organisation
    _login(personas, "dina").post(
        "/dana/donasi/baru/",
        {"aggregator": agus.pk, "amount": "5000", "donated_on": "2020-04-20", "channel": "cash"},
    )
    donation = Donation.objects.get()
    resp = _login(personas, "agus").post(
        f"/dana/donasi/{donation.pk}/tolak/", {"reason": "belum masuk rekening", "yakin": "1"}
    )
    assert resp.status_code == 302
    donation.refresh_from_db()
    assert (donation.status, donation.reject_reason) == (DonationStatus.REJECTED, "belum masuk rekening")
    assert aggregator_funds(agus)["balance"] == 0
