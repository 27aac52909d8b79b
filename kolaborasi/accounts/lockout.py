"""Login lockouts that a stranger cannot turn against someone else.

django-axes locks a *username from one address* after AXES_FAILURE_LIMIT failures, so
wrong passwords typed for ``oki`` elsewhere never stop oki's own login; the address is
kolaborasi.core.client's (TRUSTED_PROXIES), so clients behind our proxy are not all one
address. Each further lockout of the same username and address within
LOCKOUT_MEMORY_HOURS doubles the wait (15, 30, 60 … minutes, at most
LOCKOUT_MAX_MINUTES); a successful login from that address forgets them. Separately, the
``login`` throttle counts failed logins per address whatever the username, so one
address cannot try a few passwords on every account: the login page answers 429, and
:class:`LoginThrottleBackend` refuses every other way in (the admin's login form).
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessAttemptExpiration
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from kolaborasi.core import throttle
from kolaborasi.core.client import client_ip

_MEMO = "_kol_lockouts"


def _pair(username: str | None, address: str) -> str:
    digest = hashlib.sha256(f"{username or ''}\0{address}".encode()).hexdigest()
    return f"lockouts:{digest}"


def _request_pair(request: HttpRequest | None, username: str | None = None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    if username is None:
        username = get_client_username(request, getattr(request, "axes_credentials", None))
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    return username, address


def _lockouts(request: HttpRequest | None) -> int:
    """How many times this username was locked from this address lately."""
    if request is None:
        return 0
    memo: int | None = getattr(request, _MEMO, None)
    if memo is None:
        memo = int(caches["throttle"].get(_pair(*_request_pair(request)), 0))
        setattr(request, _MEMO, memo)
    return memo


def _minutes(lockouts: int) -> int:
    return min(settings.LOCKOUT_MINUTES * 2 ** max(0, lockouts - 1), settings.LOCKOUT_MAX_MINUTES)


def cooloff(request: HttpRequest | None = None) -> timedelta:
    """AXES_COOLOFF_TIME: how long failures count and a lockout lasts, for this request's
    username and address."""
    return timedelta(minutes=_minutes(_lockouts(request)))


def seconds_left(request: HttpRequest) -> int:
    """Until this username may try again from this address (for Retry-After)."""
    username, address = _request_pair(request)
    last = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        t=Max("attempt_time")
    )["t"]
    if last is None:
        return int(cooloff(request).total_seconds())
    return max(1, math.ceil((last + cooloff(request) - timezone.now()).total_seconds()))


@receiver(user_locked_out, dispatch_uid="kolaborasi_lockout_progressive")
def _on_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kw: Any
) -> None:
    # axes sends this when a lockout begins (it has just counted the failures) and again
    # for each attempt while locked (then it counted nothing); only the first is a new
    # lockout.
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    username, address = _request_pair(request, username)
    store = caches["throttle"]
    key = _pair(username, address)
    memory = settings.LOCKOUT_MEMORY_HOURS * 3600
    store.add(key, 0, memory)
    try:
        lockouts = store.incr(key)
    except ValueError:  # expired between the two calls: this is the first again
        store.set(key, 1, memory)
        lockouts = 1
    setattr(request, _MEMO, lockouts)
    # axes dated the lockout's end with the previous length; make it this one's, so that
    # the sweep of expired attempts (run on anyone's login) keeps it.
    AccessAttemptExpiration.objects.filter(
        access_attempt__username=username, access_attempt__ip_address=address
    ).update(expires_at=timezone.now() + timedelta(minutes=_minutes(lockouts)))


@receiver(user_login_failed, dispatch_uid="kolaborasi_login_failures_per_address")
def _on_login_failed(
    sender: Any, credentials: Any = None, request: HttpRequest | None = None, **kw: Any
) -> None:
    if request is not None:
        throttle.count(request, "login", throttle.by_client(request))


@receiver(user_logged_in, dispatch_uid="kolaborasi_lockout_forget")
def _on_logged_in(sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any) -> None:
    if request is not None and user is not None:
        caches["throttle"].delete(_pair(*_request_pair(request, user.get_username())))


class LoginThrottleBackend:
    """An authentication backend that authenticates nobody: it refuses (PermissionDenied,
    which Django reports as a failed login) every attempt from an address that has used
    up its failed-login allowance, whichever form the attempt came through. No
    ``get_user``, so sessions never name it as their backend (as with axes')."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is not None:
            try:
                throttle.peek(request, "login", throttle.by_client(request))
            except throttle.Throttled as exc:
                raise PermissionDenied(
                    gettext("Terlalu banyak percobaan masuk yang gagal dari alamat Anda.")
                ) from exc
        return None
