"""``{{ row.aid_type_name|aid_type_label }}``: an aid type's stored name, as read by a
person in the active language (see ``kolaborasi.targets.models.aid_type_label``), for
rows that carry the name rather than the model."""

from __future__ import annotations

from django import template

from kolaborasi.targets.models import aid_type_label as _label

register = template.Library()


@register.filter(name="aid_type_label")
def aid_type_label(name: str | None) -> str:
    return _label(name or "")
