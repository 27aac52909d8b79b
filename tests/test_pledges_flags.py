"""The operators' overview flags what a hostile account looks like: an organisation
holding more than a set share of a kelurahan's need, or pledging at machine speed —
each with a link to the page where it can be suspended."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.pledges import services
from kolaborasi.targets.models import Need
from tests.personas import login
from tests.pledges_support import ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def _overview(personas) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas["oki"].user)
    r = client.get("/komitmen/semua/")
    assert r.status_code == 200
    return r.content.decode()


def _org(name: str) -> Organisation:
    return Organisation.objects.create(name=name, kind=OrgKind.DONOR, subtype="company", verified=True)


def test_an_organisation_holding_a_large_share_of_a_kelurahan_is_flagged(personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOLD_FLAG_AREA_SHARE = 1
    need = ratna_need()
    village_need = sum(
        Need.objects.filter(target__village_id=need.target.village_id, aid_type=need.aid_type).values_list(
            "quantity", flat=True
        )
    )
    over = village_need // 100 + 1  # just past 1 % of the kelurahan
    assert village_need >= 100 and over <= need.remaining
    big, small = _org("Penimbun Besar"), _org("Donatur Wajar")
    services.pledge_create(actor=None, organisation=big, need=need, quantity=over, planned_delivery=today())
    services.pledge_create(actor=None, organisation=small, need=need, quantity=1, planned_delivery=today())
    page = _overview(personas)
    section = page.split('id="tanda-wilayah"')[1].split("</table>")[0]
    assert "Penimbun Besar" in section and f"/komitmen/organisasi/{big.pk}/" in section
    assert "Donatur Wajar" not in section


def test_machine_speed_pledging_is_flagged(personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOLD_FLAG_BURST_COUNT = 5
    settings.HOLD_FLAG_BURST_SECONDS = 60
    bot, person = _org("Skrip Cepat"), _org("Donatur Biasa")
    need = ratna_need()
    for _ in range(6):
        services.pledge_create(actor=None, organisation=bot, need=need, quantity=1, planned_delivery=today())
    for _ in range(5):
        services.pledge_create(
            actor=None, organisation=person, need=need, quantity=1, planned_delivery=today()
        )
    page = _overview(personas)
    section = page.split('id="tanda-kecepatan"')[1].split("</table>")[0]
    assert "Skrip Cepat" in section and f"/komitmen/organisasi/{bot.pk}/" in section
    assert "Donatur Biasa" not in section


def test_nothing_to_flag_says_so(personas) -> None:  # type: ignore[no-untyped-def]
    assert "Tidak ada organisasi yang perlu diperiksa." in _overview(personas)
