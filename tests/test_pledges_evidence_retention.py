"""Delivery photos are kept for EVIDENCE_RETENTION_DAYS after the delivery date, then the
worker's task removes them (pledges.retention): the files and their small copies go,
the delivery and its review stay, the page says when and why, and each removal is one
audit event in a chain that still verifies. A delivery under an open dispute keeps its
photos until the dispute is settled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_verify
from kolaborasi.pledges import confirmation, services
from kolaborasi.pledges.models import Delivery, DisputeAnswer
from kolaborasi.pledges.tasks import evidence_expire_task
from tests.personas import login
from tests.pledges_support import image_bytes, make_pledge, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVIDENCE_RETENTION_DAYS = 365
    return Path(settings.MEDIA_ROOT)


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("bukti.jpg", image_bytes("JPEG", size=(800, 600)), content_type="image/jpeg")


def deliver(persona: Any, pledge: Any, quantity: int) -> Delivery:
    return services.delivery_record(
        actor=persona.user,
        organisation=persona.organisation,
        pledge=pledge,
        quantity=quantity,
        delivered_on=today(),
        evidence=photo(),
    )


def sweep(days_later: int) -> dict[str, int]:
    """The worker's task, run as on a day ``days_later`` after today."""
    return evidence_expire_task.call(today=(today() + dt.timedelta(days=days_later)).isoformat())


def files(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def test_photos_go_after_their_retention_and_the_delivery_stays(
    client: Client, personas: dict[str, Any], media: Path
) -> None:
    dina, ratna = personas["dina"], personas["ratna"]
    pledge = make_pledge(dina, quantity=6)
    kept_for_now = deliver(dina, pledge, 2)
    confirmation.pledge_confirm(
        actor=ratna.user, organisation=ratna.organisation, pledge=pledge, delivery=kept_for_now
    )
    names = {str(kept_for_now.evidence.name), str(kept_for_now.evidence_thumb.name)}
    assert names <= files(media)
    # Recorded without a photo: the sweep leaves it as it is.
    without = services.delivery_record(
        actor=dina.user, organisation=dina.organisation, pledge=pledge, quantity=1, delivered_on=today()
    )
    events = AuditEvent.objects.count()

    # Within the retention: nothing changes.
    assert sweep(365) == {"deliveries": 0, "files": 0}
    assert names <= files(media)
    assert AuditEvent.objects.count() == events

    # One day past it: the photo and its small copy are gone, the delivery is not.
    assert sweep(366 + 1) == {"deliveries": 1, "files": 2}
    assert not names & files(media)
    delivery = Delivery.objects.get(pk=kept_for_now.pk)
    assert not delivery.evidence and not delivery.evidence_thumb
    assert delivery.evidence_removed_on == today() + dt.timedelta(days=367)
    assert (delivery.quantity, delivery.confirmed) == (2, 2)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "delivery.evidence_removed"
    assert isinstance(event.before, dict) and sorted(event.before["evidence"]) == sorted(names)
    assert audit_verify().ok
    # Swept once: a second run finds nothing more.
    assert sweep(400) == {"deliveries": 0, "files": 0}
    assert Delivery.objects.get(pk=without.pk).evidence_removed_on is None

    # The page says what happened instead of "no photo was attached".
    login(client, ratna)
    page = client.get(f"/komitmen/penyaluran/{delivery.pk}/").content.decode()
    assert "karena masa simpannya berakhir" in page
    assert "tidak melampirkan foto" not in page
    client.cookies["django_language"] = "en"
    english = client.get(f"/komitmen/penyaluran/{delivery.pk}/").content.decode()
    assert "at the end of their retention" in english


def test_an_open_dispute_keeps_its_photos_until_it_is_settled(personas: dict[str, Any], media: Path) -> None:
    dina, ratna = personas["dina"], personas["ratna"]
    pledge = make_pledge(dina, quantity=6)
    disputed = deliver(dina, pledge, 3)
    confirmation.pledge_dispute(
        actor=ratna.user,
        organisation=ratna.organisation,
        pledge=pledge,
        delivery=disputed,
        reason="Baru dua paket yang sampai",
    )
    # The donor answers with a photo only.
    answer = confirmation.dispute_answer(
        actor=dina.user, organisation=dina.organisation, delivery=disputed, evidence=photo()
    )
    names = {disputed.evidence.name, disputed.evidence_thumb.name, answer.evidence.name}
    assert names <= files(media)

    assert sweep(800) == {"deliveries": 0, "files": 0}
    assert names <= files(media)

    confirmation.pledge_confirm(
        actor=ratna.user,
        organisation=ratna.organisation,
        pledge=pledge,
        delivery=disputed,
        quantity=2,
        note="Dua paket diterima",
    )
    report = sweep(800)
    assert report["deliveries"] == 1 and report["files"] >= 3
    assert not names & files(media)
    kept = DisputeAnswer.objects.get(pk=answer.pk)
    assert kept.evidence_removed and not kept.evidence  # the photo-only answer's row stays
    assert audit_verify().ok
