"""Donations earmarked for a campaign: a donor names an open campaign (in the API's
optional `campaign`, on the form's "Program" select) or leaves the donation general. An
unknown, draft or closed campaign is refused with its reason (422) and nothing is
written. The earmark shows on both sides' donation lists, in the funds export and in
the audit snapshot; the ledger is as it always was."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.funds.models import Donation
from kolaborasi.funds.selectors import aggregator_funds, ledger_verify
from tests.campaigns_support import draft_campaign, second_campaign
from tests.personas import api_post, login, token_for
from tests.pledges_support import open_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def _body(agg_id: int, **kw: object) -> dict[str, object]:
    return {"aggregator": agg_id, "amount": 5_000_000, "donated_on": "2026-11-01", **kw}


def _written() -> tuple[int, int]:
    return Donation.objects.count(), AuditEvent.objects.count()


def _created_event(donation_id: int) -> Any:
    return AuditEvent.objects.get(action="donation.created", object_id=str(donation_id))


def test_the_api_earmarks_for_an_open_campaign_or_leaves_it_general(personas) -> None:  # type: ignore[no-untyped-def]
    demo, flood = open_campaign(), second_campaign()
    dina, agus = token_for(personas["dina"]), token_for(personas["agus"])
    agg = personas["agus"].organisation.pk

    r = api_post(Client(), "/api/v1/donations", dina, _body(agg, campaign=flood.slug))
    assert r.status_code == 201, r.content
    assert r.json()["campaign"] == flood.slug
    earmarked = Donation.objects.get(pk=r.json()["id"])
    assert earmarked.campaign_id == flood.pk
    assert _created_event(earmarked.pk).after["campaign"] == flood.slug

    r = api_post(Client(), "/api/v1/donations", dina, _body(agg))
    assert r.status_code == 201 and r.json()["campaign"] is None, r.content
    general = Donation.objects.get(pk=r.json()["id"])
    assert general.campaign_id is None and "campaign" not in _created_event(general.pk).after
    assert api_post(Client(), "/api/v1/donations", dina, _body(agg, campaign=None)).json()["campaign"] is None

    # Confirming keeps the earmark (in the answer and the audit) and the ledger balanced.
    r = api_post(Client(), f"/api/v1/donations/{earmarked.pk}/confirm", agus)
    assert r.status_code == 200 and r.json()["campaign"] == flood.slug, r.content
    confirmed = AuditEvent.objects.get(action="donation.confirmed", object_id=str(earmarked.pk))
    assert confirmed.before is not None and confirmed.after is not None
    assert confirmed.before["campaign"] == confirmed.after["campaign"] == flood.slug
    assert ledger_verify() == []
    assert aggregator_funds(personas["agus"].organisation)["balance"] == 5_000_000
    assert demo.pk != flood.pk


@pytest.mark.parametrize(
    ("which", "words"),
    [
        ("closed", "sudah ditutup"),
        ("draft", "belum dibuka"),
        ("unknown", "tidak ada"),
    ],
)
def test_the_api_refuses_a_campaign_that_is_not_open(personas, which: str, words: str) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    second_campaign()
    if which == "closed":
        campaign_close(actor=None, campaign=demo)
        slug = demo.slug
    elif which == "draft":
        slug = draft_campaign().slug
    else:
        slug = "program-tidak-ada"
    before = _written()
    dina = token_for(personas["dina"])
    r = api_post(Client(), "/api/v1/donations", dina, _body(personas["agus"].organisation.pk, campaign=slug))
    assert r.status_code == 422, r.content
    assert r.json()["detail"].startswith("campaign:") and words in r.json()["detail"]
    assert _written() == before


def test_a_malformed_slug_is_422(personas) -> None:  # type: ignore[no-untyped-def]
    before = _written()
    r = api_post(
        Client(),
        "/api/v1/donations",
        token_for(personas["dina"]),
        _body(personas["agus"].organisation.pk, campaign="Bukan Slug!"),
    )
    assert r.status_code == 422 and _written() == before


def test_the_form_offers_open_campaigns_and_general_by_default(personas) -> None:  # type: ignore[no-untyped-def]
    demo, flood = open_campaign(), second_campaign()
    draft = draft_campaign()
    closed = second_campaign(name="Banjir Lama")
    campaign_close(actor=None, campaign=closed)
    dina = Client()
    login(dina, personas["dina"])
    page = dina.get("/dana/donasi/baru/").content.decode()
    assert '<select name="campaign"' in page
    assert '<option value="" selected>Umum (tanpa program)</option>' in page
    assert f'value="{demo.slug}"' in page and f'value="{flood.slug}"' in page
    assert f'value="{closed.slug}"' not in page and f'value="{draft.slug}"' not in page

    agus = personas["agus"].organisation
    form = {"aggregator": agus.pk, "amount": "750000", "donated_on": "2026-11-01", "channel": "transfer"}
    assert dina.post("/dana/donasi/baru/", {**form, "campaign": flood.slug}).status_code == 302
    assert dina.post("/dana/donasi/baru/", form).status_code == 302
    assert list(Donation.objects.order_by("pk").values_list("campaign_id", flat=True)) == [flood.pk, None]

    # A campaign closed after the page was opened: the page again, with the reason.
    before = _written()
    r = dina.post("/dana/donasi/baru/", {**form, "campaign": closed.slug})
    assert r.status_code == 200 and "sudah ditutup" in r.content.decode()
    assert _written() == before

    # Both sides see the earmark on their lists.
    given = dina.get("/dana/donasi/").content.decode()
    assert f'data-campaign="{flood.slug}">{flood.name}</span>' in given
    assert '<span class="earmark general">Umum</span>' in given
    agus_web = Client()
    login(agus_web, personas["agus"])
    received = agus_web.get("/dana/donasi/").content.decode()
    assert f'data-campaign="{flood.slug}">{flood.name}</span>' in received
    assert '<span class="earmark general">Umum</span>' in received


def test_the_funds_export_names_the_earmark(client, personas) -> None:  # type: ignore[no-untyped-def]
    flood = second_campaign()
    dina = token_for(personas["dina"])
    agg = personas["agus"].organisation.pk
    earmarked = api_post(Client(), "/api/v1/donations", dina, _body(agg, campaign=flood.slug)).json()["id"]
    general = api_post(Client(), "/api/v1/donations", dina, _body(agg)).json()["id"]
    response = client.get("/api/v1/exports/funds.csv")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))[1:]  # row 2: HXL tags
    by_id = {int(r["donation_id"]): r["campaign"] for r in rows}
    assert by_id[earmarked] == flood.slug and by_id[general] == ""
