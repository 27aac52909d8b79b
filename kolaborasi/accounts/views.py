"""Account pages: translate HTTP to services and selectors; access checks live in
access.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kolaborasi.core.confirm import confirmation_page, confirmed
from kolaborasi.core.once import created, created_redirect, exactly_once

from . import access, invites, selectors, services
from .forms import (
    InviteForm,
    InviteKind,
    MemberAddForm,
    OrganisationForm,
    TokenCreateForm,
)
from .models import ApiToken, Organisation, OrgKind, Role


def site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def safe_next(request: HttpRequest) -> str:
    """The ``next`` the request carries if it stays on this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def after_login_url(request: HttpRequest) -> str:
    """Where to go after signing in: a ``next`` on this site, else the account page."""
    return safe_next(request) or str(settings.LOGIN_REDIRECT_URL)


# In the address bar of a page reached by an e-mail link (password reset, invitation) the
# link's token is replaced by this placeholder once it is kept in the session.
RESET_SESSION_TOKEN = "sesi"  # noqa: S105 (a placeholder in the URL, not a secret)


# --- My account and organisations ---------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "accounts/home.html",
        {
            "memberships": selectors.user_memberships(request.user),
            "active": access.org_for_request(request),
            "is_operator": access.is_operator(request.user),
        },
    )


