from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .actions import action_of
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "seq",
        "created_at",
        "actor_label",
        "organisation_id",
        "action",
        "kind",
        "object_type",
        "object_id",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label"]

    @admin.display(description=_("jenis peristiwa"))
    def kind(self, event: AuditEvent) -> str:
        """What happened, in words; events written under an older name read the same."""
        kind = action_of(event.action)
        return str(kind.label) if kind is not None else event.action

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
