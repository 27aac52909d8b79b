"""Rupiah the Indonesian way, in and out. Amounts are whole rupiah written with dots
between thousands: ``Rp50.000.000``. A person may type "50.000.000", "50000000",
"Rp 50.000.000" or "Rp50.000.000"; anything that could be read as another number —
a comma ("50,000" is fifty thousand to some and fifty to others), decimals ("50.000,5"),
dots not between groups of three ("50.00") — is refused with a sentence that says how
to write it, never silently read as something else."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

# Whole rupiah: plain ASCII digits, or groups of three after the first 1–3 digits.
_PLAIN = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_PREFIX = re.compile(r"^rp\.?\s*", re.IGNORECASE)
# More digits than any amount the platform records (a quadrillion rupiah): refused before
# Python is asked to read a number thousands of digits long.
MAX_DIGITS = 16


def format_rupiah(value: Any) -> str:
    """``50000000`` → ``Rp50.000.000`` (the same in every language, as on a bank
    statement); "" for something that is not a whole number."""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{group_thousands(abs(amount))}"


def group_thousands(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def parse_rupiah(text: str) -> int:
    """The whole rupiah ``text`` means, or ``ValueError`` with the reason in the
    request's language."""
    cleaned = _PREFIX.sub("", text.strip()).replace(" ", "")
    if not cleaned:
        raise ValueError(_("Tulis jumlahnya dalam rupiah, misalnya 50.000.000."))
    if "," in cleaned:
        raise ValueError(
            _("Jangan memakai koma: rupiah ditulis utuh dengan titik di antara ribuan, misalnya 50.000.000.")
        )
    if _PLAIN.fullmatch(cleaned) or _GROUPED.fullmatch(cleaned):
        digits = cleaned.replace(".", "")
        if len(digits.lstrip("0")) > MAX_DIGITS:
            raise ValueError(_("Jumlah ini terlalu besar untuk dicatat."))
        return int(digits)
    if "." in cleaned and re.fullmatch(r"[0-9.]+", cleaned):
        raise ValueError(
            _("Titik hanya dipakai di antara setiap tiga angka, misalnya 1.500.000 atau 1500000.")
        )
    raise ValueError(_("Jumlah hanya boleh berisi angka (dan titik di antara ribuan), misalnya 50.000.000."))


class RupiahInput(forms.TextInput):
    """A text box with the numeric keyboard on phones, and beside it the amount read
    back as the server understands it while the person types (htmx; without JavaScript
    the form shows it after sending)."""

    template_name = "core/widgets/rupiah.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        super().__init__({**base, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "hx-get": reverse("core:money_preview"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "next output",
                "hx-swap": "innerHTML",
            }
        )
        # After a send, the amount as read (or why it could not be) stays beside the box.
        typed = context["widget"]["value"]
        context["widget"]["preview"] = preview(typed)[0] if typed not in (None, "") else ""
        return context

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, int):
            return group_thousands(value)
        return super().format_value(value)


class RupiahField(forms.Field):
    """A form field for whole rupiah, read by :func:`parse_rupiah`, bounded like an
    ``IntegerField`` with the bounds written as rupiah in the message."""

    widget = RupiahInput

    def __init__(self, *, min_value: int = 1, max_value: int | None = None, **kwargs: Any) -> None:
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            amount = parse_rupiah(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None
        if amount < self.min_value:
            raise ValidationError(
                _("Jumlah paling sedikit %(min)s.") % {"min": format_rupiah(self.min_value)}, code="min_value"
            )
        if self.max_value is not None and amount > self.max_value:
            raise ValidationError(
                _("Jumlah paling banyak %(max)s.") % {"max": format_rupiah(self.max_value)}, code="max_value"
            )
        return amount


def preview(text: str) -> tuple[str, bool]:
    """What the person typed, read back: (``Rp50.000.000``, True) or (the reason, False)."""
    try:
        return format_rupiah(parse_rupiah(text)), True
    except ValueError as exc:
        return str(exc), False
