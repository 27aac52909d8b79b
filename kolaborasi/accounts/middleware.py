"""Limits on logged-in sessions: an idle timeout and an absolute lifetime, and the
second factor for the people who must use one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import access

# Session keys: when the login happened and when the session was last used (epoch s).
SESSION_STARTED_KEY = "_kol_started"
SESSION_SEEN_KEY = "_kol_seen"
# "Last used" is written at most this often, so reading pages does not save the session
# on every request.
SEEN_RESOLUTION = 60


@receiver(user_logged_in)
def _stamp_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_SEEN_KEY] = now


class SessionLimitsMiddleware:
    """Log out a session idle for more than SESSION_IDLE_MINUTES or older than
    SESSION_MAX_HOURS; the person then meets the login page with a note saying why."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            # A session from before these limits existed counts from now.
            started = session.get(SESSION_STARTED_KEY) or now
            seen = session.get(SESSION_SEEN_KEY) or now
            if now - seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, _("Sesi Anda berakhir karena lama tidak aktif. Silakan masuk lagi."))
            elif now - started > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.info(request, _("Sesi Anda sudah terlalu lama. Silakan masuk lagi."))
            else:
                if SESSION_STARTED_KEY not in session:
                    session[SESSION_STARTED_KEY] = started
                if now - seen >= SEEN_RESOLUTION or SESSION_SEEN_KEY not in session:
                    session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


# Paths a person who still owes the second factor may use: the second-factor pages
# themselves, logging out, static files and the token-authenticated API (which never
# uses the session).
_OPEN_PREFIXES = ("/static/", "/media/", "/api/", "/i18n/", "/healthz")


class SecondFactorMiddleware:
    """Someone who must use a second factor and has only typed a password is sent to
    the second-factor page from every other page, the admin included, until a code has
    been accepted for this session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and request.path not in _own_paths()
            and not user.is_verified()
            and access.second_factor_required(user)
        ):
            query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
            return HttpResponseRedirect(reverse("accounts:second_factor") + (f"?{query}" if query else ""))
        return self.get_response(request)


def _own_paths() -> set[str]:
    return {
        reverse("accounts:second_factor"),
        reverse("accounts:second_factor_enrol"),
        reverse("accounts:logout"),
    }
