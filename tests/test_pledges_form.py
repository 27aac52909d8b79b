"""The pledge form through HTTP: the remaining need written the Indonesian way, what an
over-asked quantity says, the alternatives it offers (never the target that refused),
the default planned date, the statement checkbox inside its label, and the state the
new pledge is in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from kolaborasi.pledges.holds import default_planned_delivery
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import Need, Target
from tests.personas import login
from tests.pledges_support import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]

CIPULIR = "31.74.05.1003"


def _set(target: Target, quantity: int, held: int = 0) -> Need:
    Need.objects.filter(target=target, aid_type__slug="sembako").update(quantity=quantity, held=held)
    return Need.objects.get(target=target, aid_type__slug="sembako")


def _cipulir() -> list[Target]:
    targets = list(Target.objects.filter(village_id=CIPULIR).order_by("id"))
    assert len(targets) >= 4
    return targets


def _body(need: Need, quantity: int) -> dict[str, object]:
    return {
        "need": need.pk,
        "quantity": quantity,
        "planned_delivery": (today() + dt.timedelta(days=3)).isoformat(),
        "statement": "on",
    }


def _alternative_ids(html: str) -> list[int]:
    box = re.search(r'<ul class="suggestions" id="alternatives">(.*?)</ul>', html, re.S)
    assert box, "no alternatives offered"
    return [int(i) for i in re.findall(r'href="/komitmen/baru/(\d+)/"', box.group(1))]


def test_form_shows_remaining_formatted_default_date_and_statement_in_label(
    client: Client, personas: dict
) -> None:
    target = _cipulir()[0]
    need = _set(target, 1200)
    login(client, personas["dina"])
    html = client.get(f"/komitmen/baru/{target.pk}/").content.decode()
    assert "sisa kebutuhan 1.200 paket" in html
    assert "1200" not in html  # no unformatted figure anywhere on the page
    # A week ahead, inside the planning horizon.
    default = default_planned_delivery()
    assert default == today() + dt.timedelta(days=7)
    assert re.search(rf'name="planned_delivery"[^>]*value="{default.isoformat()}"', html)
    # The box is inside its label, beside its text: the whole label is the target.
    assert re.search(
        r'<label class="check" for="id_statement"><input type="checkbox" name="statement"[^>]*>'
        r"<span>Saya menyatakan berkomitmen",
        html,
    )
    assert Need.objects.get(pk=need.pk).held == 0


def test_default_date_within_a_short_horizon(client: Client, personas: dict, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PLEDGE_HORIZON_DAYS = 3
    target = _cipulir()[0]
    login(client, personas["dina"])
    html = client.get(f"/komitmen/baru/{target.pk}/").content.decode()
    expected = (today() + dt.timedelta(days=3)).isoformat()
    assert re.search(rf'name="planned_delivery"[^>]*value="{expected}"', html)


def test_over_asking_states_the_remaining_need_and_offers_other_targets(
    client: Client, personas: dict
) -> None:
    a, b, c, d, *rest = _cipulir()
    refused = _set(a, 1200)  # the list's first in Cipulir: nothing held, the largest need
    _set(b, 900)
    _set(c, 700)
    _set(d, 500)
    for t in rest:
        _set(t, 50)
    login(client, personas["dina"])
    r = client.post(f"/komitmen/baru/{a.pk}/", _body(refused, 1500))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Jumlah yang Anda masukkan, 1.500 paket, melebihi sisa kebutuhan." in html
    assert "Sisa kebutuhan saat ini 1.200 paket." in html
    assert "tidak lagi muat" not in html  # it never fitted
    assert "Paling banyak 1.200 paket untuk sasaran ini saat ini." in html
    # Alternatives: a group of Cipulir's other RWs (no single one takes 1,500), never
    # the target that just refused — before the fix it was listed first.
    offered = _alternative_ids(html)
    assert offered and a.pk not in offered
    assert offered == [b.pk, c.pk]  # the rest of the village by priority, up to 1,500
    assert not Pledge.objects.exists()
    assert Need.objects.get(pk=refused.pk).held == 0


def test_alternatives_to_a_small_target_are_single_targets_elsewhere(client: Client, personas: dict) -> None:
    a, b, c, *rest = _cipulir()
    small = _set(a, 30)
    _set(b, 400, 100)
    _set(c, 400)
    for t in rest:
        _set(t, 10)
    login(client, personas["dina"])
    html = client.post(f"/komitmen/baru/{a.pk}/", _body(small, 40)).content.decode()
    assert "Sisa kebutuhan saat ini 30 paket." in html
    offered = _alternative_ids(html)
    assert a.pk not in offered
    assert offered[:2] == [c.pk, b.pk]  # both can take 40; c is less covered


def test_a_fully_covered_need_says_so(client: Client, personas: dict) -> None:
    target = _cipulir()[0]
    need = _set(target, 20, 20)
    login(client, personas["dina"])
    html = client.post(f"/komitmen/baru/{target.pk}/", _body(need, 5)).content.decode()
    assert "sudah tercukupi oleh komitmen yang ada" in html
    assert "tidak lagi muat" not in html
    assert not Pledge.objects.exists()


def test_a_new_pledge_says_it_is_not_yet_delivered(client: Client, personas: dict) -> None:
    target = _cipulir()[0]
    need = _set(target, 1200)
    login(client, personas["dina"])
    r = client.post(f"/komitmen/baru/{target.pk}/", _body(need, 1100), follow=True)
    pledge = Pledge.objects.get()
    html = r.content.decode()
    assert f"Komitmen #{pledge.pk} tercatat: 1.100 paket" in html
    assert "belum disalurkan" in html
    assert Need.objects.get(pk=need.pk).held == 1100


def test_english_page_formats_and_translates(client: Client, personas: dict) -> None:
    target = _cipulir()[0]
    need = _set(target, 1200)
    login(client, personas["dina"])
    client.cookies["django_language"] = "en"
    html = client.post(f"/komitmen/baru/{target.pk}/", _body(need, 1500)).content.decode()
    assert "exceeds the remaining need" in html
    assert "Jumlah yang Anda masukkan" not in html
