"""Records shared by every feature app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class SiteAuthority(models.Model):
    """Who runs this site: the issuing authority an operator configures once (in the
    admin). It shows in the footer of every page, on the weekly report and in its PDF.
    One row at most (``id`` is always 1); without it the site names no authority."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    name = models.CharField(_("nama lembaga"), max_length=160)
    unit = models.CharField(_("unit pelaksana"), max_length=160, blank=True)
    contact = models.CharField(_("kontak"), max_length=200, blank=True)
    hotline = models.CharField(_("hotline"), max_length=40, blank=True)
    # The logo as a small PNG, re-encoded on upload (kolaborasi.core.authority): stored in
    # the database so every app server serves the same one without shared media.
    logo_png = models.BinaryField(blank=True, default=b"", editable=False)
    privacy_policy = models.TextField(_("kebijakan privasi"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("penyelenggara situs")
        verbose_name_plural = _("penyelenggara situs")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="site_authority_single_row")]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """The last sign of life of each background worker (``kolaborasi worker`` writes its
    row every ``WORKER_HEARTBEAT_SECONDS``); ``/readyz`` wants one fresher than two
    minutes."""

    worker = models.CharField(max_length=200, primary_key=True)  # host:pid
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "worker heartbeat"

    def __str__(self) -> str:
        return f"{self.worker} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
