"""The second factor: TOTP (django-otp) with recovery codes, for the people who must use
it (``access.second_factor_required``). Enrolment confirms an authenticator with one of its
codes and hands out recovery codes once; a login code is checked under django-otp's
throttling, whose doubling wait is capped here (``SECOND_FACTOR_MAX_WAIT_SECONDS``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record

RECOVERY_CODES = 10


@dataclass
class SecondFactorResult:
    """What a code did: ``device`` accepted it (None: refused); ``wait`` seconds before
    another try is allowed when wrong codes have locked the devices; ``recovery_left``
    when a recovery code was used."""

    device: Device | None = None
    wait: int = 0
    recovery_left: int | None = None


def second_factor_confirmed(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def second_factor_pending(*, user: Any) -> TOTPDevice:
    """The authenticator being set up for ``user`` (made on first call, kept across page
    loads so the QR code already scanned stays valid until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _throttle_wait(device: Device) -> int:
    """Seconds before ``device`` may check another code. django-otp doubles the wait with
    every failure and never stops; here it stops at SECOND_FACTOR_MAX_WAIT_SECONDS (the
    failure count is lowered to the one whose wait is the cap; the caller holds the row)."""
    factor = device.get_throttle_factor()  # type: ignore[attr-defined]
    if factor > 0:
        capped = 1 + max(0, int(math.log2(max(1.0, settings.SECOND_FACTOR_MAX_WAIT_SECONDS / factor))))
        if device.throttling_failure_count > capped:  # type: ignore[attr-defined]
            device.throttling_failure_count = capped  # type: ignore[attr-defined]
            device.save(update_fields=["throttling_failure_count"])
    allowed, data = device.verify_is_allowed()
    if allowed:
        return 0
    until = (data or {}).get("locked_until")
    return max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1


def second_factor_enrol(*, user: Any, code: str) -> tuple[SecondFactorResult, list[str]]:
    """Confirm the pending authenticator with a code it shows; on success the account
    gets RECOVERY_CODES fresh recovery codes (returned, in the clear, this once)."""
    pending = second_factor_pending(user=user)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=pending.pk)
        wait = _throttle_wait(device)
        if wait or not device.verify_token(_clean_code(code)):
            return SecondFactorResult(wait=wait), []
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=c) for c in codes)
        audit_record(
            actor=user,
            action=AuditAction.USER_SECOND_FACTOR_ENROLLED,
            obj=user,
            after={"device": device.persistent_id, "recovery_codes": RECOVERY_CODES},
        )
    return SecondFactorResult(device=device), codes


def second_factor_check(*, user: Any, code: str) -> SecondFactorResult:
    """Check a login code: six digits go to the authenticator, anything else is tried as
    a recovery code (which then stops working). Wrong codes lock the device for a time
    that doubles with each failure (django-otp's throttling)."""
    code = _clean_code(code)
    is_totp = code.isdigit() and len(code) == 6
    model: type[Device] = TOTPDevice if is_totp else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            return SecondFactorResult()
        wait = _throttle_wait(device)
        if wait:
            return SecondFactorResult(wait=wait)
        if not device.verify_token(code):
            return SecondFactorResult()
        left = None
        if isinstance(device, StaticDevice):
            left = device.token_set.count()
            audit_record(
                actor=user, action=AuditAction.USER_RECOVERY_CODE_USED, obj=user, after={"left": left}
            )
    return SecondFactorResult(device=device, recovery_left=left)


def _clean_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()
