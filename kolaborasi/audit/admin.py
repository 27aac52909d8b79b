import json

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .actions import action_of
from .models import AuditEvent
from .personal import event_opened, is_commitment, opened


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "seq",
        "created_at",
        "actor",
        "organisation_id",
        "action",
        "kind",
        "object_type",
        "object_id",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label"]
    readonly_fields = ["personal"]

    @admin.display(description=_("pelaku"))
    def actor(self, event: AuditEvent) -> str:
        """The label, with a person's name in place of its commitment while it is held."""
        if is_commitment(event.actor_label):
            return str(opened([event.actor_label]).get(event.actor_label, _("(data pribadi dihapus)")))
        return event.actor_label

    @admin.display(description=_("isi dengan data pribadi"))
    def personal(self, event: AuditEvent) -> str:
        """The event's label, before and after with each commitment opened (erased data
        stays a commitment): what the chain holds only as commitments."""
        return json.dumps(event_opened(event), ensure_ascii=False, sort_keys=True, indent=1)

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
