"""A Ketua RW's (or an institution head's) personal name is public only when their
consent is recorded (``Target.head_name_public``); otherwise the public reads the role,
"Ketua RW 001", on the target page, in the map's data and in the API — the one rule of
``targets.models.public_head``."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.targets.models import Target

pytestmark = pytest.mark.django_db


def _public_answers(client: Client, target: Target) -> list[str]:
    return [
        client.get(f"/sasaran/{target.pk}/").content.decode(),
        client.get(f"/peta/sasaran/{target.pk}.json").content.decode(),
        client.get(f"/peta/info/{target.region_id}.json").content.decode(),
        client.get(f"/api/v1/targets/{target.pk}").content.decode(),
        client.get(f"/peta/info/{target.village_id}.json").content.decode(),
    ]


def test_an_rw_heads_name_shows_only_with_consent(client: Client) -> None:
    rw = Target.objects.get(region_id="31.74.05.1003.001")
    Target.objects.filter(pk=rw.pk).update(head_name="Ibu Ratna Sari", head_name_public=False)
    answers = _public_answers(client, rw)
    for text in answers:
        assert "Ratna Sari" not in text
    assert "Ketua RW 001" in answers[0] and "Ketua RW 001" in answers[1]
    assert client.get(f"/peta/sasaran/{rw.pk}.json").json()["head_name"] == "Ketua RW 001"

    Target.objects.filter(pk=rw.pk).update(head_name_public=True)
    answers = _public_answers(client, rw)
    assert "Ibu Ratna Sari" in answers[0] and "Ibu Ratna Sari" in answers[1]
    assert client.get(f"/peta/sasaran/{rw.pk}.json").json()["head_name"] == "Ibu Ratna Sari"


def test_no_demo_head_is_public_by_default(client: Client) -> None:
    """The whole demo: not one of the 2,731 synthetic names is in the map data of a
    kelurahan's RWs, and new rows are private (the column's default)."""
    assert not Target.objects.filter(head_name_public=True).exists()
    village = "31.74.05.1003"
    heads = set(
        Target.objects.filter(village_id=village).exclude(head_name="").values_list("head_name", flat=True)
    )
    assert heads
    text = client.get(f"/peta/info/{village}.json").content.decode()
    assert not any(head in text for head in heads)


def test_an_institution_head_without_consent_is_left_out(client: Client) -> None:
    institution = Target.objects.exclude(kind="rw").first()
    assert institution is not None
    Target.objects.filter(pk=institution.pk).update(head_name="Pak Direktur Panti", head_name_public=False)
    page = client.get(f"/sasaran/{institution.pk}/").content.decode()
    assert "Pak Direktur Panti" not in page and "Pengurus" not in page
    assert client.get(f"/peta/sasaran/{institution.pk}.json").json()["head_name"] == ""
