"""Refund the balance when a funded pledge releases units. The pledge services save
the pledge with ``update_fields`` including ``released`` on cancel and expiry (inside
their transaction), so the refund commits or rolls back with the release."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from kolaborasi.pledges.models import Pledge

from .services import pledge_funding_release


@receiver(post_save, sender=Pledge, dispatch_uid="funds_refund_on_release")
def refund_on_release(
    sender: type[Pledge], instance: Pledge, update_fields: Any = None, **kwargs: Any
) -> None:
    if instance.released and (update_fields is None or "released" in update_fields):
        pledge_funding_release(actor=None, pledge=instance)