@login_required
@require_POST
def org_switch(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("organisation", "")
    if not raw.isdigit():
        messages.error(request, _("Pilih organisasi."))
        return redirect("accounts:home")
    org = access.org_set_active(request, int(raw))
    messages.success(request, _("Sekarang bertindak atas nama %(org)s.") % {"org": org.name})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect("accounts:home")


@login_required
@exactly_once
def org_create(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("jenis", "")
    initial = {"kind": kind} if kind in (OrgKind.DONOR, OrgKind.AGGREGATOR) else {}
    form = OrganisationForm(request.POST or None, initial=initial)
    next_url = safe_next(request)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organisation_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                subtype=form.cleaned_data["subtype"],
                description=form.cleaned_data["description"],
                owner=request.user,
            )
        except services.AccountsInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session[access.ACTIVE_ORG_SESSION_KEY] = org.pk
            if org.kind == OrgKind.AGGREGATOR:
                messages.success(
                    request,
                    _("Organisasi dibuat. Agregator tampil untuk publik setelah diverifikasi operator."),
                )
            else:
                messages.success(request, _("Organisasi dibuat."))
            return created_redirect(request, next_url or reverse("accounts:org_detail", args=[org.pk]))
    return TemplateResponse(request, "accounts/org_form.html", {"form": form, "next": next_url})


def _org_page(
    request: HttpRequest, org: Organisation, *, status: int = 200, **extra: Any
) -> TemplateResponse:
    """The organisation's settings tab: members and API tokens."""
    membership = access.membership_for(request.user, org)
    context = {
        "org": org,
        "tab": "settings",
        "is_owner": membership is not None and membership.role == Role.OWNER,
        "members": selectors.organisation_members(org),
        "tokens": selectors.organisation_tokens(org),
        "member_form": MemberAddForm(),
        "token_form": TokenCreateForm(),
        "token_days": settings.API_TOKEN_DAYS,
        **extra,
    }
    return TemplateResponse(request, "accounts/org_settings.html", context, status=status)


@login_required
def org_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access.get_organisation_for_user(request.user, org_id)
    membership = access.membership_for(request.user, org)
    return TemplateResponse(
        request,
        "accounts/org_detail.html",
        {"org": org, "tab": "main", "membership": membership, "members": selectors.organisation_members(org)},
    )


@login_required
def org_settings(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access.get_organisation_for_user(request.user, org_id)
    return _org_page(request, org)


@login_required
@require_POST
@exactly_once
def member_add(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access.get_organisation_for_user(request.user, org_id, write=True)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            services.membership_add(
                actor=request.user,
                organisation=org,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except services.AccountsInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Anggota ditambahkan."))
            return created_redirect(request, reverse("accounts:org_settings", args=[org.pk]))
    return _org_page(request, org, member_form=form, status=400)


@login_required
@require_POST
@exactly_once
def token_create(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access.get_organisation_for_user(request.user, org_id, write=True)
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _org_page(request, org, token_form=form, status=400)
    plain = services.token_create(
        actor=request.user,
        organisation=org,
        name=form.cleaned_data["name"],
        scopes=form.cleaned_data["scopes"] or "read",
    )
    # The plain token is shown on this one response and never again: a resubmission of
    # the form lands on the organisation's page, where the token is listed by its prefix.
    created(request, reverse("accounts:org_settings", args=[org.pk]))
    return _org_page(request, org, new_token=plain)


@login_required
@require_POST
def token_revoke(request: HttpRequest, org_id: int, token_id: int) -> HttpResponse:
    org = access.get_organisation_for_user(request.user, org_id, write=True)
    token = get_object_or_404(ApiToken, pk=token_id, organisation=org)
    if not confirmed(request):
        return confirmation_page(
            request,
            title=_("Cabut token %(prefix)s…?") % {"prefix": token.prefix},
            consequence=_(
                "Program yang memakai token ini langsung tidak dapat lagi mengakses API atas nama "
                "organisasi Anda. Pencabutan tidak dapat diurungkan; buat token baru bila perlu."
            ),
            action_label=_("Ya, cabut token"),
            back_url=reverse("accounts:org_settings", args=[org.pk]),
        )
    if services.token_revoke(actor=request.user, token=token):
        messages.success(request, _("Token %(prefix)s… dicabut.") % {"prefix": token.prefix})
    return redirect("accounts:org_settings", org.pk)


# --- Operators ---------------------------------------------------------------------------


def _require_operator(request: HttpRequest) -> None:
    if not access.is_operator(request.user):
        raise PermissionDenied(_("Halaman ini hanya untuk operator program."))


@login_required
def operator_aggregators(request: HttpRequest) -> HttpResponse:
    _require_operator(request)
    return TemplateResponse(
        request, "accounts/operator_aggregators.html", {"orgs": selectors.aggregators_unverified()}
    )


@login_required
@require_POST
def operator_verify(request: HttpRequest, org_id: int) -> HttpResponse:
    _require_operator(request)
    org = get_object_or_404(Organisation, pk=org_id, kind=OrgKind.AGGREGATOR)
    if services.organisation_verify(actor=request.user, organisation=org):
        messages.success(request, _("%(org)s terverifikasi.") % {"org": org.name})
    else:
        messages.info(request, _("%(org)s sudah terverifikasi.") % {"org": org.name})
    return redirect(reverse("accounts:operator_aggregators"))


# --- First steps: how a person without an organisation wants to give ---------------------

# Where a new individual donor starts: the map, or the finder ("I have N packages").
_START_PAGES = {"peta": "/peta/", "cari": "/cari/"}


@login_required
@exactly_once
def start(request: HttpRequest) -> HttpResponse:
    """Right after the first login: give as an individual (a private donor profile is
    made at once), register a company or community, or register an aggregator."""
    next_url = safe_next(request)
    memberships = selectors.user_memberships(request.user)
    if request.method == "POST":
        if request.POST.get("choice") != "individual":
            messages.error(request, _("Pilih salah satu cara di bawah."))
            return redirect(
                reverse("accounts:start") + (f"?{urlencode({'next': next_url})}" if next_url else "")
            )
        if memberships.exists():
            # Already set up (e.g. the form sent twice from two tabs): nothing to make.
            return HttpResponseRedirect(next_url or _START_PAGES["peta"])
        org = services.donor_individual_create(actor=request.user, user=request.user)
        request.session[access.ACTIVE_ORG_SESSION_KEY] = org.pk
        messages.success(
            request,
            _(
                "Profil donatur perorangan Anda siap. Nama Anda tidak tampil untuk publik: di halaman "
                "publik dan data terbuka Anda tercatat sebagai “Donatur perorangan”."
            ),
        )
        then = _START_PAGES.get(request.POST.get("then", ""), _START_PAGES["peta"])
        return created_redirect(request, next_url or then)
    return TemplateResponse(
        request,
        "accounts/start.html",
        {"next": next_url, "has_org": memberships.exists(), "donor_next": next_url or _START_PAGES["peta"]},
    )


# --- Invitations -------------------------------------------------------------------------


def _operator_orgs(request: HttpRequest) -> list[Organisation]:
    return list(selectors.operator_organisations_for(request.user))


@login_required
@exactly_once
def operator_invite(request: HttpRequest) -> HttpResponse:
    """An operator invites a coordinator for one or more areas, or another operator,
    by e-mail. "Tambahkan wilayah" only adds the chosen place to the list."""
    _require_operator(request)
    orgs = _operator_orgs(request)
    form = InviteForm(request.POST or None, operator_orgs=orgs)
    status = 200
    if request.method == "POST" and "add_area" in request.POST:
        form = form.area_added(operator_orgs=orgs)
        status = 400 if form.errors else 200
    elif request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["kind"] == InviteKind.COORDINATOR:
                    invitation = invites.coordinator_invite(
                        actor=request.user,
                        email=data["email"],
                        name=data["name"] or selectors.coordinator_default_name(data["codes"]),
                        region_codes=data["codes"],
                        site_url=site_url(request),
                    )
                else:
                    org = next(o for o in orgs if str(o.pk) == data["operator_org"])
                    invitation = invites.user_invite(
                        actor=request.user,
                        email=data["email"],
                        organisation=org,
                        role=Role.MEMBER,
                        site_url=site_url(request),
                    )
            except services.AccountsInputError as exc:
                field = {"regions": "wilayah"}.get(exc.field, exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                messages.success(request, _invite_sent_message(invitation))
                return created_redirect(request, reverse("accounts:operator_invite"))
        status = 400
    codes = form.data.getlist("area") if hasattr(form.data, "getlist") else []
    form.area_choices(selectors.regions_by_code(codes))
    return TemplateResponse(request, "accounts/operator_invite.html", {"form": form}, status=status)


def _invite_sent_message(invitation: invites.Invitation) -> str:
    email = invitation.user.email
    if invitation.link != "password":
        return _(
            "%(email)s sudah punya akun: akun itu kini anggota organisasinya, dan kami memberi tahu "
            "lewat e-mail. Ia masuk dengan kata sandinya sendiri."
        ) % {"email": email}
    return _("Undangan terkirim ke %(email)s. Tautannya berlaku %(days)s hari dan hanya sekali pakai.") % {
        "email": email,
        "days": invites.INVITE_MAX_AGE.days,
    }


# Where the invitation's token waits while the person chooses a password (as for a
# password reset): the address bar then shows only the placeholder.
_INVITE_SESSION_KEY = "_invite_token"


def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    if token != RESET_SESSION_TOKEN:
        request.session[_INVITE_SESSION_KEY] = token
        return redirect("accounts:invite_accept", RESET_SESSION_TOKEN)
    plain = request.session.get(_INVITE_SESSION_KEY, "")
    try:
        user = invites.invite_link_user(token=plain)
    except services.AccountsInputError as exc:
        return TemplateResponse(request, "accounts/invite_failed.html", {"reason": exc.message}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invites.invite_accept(token=plain, password=form.cleaned_data["new_password1"])
        except services.AccountsInputError as exc:
            return TemplateResponse(
                request, "accounts/invite_failed.html", {"reason": exc.message}, status=400
            )
        request.session.pop(_INVITE_SESSION_KEY, None)
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        membership = selectors.user_memberships(user).first()
        messages.success(request, _("Kata sandi tersimpan. Selamat datang!"))
        if membership is None:
            return redirect("accounts:home")
        request.session[access.ACTIVE_ORG_SESSION_KEY] = membership.organisation_id
        return redirect("accounts:org_detail", membership.organisation_id)
    return TemplateResponse(
        request,
        "accounts/invite_accept.html",
        {"form": form, "invitee": user, "memberships": selectors.user_memberships(user)},
    )
