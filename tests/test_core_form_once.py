"""Exactly-once HTML forms: every form that creates something carries a one-time key;
sending it again with the same key (a retry after a timeout, a double click) leads to
what the first submission created and creates nothing more. Two submissions racing with
one key create one pledge (PostgreSQL, real threads). Keys expire."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from kolaborasi.accounts.models import ApiToken, Membership, Organisation, OrgKind, OrgSubtype, Role
from kolaborasi.audit.services import audit_verify
from kolaborasi.core.models import SubmissionKey
from kolaborasi.core.once import keys_expire
from kolaborasi.core.tasks import keys_expire_task
from kolaborasi.funds import plans
from kolaborasi.funds.models import AllocationPlan, Donation, PackageTemplate
from kolaborasi.pledges.models import Delivery, IdempotencyKey, Pledge
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Need
from tests.conftest import is_postgres
from tests.personas import login
from tests.pledges_support import image_bytes, make_pledge, ratna_need, small_world, today

KEY_FIELD = re.compile(r'<input type="hidden" name="submission_key" value="([^"]+)">')


def key_of(html: str, action: str = "") -> str:
    """The one-time key of the form posting to ``action`` (the first form if empty)."""
    start = html.index(f'action="{action}"') if action else 0
    found = KEY_FIELD.search(html, start)
    assert found, f"no one-time key in the form {action or '(first)'}"
    return found.group(1)


@dataclass
class Case:
    who: str
    page: Callable[[dict[str, Any]], str]  # the page showing the form
    post: Callable[[dict[str, Any]], str]  # where it posts
    action: Callable[[dict[str, Any]], str]  # its action attribute ("" for the page itself)
    data: Callable[[dict[str, Any]], dict[str, Any]]
    model: Any  # the model whose rows the form creates


def _pledge_data(ctx: dict[str, Any]) -> dict[str, Any]:
    return {
        "need": ctx["need"].pk,
        "quantity": 4,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        "contact_name": "Dina",
        "contact_phone": "0812000000",
        "statement": "on",
    }


def _delivery_data(ctx: dict[str, Any]) -> dict[str, Any]:
    photo = SimpleUploadedFile("bukti.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    return {"quantity": 2, "delivered_on": today().isoformat(), "evidence": photo}


CASES = {
    "pledge": Case(
        "dina",
        lambda c: f"/komitmen/baru/{c['need'].target_id}/",
        lambda c: f"/komitmen/baru/{c['need'].target_id}/",
        lambda c: "",
        _pledge_data,
        Pledge,
    ),
    "delivery": Case(
        "dina",
        lambda c: "/komitmen/",
        lambda c: f"/komitmen/{c['pledge'].pk}/salurkan/",
        lambda c: f"/komitmen/{c['pledge'].pk}/salurkan/",
        _delivery_data,
        Delivery,
    ),
    "donation": Case(
        "dina",
        lambda c: "/dana/donasi/baru/",
        lambda c: "/dana/donasi/baru/",
        lambda c: "",
        lambda c: {
            "aggregator": c["agus"].pk,
            "amount": "1000000",
            "donated_on": "2020-04-20",
            "channel": "transfer",
        },
        Donation,
    ),
    "package_template": Case(
        "agus",
        lambda c: "/dana/paket/",
        lambda c: "/dana/paket/",
        lambda c: "",
        lambda c: {
            "aid_type": c["sembako"].pk,
            "name": "Sembako A",
            "contents": "beras",
            "unit_cost": "250000",
        },
        PackageTemplate,
    ),
    "allocation_plan": Case(
        "agus",
        lambda c: "/dana/rencana/",
        lambda c: "/dana/rencana/",
        lambda c: "",
        lambda c: {
            "aid_type": c["sembako"].pk,
            "region": "31.74.05.1003",
            "quantity": "20",
            "min_drop": "1",
            "kinds": "both",
        },
        AllocationPlan,
    ),
    "allocation_plan_approval": Case(
        "agus",
        lambda c: f"/dana/rencana/{c['plan'].pk}/",
        lambda c: f"/dana/rencana/{c['plan'].pk}/setujui/",
        lambda c: f"/dana/rencana/{c['plan'].pk}/setujui/",
        lambda c: {},
        Pledge,
    ),
    "replan": Case(
        "agus",
        lambda c: f"/dana/rencana/{c['plan'].pk}/",
        lambda c: f"/dana/rencana/{c['plan'].pk}/ulang/",
        lambda c: f"/dana/rencana/{c['plan'].pk}/ulang/",
        lambda c: {},
        AllocationPlan,
    ),
    "organisation": Case(
        "dina",
        lambda c: "/akun/organisasi/baru/",
        lambda c: "/akun/organisasi/baru/",
        lambda c: "/akun/organisasi/baru/",
        lambda c: {"name": "Komunitas Peduli Cipulir", "kind": "donor", "subtype": "community"},
        Organisation,
    ),
    "api_token": Case(
        "dina",
        lambda c: f"/akun/organisasi/{c['dina'].pk}/pengaturan/",
        lambda c: f"/akun/organisasi/{c['dina'].pk}/token/",
        lambda c: f"/akun/organisasi/{c['dina'].pk}/token/",
        lambda c: {"name": "gudang"},
        ApiToken,
    ),
    "member": Case(
        "dina",
        lambda c: f"/akun/organisasi/{c['dina'].pk}/pengaturan/",
        lambda c: f"/akun/organisasi/{c['dina'].pk}/anggota/",
        lambda c: f"/akun/organisasi/{c['dina'].pk}/anggota/",
        lambda c: {"email": "luar@example.org", "role": "member"},
        Membership,
    ),
}


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
@pytest.mark.usefixtures("fast_hasher", "media")
@pytest.mark.parametrize("name", list(CASES))
def test_a_form_sent_twice_with_its_key_creates_once(personas, name: str) -> None:  # type: ignore[no-untyped-def]
    case = CASES[name]
    sembako = AidType.objects.get(slug="sembako")
    ctx: dict[str, Any] = {
        "need": ratna_need(),
        "agus": personas["agus"].organisation,
        "dina": personas["dina"].organisation,
        "sembako": sembako,
    }
    if name == "delivery":
        ctx["pledge"] = make_pledge(personas["dina"], quantity=10)
    if name in ("allocation_plan_approval", "replan"):
        ctx["plan"] = plans.plan_create(
            actor=None,
            aggregator=ctx["agus"],
            aid_type=sembako,
            region=Region.objects.get(code="31.74.05.1003"),
            quantity=10,
        )
    client = Client()
    login(client, personas[case.who].user)
    page = client.get(case.page(ctx))
    assert page.status_code == 200
    key = key_of(page.content.decode(), case.action(ctx))
    before = case.model.objects.count()

    first = client.post(case.post(ctx), case.data(ctx) | {"submission_key": key})
    assert first.status_code in (200, 302), first.content.decode()[:500]
    assert case.model.objects.count() > before, "the first submission created nothing"
    after_first = case.model.objects.count()
    recorded = SubmissionKey.objects.get(key=key)
    assert recorded.user_id == personas[case.who].user.pk and recorded.result_url

    again = client.post(case.post(ctx), case.data(ctx) | {"submission_key": key})
    assert again.status_code == 302
    assert again["Location"] == recorded.result_url
    assert case.model.objects.count() == after_first, "the resubmission created a second one"
    note = client.get(again["Location"]).content.decode()
    assert "Formulir ini sudah terkirim sebelumnya" in note

    # A fresh key (the form shown again) creates again where that makes sense.
    if name in ("pledge", "donation"):
        fresh = key_of(client.get(case.page(ctx)).content.decode(), case.action(ctx))
        assert fresh != key
        client.post(case.post(ctx), case.data(ctx) | {"submission_key": fresh})
        assert case.model.objects.count() == after_first + 1
    assert audit_verify().ok


@pytest.mark.django_db
@pytest.mark.usefixtures("fast_hasher")
def test_a_submission_that_created_nothing_gives_its_key_back(personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    client = Client()
    login(client, personas["dina"].user)
    key = key_of(client.get(f"/komitmen/baru/{need.target_id}/").content.decode())
    data = {
        "need": need.pk,
        "quantity": need.remaining + 1,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        "contact_name": "Dina",
        "contact_phone": "0812000000",
        "statement": "on",
    }
    too_many = client.post(f"/komitmen/baru/{need.target_id}/", data | {"submission_key": key})
    assert too_many.status_code == 200 and not Pledge.objects.exists()
    assert not SubmissionKey.objects.filter(key=key).exists()
    # Corrected and sent again with the same key: it goes through, once.
    fixed = client.post(f"/komitmen/baru/{need.target_id}/", data | {"quantity": 3, "submission_key": key})
    assert fixed.status_code == 302
    assert Pledge.objects.get().quantity == 3
    assert Need.objects.get(pk=need.pk).held == need.held + 3


@pytest.mark.django_db
@pytest.mark.usefixtures("fast_hasher")
def test_keys_are_per_person_and_must_look_like_keys(personas) -> None:  # type: ignore[no-untyped-def]
    need = ratna_need()
    data = {
        "need": need.pk,
        "quantity": 2,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        "contact_name": "Dina",
        "contact_phone": "0812000000",
        "statement": "on",
    }
    url = f"/komitmen/baru/{need.target_id}/"
    dina = Client()
    login(dina, personas["dina"].user)
    key = key_of(dina.get(url).content.decode())
    assert dina.post(url, data | {"submission_key": key}).status_code == 302
    agus = Client()
    login(agus, personas["agus"].user)
    # Another person's key is not theirs to replay: it is a new submission of their own.
    assert agus.post(url, data | {"submission_key": key}).status_code == 302
    assert sorted(Pledge.objects.values_list("organisation__name", flat=True)) == [
        "PT Dina Logistik",
        "Yayasan Agus Peduli",
    ]
    bad = dina.post(url, data | {"submission_key": "<script>"})
    assert bad.status_code == 400
    assert "kunci pengiriman yang tidak sah" in bad.content.decode()
    assert Pledge.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("fast_hasher")
def test_old_keys_and_idempotency_records_expire(personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    user = personas["dina"].user
    org = personas["dina"].organisation
    now = timezone.now()
    old = SubmissionKey.objects.create(
        user=user, key="o" * 24, path="/", created_at=now - dt.timedelta(hours=25)
    )
    fresh = SubmissionKey.objects.create(
        user=user, key="f" * 24, path="/", created_at=now - dt.timedelta(hours=23)
    )
    api_old = IdempotencyKey.objects.create(
        organisation=org, key="a", request_hash="h", status_code=201, response={}
    )
    IdempotencyKey.objects.filter(pk=api_old.pk).update(created_at=now - dt.timedelta(hours=25))
    api_fresh = IdempotencyKey.objects.create(
        organisation=org, key="b", request_hash="h", status_code=201, response={}
    )
    assert keys_expire(now=now) == 2
    assert set(SubmissionKey.objects.values_list("pk", flat=True)) == {fresh.pk}
    assert set(IdempotencyKey.objects.values_list("pk", flat=True)) == {api_fresh.pk}
    assert not SubmissionKey.objects.filter(pk=old.pk).exists()
    # The worker's job runs the same sweep.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    SubmissionKey.objects.filter(pk=fresh.pk).update(created_at=now - dt.timedelta(hours=30))
    assert keys_expire_task.using(backend="default").enqueue().return_value == {"removed": 1}
    assert not SubmissionKey.objects.exists()


def _race(
    url: str, data: dict[str, Any], clients: list[Client]
) -> tuple[list[tuple[int, str]], list[BaseException]]:
    """Every client posts ``data`` to ``url`` at the same moment, each in its own thread
    (and so on its own database connection)."""
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def submit(c: Client) -> None:
        try:
            barrier.wait()
            r = c.post(url, data)
            answers.append((r.status_code, r.get("Location", "")))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, errors


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_racing_submissions_with_one_key_create_one_pledge(settings) -> None:  # type: ignore[no-untyped-def]
    if not is_postgres():
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database has one shared connection")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    need = small_world(100)
    org = Organisation.objects.create(name="Donatur Balapan", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY)
    user = get_user_model().objects.create_user("balapan", "balapan@example.org", "x")
    Membership.objects.create(user=user, organisation=org, role=Role.OWNER)
    url = f"/komitmen/baru/{need.target_id}/"
    data = {
        "need": need.pk,
        "quantity": 7,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        "contact_name": "Dina",
        "contact_phone": "0812000000",
        "statement": "on",
    }
    for _round in range(5):
        opener = Client()
        login(opener, user)
        key = key_of(opener.get(url).content.decode())
        clients = []
        for _ in range(4):
            c = Client()
            login(c, user)
            clients.append(c)
        answers, errors = _race(url, data | {"submission_key": key}, clients)
        assert not errors, errors
        assert answers == [(302, "/komitmen/")] * len(clients)
        assert SubmissionKey.objects.filter(key=key).count() == 1
    assert Pledge.objects.filter(organisation=org).count() == 5
    assert Need.objects.get(pk=need.pk).held == 5 * 7
