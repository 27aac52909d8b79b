"""Rules for text that people type, in one place.

- ``UNSTORABLE``: characters no database we support can keep. PostgreSQL refuses NUL
  (U+0000) in any text value, and a lone surrogate (U+D800–U+DFFF, e.g. a JSON
  ``"\\ud800"``) cannot be encoded as UTF-8 at all. Both are refused at the edge
  (``kolaborasi.core.middleware.CleanInputMiddleware``) before any view runs; the
  services check them again for callers that do not come through HTTP (the CLI).
- ``formula_refusal``: a name a spreadsheet would run as a formula (starting with
  ``= + - @``, a tab or a carriage return; OWASP "CSV injection") is refused where it is
  typed: organisation names, package template names, and the import columns that reach
  the open-data exports. Services are the home of the rule; forms and API schemas call
  the same function so a person sees the message next to the field.
- ``spreadsheet_safe``: what the CSV/XLSX exports do to every text cell anyway, for
  values stored before the rule existed or written by other means.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# The characters refused everywhere. The same class, as a regular expression on code
# points, is what the API schema's string ``pattern`` uses: ``^[^\x00\ud800-\udfff]*$``.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_PATTERN = r"^[^\x00\ud800-\udfff]*$"

# What a spreadsheet reads as the start of a formula (and tab / carriage return, which
# some spreadsheets skip before looking for one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Lengths of free text that the models keep as TextField (no limit in the database):
# long enough for a paragraph, short enough that one form cannot fill the disk.
DESCRIPTION_MAX_LENGTH = 2000
CONTENTS_MAX_LENGTH = 1000


def has_unstorable(value: str) -> bool:
    return UNSTORABLE.search(value) is not None


def unstorable_refusal(value: str) -> str | None:
    """The message for ``value`` if it holds a character the database cannot keep."""
    if has_unstorable(value):
        return _(
            "Isian memuat karakter yang tidak dapat disimpan (karakter NUL atau surrogate "
            "tunggal). Hapus karakter itu lalu kirim lagi."
        )
    return None


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_START)


def formula_refusal(value: str) -> str | None:
    """The message for ``value`` if a spreadsheet would read it as a formula, else None.
    ``value`` is checked as it will be stored (callers strip spaces first)."""
    if is_formula_like(value):
        return _(
            "Nama tidak boleh diawali =, +, -, @, tab atau carriage return: aplikasi "
            "spreadsheet akan membacanya sebagai rumus. Awali dengan huruf atau angka."
        )
    return unstorable_refusal(value)


def spreadsheet_safe(value: object) -> object:
    """``value`` as an export cell: text a spreadsheet would run as a formula gets a
    leading apostrophe (shown as text, never evaluated); numbers, dates and every other
    text stay exactly as they are, so the figures in an export can still be summed."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
