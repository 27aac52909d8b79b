"""``{% once_key %}``: the hidden one-time key of a form that creates something (see
kolaborasi.core.once). A new key each time the form is shown."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kolaborasi.core.once import FIELD, new_key

register = template.Library()


@register.simple_tag
def once_key() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())
