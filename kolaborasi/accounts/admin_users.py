"""People in the admin: never deleted, deactivated instead. The audit log names whoever
acted by the account's id, and the organisations' records keep their members, so an
account's row stays; a deactivated account cannot sign in. Deactivating and reactivating
are the actions here, each through ``services.user_set_active`` and audited. Adding or
editing an account (its rights above all: staff, superuser, groups) and setting its
password are audited too (``services.user_saved``, ``services.user_password_set``), in
the transaction of the change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from . import services


class KeptUserAdmin(UserAdmin):
    actions = ["deactivate", "reactivate"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Whether the account may sign in changes only through the actions (audited).
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "is_active") if obj is not None else fields

    # The admin object serves every request: what one request must remember between its
    # steps is kept on the request.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = services.user_state(type(obj).objects.get(pk=obj.pk)) if change else None
        request._user_before = before  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # Called once the account and its groups are saved, in the add's transaction.
        services.user_saved(actor=request.user, user=obj, before=None)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_password_view", False):
            services.user_password_set(actor=request.user, user=obj)
        else:
            services.user_saved(actor=request.user, user=obj, before=getattr(request, "_user_before", {}))
        return super().log_change(request, obj, message)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # The password and its audit event commit together.
        request._password_view = True  # type: ignore[attr-defined]
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Any], active: bool) -> int:
        return sum(
            services.user_set_active(actor=request.user, user=user, active=active) for user in queryset
        )

    @admin.action(description=_("Nonaktifkan akun terpilih"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = self._set_active(request, queryset, active=False)
        self.message_user(request, _("%(n)d akun dinonaktifkan.") % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Aktifkan kembali akun terpilih"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = self._set_active(request, queryset, active=True)
        self.message_user(request, _("%(n)d akun diaktifkan kembali.") % {"n": count}, messages.SUCCESS)


_User = get_user_model()
if admin.site.is_registered(_User):
    admin.site.unregister(_User)
admin.site.register(_User, KeptUserAdmin)
