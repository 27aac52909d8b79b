"""Operator tools in the Django admin: organisations (verify), members, API tokens
(revoke). Every change made here goes through the same service, and so writes the same
audit event, as the same change made on the pages or the CLI; nothing is deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import (
    admin_second_factor,  # noqa: F401  (registers the audited second-factor devices)
    admin_users,  # noqa: F401  (people are deactivated, never deleted)
    services,
)
from .models import ApiToken, Membership, Organisation


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "subtype", "verified", "description", "regions"]

    def clean(self) -> dict[str, Any]:
        # The same rules as everywhere else, from their one home (the service).
        data = super().clean() or {}
        try:
            data["name"], data["description"], _regions = services.organisation_fields_clean(
                name=data.get("name", ""),
                kind=data.get("kind", ""),
                subtype=data.get("subtype", ""),
                description=data.get("description", ""),
                region_codes=[region.code for region in data.get("regions") or ()],
            )
        except services.AccountsInputError as error:
            self.add_error(error.field if error.field in self.fields else None, str(error.message))
        return data


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    # Chosen by typing a name or an e-mail address (the user admin searches both), not
    # by a numeric id.
    autocomplete_fields = ["user"]


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ("prefix", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "name", "created_at", "last_used_at", "revoked_at")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ["name", "kind", "subtype", "verified", "created_at"]
    list_filter = ["kind", "verified", "subtype"]
    search_fields = ["name", "regions__code"]
    autocomplete_fields = ["regions"]
    inlines = [MembershipInline, ApiTokenInline]
    actions = ["verify"]

    @admin.action(description=_("Verifikasi organisasi terpilih"), permissions=["change"])
    def verify(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        count = sum(services.organisation_verify(actor=request.user, organisation=org) for org in queryset)
        self.message_user(request, _("%(n)d organisasi diverifikasi.") % {"n": count}, messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Never deleted: the audit log and the public figures keep naming it. Suspend it
        # (operators' pages) or take its members out instead.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Verified through the "verify" action, as on the operators' page (same event).
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "verified") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        # Through the same services as the pages and the CLI, so the same audit events.
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "kind": data["kind"],
            "subtype": data.get("subtype", ""),
            "description": data.get("description", ""),
            "region_codes": [region.code for region in data.get("regions") or ()],
        }
        if change:
            services.organisation_change(actor=request.user, organisation=obj, **fields)
        else:
            verified = data.get("verified", False)
            obj.pk = services.organisation_create(actor=request.user, verified=verified, **fields).pk
            obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The regions were set by the service (no form.save_m2m()): only the inlines.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        org = form.instance
        instances = formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.membership_remove(actor=request.user, membership=membership)
        for membership in instances:
            stored = Membership.objects.filter(pk=membership.pk).first() if membership.pk else None
            if stored is not None and stored.user_id == membership.user_id:
                services.membership_change(actor=request.user, membership=stored, role=membership.role)
                continue
            if stored is not None:  # another account on the same row: one leaves, one joins
                services.membership_remove(actor=request.user, membership=stored)
            services.membership_create(
                actor=request.user, organisation=org, user=membership.user, role=membership.role
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "organisation", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "organisation__name", "name"]
    readonly_fields = (
        "organisation",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    fields = ("organisation", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    @admin.action(description=_("Cabut token terpilih"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = sum(
            services.token_revoke(actor=request.user, token=token)
            for token in queryset.select_related("organisation")
        )
        self.message_user(request, _("%(n)d token dicabut.") % {"n": count}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are made by `kolaborasi org token ID` or on the organisation's page,
        # where the plain token can be shown once.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the row and its audit trail stay
