"""``{{ amount|rupiah }}`` → ``Rp1.000.000.000`` (see kolaborasi/core/money.py)."""

from __future__ import annotations

from typing import Any

from django import template

from kolaborasi.core.money import format_rupiah

register = template.Library()


@register.filter(name="rupiah")
def rupiah(value: Any) -> str:
    return format_rupiah(value)
