"""The delivery form (POST /komitmen/<id>/salurkan/) with an evidence photo: the photo
is checked, decoded and re-encoded — and waits for its image slot — before the write
transaction opens (on SQLite an open write transaction holds the database's only write
lock), while the submission stays exactly-once: the key is recorded with the delivery,
a resend creates nothing, and two racing submissions with one key create one delivery."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from kolaborasi.accounts.models import Membership, Organisation, OrgKind, OrgSubtype, Role
from kolaborasi.core import heavy
from kolaborasi.core.models import SubmissionKey
from kolaborasi.core.once import new_key
from kolaborasi.pledges import services
from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.targets.models import Need
from tests.conftest import is_postgres
from tests.personas import login
from tests.pledges_support import image_bytes, small_world, today


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _world() -> tuple[Any, Pledge]:
    need = small_world(100)
    org = Organisation.objects.create(name="Donatur Foto", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY)
    user = get_user_model().objects.create_user("foto", "foto@example.org", "x")
    Membership.objects.create(user=user, organisation=org, role=Role.OWNER)
    pledge = services.pledge_create(
        actor=user, organisation=org, need=need, quantity=10, planned_delivery=today()
    )
    return user, pledge


def _data(key: str) -> dict[str, Any]:
    return {
        "quantity": 2,
        "delivered_on": today().isoformat(),
        "evidence": SimpleUploadedFile("bukti.jpg", image_bytes(), content_type="image/jpeg"),
        "submission_key": key,
    }


@pytest.mark.django_db(transaction=True)
def test_the_photo_is_processed_before_the_write_transaction(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user, pledge = _world()
    key = new_key()
    seen: list[tuple[bool, bool]] = []
    real_slot = heavy.slot

    @contextmanager
    def watched_slot(*args: Any, **kwargs: Any) -> Iterator[None]:
        # While the photo holds (or waits for) its slot: no transaction may be open on
        # this request's connection, and the submission's key is not claimed yet.
        seen.append((connection.in_atomic_block, SubmissionKey.objects.filter(key=key).exists()))
        with real_slot(*args, **kwargs):
            yield

    monkeypatch.setattr(heavy, "slot", watched_slot)
    client = Client()
    login(client, user)
    url = f"/komitmen/{pledge.pk}/salurkan/"

    r = client.post(url, _data(key))
    assert r.status_code == 302 and r["Location"] == "/komitmen/"
    assert seen == [(False, False)]
    delivery = Delivery.objects.get(pledge=pledge)
    assert delivery.quantity == 2 and delivery.evidence.name
    # The key was recorded with the delivery: a resend (the browser retrying) is led to
    # what the first one created and records nothing more.
    assert SubmissionKey.objects.get(key=key).result_url == "/komitmen/"
    r = client.post(url, _data(key))
    assert r.status_code == 302 and r["Location"] == "/komitmen/"
    assert Delivery.objects.filter(pledge=pledge).count() == 1
    pledge.refresh_from_db()
    assert pledge.delivered == 2
    assert Need.objects.get(pk=pledge.need_id).delivered == 2


@pytest.mark.django_db(transaction=True)
def test_a_rejected_photo_gives_the_key_back(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user, pledge = _world()
    key = new_key()
    client = Client()
    login(client, user)
    url = f"/komitmen/{pledge.pk}/salurkan/"
    bad = _data(key) | {"evidence": SimpleUploadedFile("bukti.jpg", b"bukan foto", content_type="image/jpeg")}
    r = client.post(url, bad)
    assert r.status_code == 422
    assert not Delivery.objects.exists() and not SubmissionKey.objects.exists()
    # Corrected and sent again with the same key, it is recorded.
    r = client.post(url, _data(key))
    assert r.status_code == 302
    assert Delivery.objects.filter(pledge=pledge).count() == 1


def _race(url: str, key: str, clients: list[Client]) -> tuple[list[tuple[int, str]], list[BaseException]]:
    """Every client sends the form with ``key`` at the same moment, each in its own
    thread (and so on its own database connection)."""
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def submit(c: Client) -> None:
        try:
            barrier.wait()
            r = c.post(url, _data(key))
            answers.append((r.status_code, r.get("Location", "")))
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, errors


@pytest.mark.django_db(transaction=True)
def test_two_racing_submissions_with_one_key_record_one_delivery() -> None:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database has one shared connection")
    user, pledge = _world()
    url = f"/komitmen/{pledge.pk}/salurkan/"
    for _round in range(3):
        key = new_key()
        clients = []
        for _ in range(4):
            c = Client()
            login(c, user)
            clients.append(c)
        answers, errors = _race(url, key, clients)
        assert not errors, errors
        assert answers == [(302, "/komitmen/")] * len(clients)
        assert SubmissionKey.objects.filter(key=key).count() == 1
    assert Delivery.objects.filter(pledge=pledge).count() == 3
    pledge.refresh_from_db()
    assert pledge.delivered == 3 * 2


@pytest.mark.django_db
def test_a_refused_delivery_keeps_what_was_typed_and_asks_for_the_photo_again(client) -> None:  # type: ignore[no-untyped-def]
    """A validation error used to clear the quantity and the photo (the page redirected).
    Now the form comes back with the quantity and date typed, the reason beside the field,
    and a note that the photo must be attached again."""
    user, pledge = _world()
    login(client, user)
    page = client.get(f"/komitmen/{pledge.pk}/salurkan/")
    assert page.status_code == 200 and 'name="quantity"' in page.content.decode()
    refused = client.post(
        f"/komitmen/{pledge.pk}/salurkan/",
        {
            "quantity": "12",  # more than the 10 pledged
            "delivered_on": today().isoformat(),
            "evidence": SimpleUploadedFile("bukti.jpg", image_bytes(), content_type="image/jpeg"),
        },
    )
    assert refused.status_code in (409, 422)
    body = refused.content.decode()
    assert 'value="12"' in body and f'value="{today().isoformat()}"' in body
    assert "lampirkan lagi" in body
    assert Delivery.objects.filter(pledge=pledge).count() == 0
