"""The site's issuing authority, configured once by an operator."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .authority import logo_clean, site_authority_changed
from .models import SiteAuthority


class SiteAuthorityForm(forms.ModelForm):
    logo = forms.FileField(
        label=_("Logo (PNG, JPEG atau WebP)"),
        required=False,
        help_text=_("Diperkecil otomatis; kosongkan untuk mempertahankan logo yang ada."),
    )
    remove_logo = forms.BooleanField(label=_("Hapus logo"), required=False)

    class Meta:
        model = SiteAuthority
        fields = ["name", "unit", "contact", "hotline", "privacy_policy"]

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        try:
            return logo_clean(upload.read(600 * 1024))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(SiteAuthority)
class SiteAuthorityAdmin(admin.ModelAdmin):
    form = SiteAuthorityForm
    list_display = ["name", "unit", "hotline", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not SiteAuthority.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # edit it instead; the reports name whoever runs the site

    def save_model(self, request: HttpRequest, obj: SiteAuthority, form: Any, change: bool) -> None:
        if form.cleaned_data.get("remove_logo"):
            obj.logo_png = b""
        elif form.cleaned_data.get("logo"):
            obj.logo_png = form.cleaned_data["logo"]
        super().save_model(request, obj, form, change)
        site_authority_changed()
