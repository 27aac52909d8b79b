"""The expiry sweep (run by the worker): remind the pledging organisation the day before
the grace period ends, then release the undelivered remainder of pledges whose planned
date plus ``PLEDGE_GRACE_DAYS`` has passed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Membership
from kolaborasi.audit.actions import AuditAction
from kolaborasi.campaigns.errors import CampaignFrozen
from kolaborasi.core.mail import mail_queue

from .history import audit, snapshot
from .models import LIVE_STATUSES, Pledge, PledgeStatus
from .services import expiry_date, release_undelivered


@dataclass
class ExpiryReport:
    expired: int = 0
    reminded: int = 0
    released_units: int = 0


def pledges_expire(*, today: dt.date | None = None) -> ExpiryReport:
    """Sweep: release the undelivered remainder of pledges whose planned date plus
    PLEDGE_GRACE_DAYS has passed, and remind the pledging organisation the day before.

    A pledge is only expired once it has been reminded in an earlier sweep, so no
    organisation loses a pledge without having been told (if the worker was down on the
    reminder day, the reminder goes out first and expiry follows on a later sweep)."""
    now = today or timezone.localdate()
    last_day = now - dt.timedelta(days=settings.PLEDGE_GRACE_DAYS)  # planned on this day: last chance
    report = ExpiryReport()
    # A closed campaign's pledges neither expire nor are reminded: its figures stay as they
    # were at the close (the need stops accepting then).
    open_q = Pledge.objects.filter(
        status__in=LIVE_STATUSES, quantity__gt=F("delivered") + F("released"), need__accepting=True
    )
    for pk in open_q.filter(planned_delivery__lt=last_day, reminded_at__isnull=False).values_list(
        "pk", flat=True
    ):
        try:
            with transaction.atomic():
                locked = Pledge.objects.select_for_update(no_key=True).get(pk=pk)
                if locked.status not in LIVE_STATUSES or locked.undelivered == 0:
                    continue
                if locked.planned_delivery >= last_day or locked.reminded_at is None:
                    continue  # extended meanwhile
                before = snapshot(locked)
                released = release_undelivered(locked, PledgeStatus.EXPIRED)
                audit(None, locked.organisation, AuditAction.PLEDGE_EXPIRED, locked, before)
        except CampaignFrozen:
            continue  # its campaign closed meanwhile: the pledge stays as it was at the close
        report.released_units += released
        report.expired += 1
    for pk in open_q.filter(planned_delivery__lte=last_day, reminded_at__isnull=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            locked = (
                Pledge.objects.select_for_update(of=("self",), no_key=True)
                .select_related("organisation")
                .get(pk=pk)
            )
            if locked.reminded_at is not None or locked.status not in LIVE_STATUSES:
                continue
            locked.reminded_at = timezone.now()
            locked.save(update_fields=["reminded_at", "updated_at"])
            audit(None, locked.organisation, AuditAction.PLEDGE_REMINDED, locked, None)
            transaction.on_commit(partial(_send_reminder, locked))
            report.reminded += 1
    return report


def _send_reminder(pledge: Pledge) -> None:
    recipients = list(
        Membership.objects.filter(organisation_id=pledge.organisation_id)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    until = expiry_date(pledge) - dt.timedelta(days=1)
    # Sent in the site's language (the worker has no request): one language per mail.
    subject = _("[kolaborasi] Komitmen #%(pledge)s akan kedaluwarsa") % {"pledge": pledge.pk}
    body = _(
        "Komitmen #%(pledge)s (%(quantity)s %(aid_type)s) untuk sasaran #%(target)s belum tersalurkan "
        "seluruhnya. Sisa yang belum disalurkan akan dilepas setelah %(until)s. Catat penyaluran atau "
        "perpanjang tanggal rencana di /komitmen/."
    ) % {
        "pledge": pledge.pk,
        # The Indonesian way in an Indonesian mail: "1.200", "7 Desember 2026".
        "quantity": formats.number_format(pledge.quantity, force_grouping=True),
        "aid_type": pledge.aid_type.display_name,
        "target": pledge.target_id,
        "until": formats.date_format(until, "j F Y"),
    }
    # Sent by the worker, retried there: a mail outage neither undoes the sweep nor loses
    # the reminder.
    mail_queue(subject=subject, body=body, to=recipients)
