import re
from typing import Any

from django.contrib import admin
from django.db.models import Case, Q, QuerySet, Value, When
from django.http import HttpRequest

from .models import DEPTH_BY_LEVEL, Boundary, Region

# "RW 1 Cipulir", "rw 001 cipulir": an RW is named by its number and its kelurahan.
RW_BY_NAME = re.compile(r"rw\s*0*(\d{1,3})\s+(.{2,})", re.IGNORECASE)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Region], search_term: str
    ) -> tuple[QuerySet[Region], bool]:
        """The search behind every region box of the admin (a coordinator's area is
        chosen in one, by typing, a page of results at a time — never the whole registry
        as options): a place by its name or code, a place of exactly that name first,
        then larger places before smaller ones, as in the area picker; and an RW by its
        number and kelurahan ("RW 1 Cipulir"), since RWs share their names."""
        term = search_term.strip()
        rw = RW_BY_NAME.fullmatch(term)
        if rw is not None:
            number, village = rw.groups()
            found = queryset.filter(name=f"RW {int(number):03d}", parent__name__icontains=village.strip())
            return found.order_by("code"), False
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if not term:
            return results, duplicates
        depth = Case(*(When(level=level, then=Value(d)) for level, d in DEPTH_BY_LEVEL.items()))
        exact = Case(When(Q(name__iexact=term) | Q(code=term), then=Value(0)), default=Value(1))
        ranked = results.annotate(exact=exact, depth=depth).order_by("exact", "depth", "name", "code")
        return ranked, duplicates

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("parent")


@admin.register(Boundary)
class BoundaryAdmin(admin.ModelAdmin):
    list_display = ["region", "source", "imported_at"]
    raw_id_fields = ["region"]
