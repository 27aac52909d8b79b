"""Operator tools in the Django admin: organisations (verify), members, API tokens
(revoke). Every change made here is audited like the same change made elsewhere."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kolaborasi.audit.services import audit_record
from kolaborasi.audit.snapshot import snapshot
from kolaborasi.core.text import formula_refusal

from . import (
    admin_second_factor,  # noqa: F401  (registers the audited second-factor devices)
    services,
)
from .models import ApiToken, Membership, Organisation, OrgKind


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "subtype", "verified", "description", "regions"]

    def clean_name(self) -> str:
        # The same rule as organisation_create: the name reaches the public exports.
        name: str = self.cleaned_data["name"].strip()
        if problem := formula_refusal(name):
            raise forms.ValidationError(problem, code="formula")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if data.get("subtype") and kind != OrgKind.DONOR:
            self.add_error("subtype", _("Subjenis hanya untuk donatur."))
        if data.get("regions") and kind != OrgKind.COORDINATOR:
            self.add_error("regions", _("Wilayah hanya untuk koordinator."))
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


def _snapshot(org: Organisation) -> dict[str, Any]:
    return snapshot(org, ("name", "kind", "subtype", "verified", "description", "regions"))


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

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        # The admin's change view already runs in one transaction; the snapshot before
        # the change is taken from the database row, the one after in save_related.
        request._org_before = _snapshot(Organisation.objects.get(pk=obj.pk)) if change else None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        org = form.instance
        before = getattr(request, "_org_before", None)
        after = _snapshot(org)
        if not change:
            audit_record(
                actor=request.user, action="organisation.created", obj=org, after=after, organisation=org
            )
        elif before != after:
            audit_record(
                actor=request.user,
                action="organisation.changed",
                obj=org,
                before=before,
                after=after,
                organisation=org,
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        instances = formset.save(commit=False)
        for membership in formset.deleted_objects:
            audit_record(
                actor=request.user,
                action="membership.removed",
                obj=membership,
                before={"user": membership.user.get_username(), "role": membership.role},
                organisation=form.instance,
            )
            membership.delete()
        for membership in instances:
            is_new = membership.pk is None
            before = None if is_new else Membership.objects.filter(pk=membership.pk).values("role").first()
            membership.save()
            audit_record(
                actor=request.user,
                action="membership.added" if is_new else "membership.changed",
                obj=membership,
                before=before,
                after={"user": membership.user.get_username(), "role": membership.role},
                organisation=form.instance,
            )
        formset.save_m2m()


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
