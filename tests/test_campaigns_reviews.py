"""A closed campaign's deliveries are frozen: the coordinator's confirmation (all or
fewer) and dispute, and the donor's answer to a dispute, are refused with a clear
message — 409 in the API, the page again with the reason — and change nothing. The
pages no longer offer deliver, confirm or cancel on a closed campaign's pledges; they
say "Program ditutup" instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.pledges import confirmation
from kolaborasi.pledges.models import Delivery, DisputeAnswer, Pledge
from kolaborasi.targets.models import Need
from tests.personas import api_post, login, token_for
from tests.pledges_support import make_pledge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def _state(pledge: Pledge) -> tuple[Any, ...]:
    return (
        list(Pledge.objects.filter(pk=pledge.pk).values()),
        list(Delivery.objects.filter(pledge=pledge).order_by("pk").values()),
        list(Need.objects.filter(pk=pledge.need_id).values()),
        DisputeAnswer.objects.count(),
        AuditEvent.objects.count(),
    )


def _delivered_then_closed(personas: Any, *, disputed: bool = False) -> tuple[Pledge, Delivery]:
    """Dina's pledge of 6 with 4 delivered, awaiting ratna's review (optionally disputed),
    and then its campaign closed."""
    pledge = make_pledge(personas["dina"], quantity=6, delivered=4)
    if disputed:
        ratna = personas["ratna"]
        confirmation.pledge_dispute(
            actor=ratna.user, organisation=ratna.organisation, pledge=pledge, reason="Kurang dua paket"
        )
    campaign_close(actor=None, campaign=pledge.need.campaign)
    return pledge, Delivery.objects.get(pledge=pledge)


def test_the_api_refuses_reviews_and_answers_after_the_close(client, personas) -> None:  # type: ignore[no-untyped-def]
    pledge, delivery = _delivered_then_closed(personas, disputed=True)
    slug = pledge.need.campaign.slug
    before = _state(pledge)
    ratna, dina = token_for(personas["ratna"]), token_for(personas["dina"])
    for body in (
        None,
        {"quantity": 2, "note": "Dua paket belum sampai"},
        {"delivery": delivery.pk},
    ):
        r = api_post(client, f"/api/v1/pledges/{pledge.pk}/confirm", ratna, body)
        assert r.status_code == 409, r.content
        assert "ditutup" in r.json()["detail"] and "dikonfirmasi" in r.json()["detail"]
        assert r.json()["campaign"] == slug
    r = api_post(client, f"/api/v1/pledges/{pledge.pk}/dispute", ratna, {"reason": "Tidak sesuai"})
    assert r.status_code == 409 and r.json()["campaign"] == slug, r.content
    r = api_post(
        client,
        f"/api/v1/pledges/{pledge.pk}/deliveries/{delivery.pk}/answer",
        dina,
        {"note": "Sudah lengkap"},
    )
    assert r.status_code == 409 and "dijawab" in r.json()["detail"], r.content
    # Nor may the donor move the delivery date of a pledge nobody can deliver on any more.
    later = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    r = api_post(client, f"/api/v1/pledges/{pledge.pk}/extend", dina, {"planned_delivery": later})
    assert r.status_code == 409 and "diperpanjang" in r.json()["detail"], r.content
    assert r.json()["campaign"] == slug
    assert _state(pledge) == before

    client.cookies["django_language"] = "en"
    english = api_post(client, f"/api/v1/pledges/{pledge.pk}/confirm", ratna).json()["detail"]
    assert "frozen" in english and "confirmed" in english and "ditutup" not in english

    # Access still comes first: the donor may not review, closed or not.
    assert api_post(client, f"/api/v1/pledges/{pledge.pk}/confirm", dina).status_code == 403


def test_an_open_campaigns_review_still_works(client, personas) -> None:  # type: ignore[no-untyped-def]
    """The same review before the close goes through, so the refusals above are the close's."""
    pledge = make_pledge(personas["dina"], quantity=6, delivered=4)
    r = api_post(
        client,
        f"/api/v1/pledges/{pledge.pk}/confirm",
        token_for(personas["ratna"]),
        {"quantity": 3, "note": "x"},
    )
    assert r.status_code == 200 and r.json()["confirmed"] == 3, r.content


def test_the_review_pages_refuse_and_say_why(client, personas) -> None:  # type: ignore[no-untyped-def]
    pledge, delivery = _delivered_then_closed(personas)
    before = _state(pledge)
    login(client, personas["ratna"])

    page = client.get(f"/komitmen/penyaluran/{delivery.pk}/").content.decode()
    assert "Program ditutup" in page
    assert 'id="confirm-form"' not in page and 'id="dispute-form"' not in page

    r = client.post(f"/komitmen/penyaluran/{delivery.pk}/konfirmasi/", {"quantity": "2", "note": "Dua"})
    assert r.status_code == 409
    assert "sudah ditutup dan angkanya dibekukan" in r.content.decode()
    r = client.post(f"/komitmen/penyaluran/{delivery.pk}/persoalkan/", {"reason": "Tidak sesuai"})
    assert r.status_code == 409 and "dibekukan" in r.content.decode()

    inbox = client.get("/komitmen/konfirmasi/").content.decode()
    assert f'id="komitmen-{pledge.pk}"' in inbox and "Program ditutup" in inbox
    assert f'action="/komitmen/{pledge.pk}/konfirmasi/"' not in inbox
    r = client.post(f"/komitmen/{pledge.pk}/konfirmasi/", {"next": "/komitmen/konfirmasi/"}, follow=True)
    assert "dibekukan" in r.content.decode()
    assert _state(pledge) == before


def test_the_donor_pages_hide_deliver_and_cancel(client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    open_pledge = make_pledge(dina, quantity=5)
    login(client, dina)
    mine = client.get("/komitmen/").content.decode()
    assert f'action="/komitmen/{open_pledge.pk}/batal/"' in mine
    assert f'action="/komitmen/{open_pledge.pk}/salurkan/"' in mine
    assert "Program ditutup" not in mine

    pledge, delivery = _delivered_then_closed(personas, disputed=True)
    before = _state(pledge)
    mine = client.get("/komitmen/").content.decode()
    for verb in ("batal", "salurkan", "perpanjang"):
        assert f'action="/komitmen/{pledge.pk}/{verb}/"' not in mine
    assert "Program ditutup" in mine

    # A page opened before the close still posts: refused, with the reason.
    r = client.post(f"/komitmen/{pledge.pk}/batal/", {"next": "/komitmen/", "yakin": "1"}, follow=True)
    assert "dibekukan" in r.content.decode()
    later = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    r = client.post(f"/komitmen/{pledge.pk}/perpanjang/", {"planned_delivery": later}, follow=True)
    assert "diperpanjang" in r.content.decode()
    r = client.post(f"/komitmen/penyaluran/{delivery.pk}/jawab/", {"note": "Sudah lengkap"})
    assert r.status_code == 409 and "Program ditutup" in r.content.decode()
    assert 'id="answer-form"' not in r.content.decode()
    assert _state(pledge) == before


def test_the_operators_list_hides_cancel(client, personas) -> None:  # type: ignore[no-untyped-def]
    pledge, _delivery = _delivered_then_closed(personas)
    login(client, personas["oki"])
    page = client.get("/komitmen/semua/").content.decode()
    assert f'action="/komitmen/{pledge.pk}/batal/"' not in page and "Program ditutup" in page
