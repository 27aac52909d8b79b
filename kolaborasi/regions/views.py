"""The region picker's fragment, for htmx: the picker re-drawn after a choice or while
a name is typed (see picker.py)."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse

from kolaborasi.core.throttle import by_client, throttle

from .models import Level
from .picker import PICKABLE, region_pick

_FIELD_NAME = re.compile(r"[a-z_]{1,30}")
_CONTROL_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,40}")


# Public and asked on every keystroke: bounded per address like the map data.
@throttle("places", by_client, methods=("GET",))
def picker(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("_name", "")
    deepest = request.GET.get("_deepest", Level.VILLAGE)
    if not _FIELD_NAME.fullmatch(name) or deepest not in PICKABLE:
        return HttpResponseBadRequest()
    pick = region_pick(request.GET, name=name, deepest=deepest)
    control_id = request.GET.get("_id", "")
    if _CONTROL_ID.fullmatch(control_id):
        pick.select_id = control_id  # a form's own id, so its label keeps pointing at the select
    pick.bare = bool(request.GET.get("_bare"))
    return TemplateResponse(request, "regions/picker.html", {"pick": pick})
