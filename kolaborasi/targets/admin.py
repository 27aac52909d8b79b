from django.contrib import admin

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


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ["target", "aid_type", "quantity", "held", "delivered", "confirmed", "remaining"]
    list_filter = ["aid_type"]
    raw_id_fields = ["target"]
    readonly_fields = ["held", "delivered", "confirmed", "remaining"]
