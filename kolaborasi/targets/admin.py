from django.contrib import admin
from django.http import HttpRequest

from .models import AidType, Need, Target


@admin.register(AidType)
class AidTypeAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "name_en", "unit", "sort_order", "active"]
    list_editable = ["sort_order", "active"]


class NeedInline(admin.TabularInline):
    model = Need
    extra = 0
    readonly_fields = ["held", "delivered", "confirmed", "remaining"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "size", "synthetic"]
    list_filter = ["kind", "synthetic", "city_code"]
    search_fields = ["name", "region__code"]
    raw_id_fields = ["region", "village"]
    inlines = [NeedInline]
    # Where a target lies and what it is stay as created: the public figures keep running
    # totals per kelurahan and kind (kolaborasi.stats.tally), and a target moved here
    # would leave its counts behind. Import a corrected target instead.
    place_fields = ("kind", "region", "village", "district_code", "city_code", "province_code")

    def get_readonly_fields(self, request: HttpRequest, obj: Target | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields + self.place_fields if obj is not None else fields


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ["target", "aid_type", "quantity", "held", "delivered", "confirmed", "remaining"]
    list_filter = ["aid_type"]
    raw_id_fields = ["target"]
    readonly_fields = ["held", "delivered", "confirmed", "remaining"]
