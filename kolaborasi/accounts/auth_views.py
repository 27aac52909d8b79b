"""Pages of signing in: registration, e-mail verification, login and logout, password
reset and the second factor. Translate HTTP to the services (registration.py,
second_factor.py); access checks live in access.py."""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from kolaborasi.core.throttle import by_client, by_post_email, throttle, throttle_failures

from . import access, lockout, registration, selectors, services
from . import second_factor as factors
from .forms import (
    LoginForm,
    PasswordResetRequestForm,
    RegisterForm,
    ResendVerificationForm,
    SecondFactorEnrolForm,
    SecondFactorForm,
)
from .views import RESET_SESSION_TOKEN, after_login_url, site_url

# --- Registration, verification, login --------------------------------------------------


@throttle("register", by_client)
# Every registration mails the address typed in (a link, or a notice to its owner): one
# inbox must not be flooded from many addresses.
@throttle("register_email", by_post_email)
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.user_register(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                site_url=site_url(request),
            )
        except services.AccountsInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return TemplateResponse(
                request, "accounts/register_done.html", {"email": form.cleaned_data["email"]}
            )
    return TemplateResponse(request, "accounts/register.html", {"form": form})


def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        registration.user_verify_email(token=token)
    except services.AccountsInputError as exc:
        return TemplateResponse(request, "accounts/verify_failed.html", {"reason": exc.message}, status=400)
    messages.success(request, _("E-mail terverifikasi. Silakan masuk."))
    return redirect("accounts:login")


@throttle("verify_resend", by_client)
@throttle("verify_resend_email", by_post_email)
def verify_resend(request: HttpRequest) -> HttpResponse:
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration.verification_resend(email=form.cleaned_data["email"], site_url=site_url(request))
        messages.success(
            request, _("Jika alamat itu menunggu verifikasi, tautan baru sudah kami kirim ke sana.")
        )
        return redirect("accounts:login")
    return TemplateResponse(request, "accounts/verify_resend.html", {"form": form})


# Failed logins are counted per address by kolaborasi.accounts.lockout.
@method_decorator(throttle_failures("login", by_client), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        # Someone in no organisation yet (and not an operator) is asked first how they
        # want to give; the page they were going to is kept for after the choice.
        url = super().get_success_url()
        user = self.request.user
        if selectors.user_memberships(user).exists() or access.is_operator(user):
            return url
        wanted = self.get_redirect_url()
        query = "?" + urlencode({"next": wanted}) if wanted else ""
        return reverse("accounts:start") + query


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes lockout page (AXES_LOCKOUT_CALLABLE): too many failed logins.
    Rendered here because it is returned from middleware, after template rendering."""
    minutes = int(lockout.cooloff(request).total_seconds() // 60)
    response = render(
        request,
        "accounts/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(lockout.seconds_left(request))
    return response


# --- Password reset: an opaque single-use link (registration.password_reset_*) -----------

# Where the link's token waits while the person types the new password: the address bar
# (and so the Referer and the access log of the form's own requests) shows only
# RESET_SESSION_TOKEN instead of the token.
_RESET_SESSION_KEY = "_password_reset_token"


@throttle("password_reset", by_client)
@throttle("password_reset_email", by_post_email)
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration.password_reset_request(email=form.cleaned_data["email"], site_url=site_url(request))
        # The same answer whether or not the address has an account.
        return redirect("accounts:password_reset_done")
    return TemplateResponse(request, "accounts/password_reset_form.html", {"form": form})


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "accounts/password_reset_done.html")


def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if token != RESET_SESSION_TOKEN:
        request.session[_RESET_SESSION_KEY] = token
        return redirect("accounts:password_reset_confirm", RESET_SESSION_TOKEN)
    plain = request.session.get(_RESET_SESSION_KEY, "")
    try:
        user = registration.password_reset_link_user(token=plain)
    except services.AccountsInputError:
        return TemplateResponse(request, "accounts/password_reset_confirm.html", {"validlink": False})
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.password_reset_complete(token=plain, password=form.cleaned_data["new_password1"])
        except services.AccountsInputError:
            return TemplateResponse(request, "accounts/password_reset_confirm.html", {"validlink": False})
        request.session.pop(_RESET_SESSION_KEY, None)
        return redirect("accounts:password_reset_complete")
    return TemplateResponse(
        request, "accounts/password_reset_confirm.html", {"validlink": True, "form": form}
    )


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "accounts/password_reset_complete.html")


# --- Second factor -----------------------------------------------------------------------


def _too_many(response: TemplateResponse, wait: int) -> TemplateResponse:
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """The code asked after the password: from the authenticator app, or a recovery
    code. People without an authenticator yet are sent to set one up."""
    next_url = after_login_url(request)
    if factors.second_factor_confirmed(request.user) is None:
        return redirect(reverse("accounts:second_factor_enrol") + "?" + urlencode({"next": next_url}))
    if request.user.is_verified():  # type: ignore[union-attr]
        return HttpResponseRedirect(next_url)
    form = SecondFactorForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        result = factors.second_factor_check(user=request.user, code=form.cleaned_data["code"])
        if result.device is not None:
            otp_login(request, result.device)
            if result.recovery_left is not None:
                messages.warning(
                    request,
                    _("Kode pemulihan dipakai dan tidak berlaku lagi; sisa %(n)s kode.")
                    % {"n": result.recovery_left},
                )
            return HttpResponseRedirect(next_url)
        if result.wait:
            form.add_error(
                "code",
                _("Terlalu banyak kode salah. Coba lagi dalam %(s)s detik.") % {"s": result.wait},
            )
            return _too_many(TemplateResponse(request, "accounts/second_factor.html", context), result.wait)
        form.add_error("code", _("Kode salah atau sudah dipakai. Periksa jam ponsel Anda dan coba lagi."))
    return TemplateResponse(request, "accounts/second_factor.html", context)


@login_required
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """First time: scan the QR code (or type the key), confirm with a code, and get the
    recovery codes, shown on this one page only."""
    next_url = after_login_url(request)
    if factors.second_factor_confirmed(request.user) is not None:
        # Setting up another authenticator needs the current one (or an operator).
        return redirect(reverse("accounts:second_factor") + "?" + urlencode({"next": next_url}))
    device = factors.second_factor_pending(user=request.user)
    form = SecondFactorEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result, codes = factors.second_factor_enrol(user=request.user, code=form.cleaned_data["code"])
        if result.device is not None:
            otp_login(request, result.device)
            return TemplateResponse(
                request, "accounts/second_factor_codes.html", {"codes": codes, "next": next_url}
            )
        if result.wait:
            form.add_error(
                "code",
                _("Terlalu banyak kode salah. Coba lagi dalam %(s)s detik.") % {"s": result.wait},
            )
        else:
            form.add_error(
                "code", _("Kode salah. Periksa jam ponsel Anda dan masukkan kode yang sedang tampil.")
            )
    key = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
    }
    return TemplateResponse(request, "accounts/second_factor_enrol.html", context)
