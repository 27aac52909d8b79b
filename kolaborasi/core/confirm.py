"""Ask before an action that cannot be undone (cancel a pledge, reject a donation, revoke
a token). The action's button posts as before; without ``yakin=1`` the view answers a
page that says what will happen, with the same form posted again to go ahead and a way
back. It needs no JavaScript, and a stray click or a resent form changes nothing."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import Promise

CONFIRM_FIELD = "yakin"


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "1"


def confirmation_page(
    request: HttpRequest,
    *,
    title: str | Promise,
    consequence: str | Promise,
    action_label: str | Promise,
    back_url: str,
    keep: tuple[str, ...] = (),
    fields: tuple[tuple[str, str | Promise], ...] = (),
) -> TemplateResponse:
    """The question page. ``keep`` names posted fields sent on again unchanged;
    ``fields`` are text boxes to fill on the way (name, label), e.g. a reason."""
    return TemplateResponse(
        request,
        "core/confirm.html",
        {
            "title": title,
            "consequence": consequence,
            "action_label": action_label,
            "back_url": back_url,
            "kept": [(name, request.POST.get(name, "")) for name in keep],
            "fields": [(name, label, request.POST.get(name, "")) for name, label in fields],
            "confirm_field": CONFIRM_FIELD,
        },
    )
