"""The second-factor devices in the admin, audited. An operator resets someone who lost
both phone and recovery codes by deleting their devices here (the person then sets up a
new authenticator at the next login); every addition, change and deletion is an audit
event naming the person, never the device's secret."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record


def _snapshot(device: Device) -> dict[str, Any]:
    return {
        "device": device.persistent_id,
        "user": device.user.get_username(),
        "name": device.name,
        "confirmed": device.confirmed,
    }


class _AuditedDevices(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = _snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action=AuditAction.USER_SECOND_FACTOR_CHANGED
                if change
                else AuditAction.USER_SECOND_FACTOR_ADDED,
                obj=obj.user,
                before=before,
                after=_snapshot(obj),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action=AuditAction.USER_SECOND_FACTOR_REMOVED,
                obj=obj.user,
                before=_snapshot(obj),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for device in queryset.select_related("user"):
                self.delete_model(request, device)


class AuditedTOTPDeviceAdmin(_AuditedDevices, TOTPDeviceAdmin):
    pass


class AuditedStaticDeviceAdmin(_AuditedDevices, StaticDeviceAdmin):
    pass


for model, model_admin in ((TOTPDevice, AuditedTOTPDeviceAdmin), (StaticDevice, AuditedStaticDeviceAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
