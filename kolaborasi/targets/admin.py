"""Targets, needs and aid types in the admin. Every write goes through the same service
as the pages, so it is checked the same way and writes the same audit event: a target's
count (and so its needs) through ``need_update``, with its reason; an aid type through
``aid_type_save``. What has no service is read-only here, and nothing is deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kolaborasi.accounts.access import operator_organisation
from kolaborasi.core.errors import AppError

from .models import AidType, Need, Target
from .services import aid_type_save, need_update


@admin.register(AidType)
class AidTypeAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "name_en", "unit", "sort_order", "active"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # needs and pledges refer to it: set it inactive instead

    def save_model(self, request: HttpRequest, obj: AidType, form: Any, change: bool) -> None:
        aid_type_save(actor=request.user, aid_type=obj)


class CountForm(forms.ModelForm):
    """A count changed in the admin: the reason the service requires, and the service
    itself run in ``clean`` so that its refusal is shown on the form and nothing is
    saved. ``size_field`` names the model field that holds the new count."""

    size_field = ""
    reason = forms.CharField(
        label=_("Alasan"),
        max_length=300,
        required=False,
        help_text=_("Wajib bila jumlah diubah; tercatat di log audit."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.request: HttpRequest | None = kwargs.pop("request", None)
        super().__init__(*args, **kwargs)

    def target(self) -> Target:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        size = data.get(self.size_field)
        if size is None or self.size_field not in self.changed_data:
            return data
        assert self.request is not None
        operator = operator_organisation(self.request.user)
        if operator is None:
            raise forms.ValidationError(_("Hanya anggota organisasi operator yang dapat mengubah kebutuhan."))
        try:
            need_update(
                actor=self.request.user,
                organisation=operator,
                target=self.target(),
                size=size,
                reason=data.get("reason", ""),
            )
        except AppError as error:
            field = {"size": self.size_field}.get(error.field, error.field)
            self.add_error(field if field in self.fields else None, str(error.message))
        return data


class TargetForm(CountForm):
    size_field = "size"

    class Meta:
        model = Target
        fields = ["size"]

    def target(self) -> Target:
        return self.instance


class NeedForm(CountForm):
    size_field = "quantity"

    class Meta:
        model = Need
        fields = ["quantity"]

    def target(self) -> Target:
        return self.instance.target


class _CountAdmin(admin.ModelAdmin):
    """Change-only: the count (through ``need_update``, in the form's ``clean``) and its
    reason are the only fields; there is no add and no delete."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class WithRequest(form_class):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, request=request, **inner)

        return WithRequest

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # need_update wrote it (and its audit event) when the form was cleaned

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:  # read-only inlines: nothing to save, nothing to report
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class NeedInline(admin.TabularInline):
    model = Need
    extra = 0
    fields = readonly_fields = (
        "campaign",
        "aid_type",
        "quantity",
        "held",
        "delivered",
        "confirmed",
        "remaining",
    )
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Target)
class TargetAdmin(_CountAdmin):
    form = TargetForm
    list_display = ["name", "kind", "region", "size", "synthetic"]
    list_filter = ["kind", "synthetic", "city_code"]
    search_fields = ["name", "region__code"]
    inlines = [NeedInline]
    # Where a target lies and what it is stay as created (the public figures keep running
    # totals per kelurahan and kind, kolaborasi.stats.tally): import a corrected target
    # instead. Its count changes through need_update, like on the coordinator's page.
    readonly_fields = (
        "name",
        "kind",
        "region",
        "village",
        "head_name",
        "address",
        "lat",
        "lng",
        "source",
        "as_of",
        "synthetic",
    )
    fields = (*readonly_fields, "size", "reason")


@admin.register(Need)
class NeedAdmin(_CountAdmin):
    form = NeedForm
    list_display = [
        "target",
        "campaign",
        "aid_type",
        "quantity",
        "held",
        "delivered",
        "confirmed",
        "remaining",
    ]
    list_filter = ["campaign", "aid_type"]
    readonly_fields = (
        "campaign",
        "target",
        "aid_type",
        "held",
        "delivered",
        "confirmed",
        "remaining",
        "source",
        "as_of",
    )
    fields = (*readonly_fields, "quantity", "reason")
