"""The world the pledge tests act in (tests/test_pledges_*.py and others): needs from the
demo or a small self-contained one, pledges, pledge bodies and evidence images. Who acts
(personas, organisations, tokens) comes from tests/personas.py."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone
from PIL import Image

from kolaborasi.audit.models import AuditHead
from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.pledges.models import Pledge
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Need, Target
from tests.personas import RATNA_RW


def today() -> dt.date:
    return timezone.localdate()


def open_campaign() -> Campaign:
    """The one open campaign (the demo's, or small_world's), that needs belong to."""
    return Campaign.objects.get(status=CampaignStatus.OPEN)


def ratna_need(aid: str = "sembako") -> Need:
    """The need of the RW ratna coordinates (present in the demo data), in the demo's
    campaign (the first one)."""
    return Need.objects.select_related("target").get(
        target__region_id=RATNA_RW, aid_type__slug=aid, campaign=Campaign.objects.order_by("pk").first()
    )


def other_need(aid: str = "sembako") -> Need:
    """A need of an RW outside ratna's area."""
    need = (
        Need.objects.select_related("target")
        .filter(target__kind="rw", aid_type__slug=aid, quantity__gt=10)
        .exclude(target__district_code="31.74.05")
        .order_by("pk")
        .first()
    )
    assert need is not None
    return need


def small_world(quantity: int = 100) -> Need:
    """A self-contained need for transactional tests (which start from a flushed
    database, without the demo): one RW with one sembako need."""
    AuditHead.objects.get_or_create(pk=1)
    parent = None
    code = ""
    for part, level in (
        ("99", "province"),
        ("01", "city"),
        ("01", "district"),
        ("1001", "village"),
        ("001", "rw"),
    ):
        code = f"{code}.{part}" if code else part
        parent, _ = Region.objects.get_or_create(
            code=code, defaults={"name": f"Uji {code}", "level": level, "parent": parent}
        )
    aid, _ = AidType.objects.get_or_create(slug="sembako", defaults={"name": "Sembako"})
    target, _ = Target.objects.get_or_create(
        region_id="99.01.01.1001.001",
        defaults={
            "kind": "rw",
            "name": "RW 001 Uji",
            "village_id": "99.01.01.1001",
            "district_code": "99.01.01",
            "city_code": "99.01",
            "province_code": "99",
            "size": quantity,
        },
    )
    campaign = Campaign.objects.filter(status=CampaignStatus.OPEN).order_by("pk").first()
    if campaign is None:
        campaign = Campaign.objects.create(
            name="Program uji", slug="program-uji", start=today(), status=CampaignStatus.OPEN
        )
    need, _ = Need.objects.get_or_create(
        campaign=campaign, target=target, aid_type=aid, defaults={"quantity": quantity}
    )
    return need


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, (200, 30, 30))
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KameraUji"  # Make
    gps = {1: "S", 2: (6.0, 14.0, 30.0), 3: "E", 4: (106.0, 45.0, 10.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    return exif.tobytes()


def pledge_body(need: Need, quantity: int = 5, days: int = 3) -> dict[str, object]:
    return {
        "target": need.target_id,
        "aid_type": need.aid_type.slug,
        "quantity": quantity,
        "planned_delivery": (today() + dt.timedelta(days=days)).isoformat(),
    }


def make_pledge(persona: Any, need: Need | None = None, quantity: int = 5, delivered: int = 0) -> Pledge:
    """A pledge by ``persona``'s organisation (through the services), optionally with
    ``delivered`` units already recorded."""
    from kolaborasi.pledges import services

    need = need or ratna_need()
    org = persona.organisation
    user = persona.user
    pledge = services.pledge_create(
        actor=user,
        organisation=org,
        need=need,
        quantity=quantity,
        planned_delivery=today() + dt.timedelta(days=3),
    )
    if delivered:
        services.delivery_record(
            actor=user, organisation=org, pledge=pledge, quantity=delivered, delivered_on=today()
        )
        pledge.refresh_from_db()
    return pledge
