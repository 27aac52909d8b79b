"""People in the admin: never deleted, deactivated instead. The audit log names whoever
acted by the account's id, and the organisations' records keep their members, so an
account's row stays; a deactivated account cannot sign in. Deactivating and reactivating
are the actions here, each through ``services.user_set_active`` and audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
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
