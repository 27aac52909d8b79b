"""Records shared by every feature app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SubmissionKey(models.Model):
    """A one-time key of an HTML form that created something (see kolaborasi.core.once),
    written in the same transaction as what the form created. A second submission with
    the same key (a retry after a timeout, a double click, the back button) is sent to
    ``result_url`` instead of creating it again. Keys are per person and random; rows
    older than ``IDEMPOTENCY_KEY_TTL_HOURS`` are removed by the worker."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    path = models.CharField(max_length=300)
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="submission_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} → {self.result_url}"


class ThrottleCounter(models.Model):
    """One throttle count (kolaborasi.core.counters): the store the throttles share
    across workers and app servers when there is no Redis. Rows whose ``expires`` (Unix
    seconds) has passed are dead and are swept now and then."""

    slot = models.CharField(max_length=250, primary_key=True)
    hits = models.BigIntegerField()
    expires = models.FloatField(db_index=True)

    class Meta:
        verbose_name = "throttle counter"

    def __str__(self) -> str:
        return f"{self.slot}: {self.hits}"
