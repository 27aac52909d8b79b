"""The application's errors, in one hierarchy.

A service refuses by raising an :class:`AppError`: a message already in the reader's
language (or a lazy one), the input ``field`` at fault when there is one, and the HTTP
``status`` that refusal means. Every caller reads the same three things: the API answers
``{"detail": ...}`` with the status (plus :meth:`AppError.extra`, e.g. what is still
possible) from one handler (``kolaborasi.core.api_contract.ContractAPI``); an HTML view
shows a form's field error itself, and anything it does not catch becomes the refusal page
(``kolaborasi.core.error_pages.RefusalMiddleware``).

``NotFound`` and ``Forbidden`` are also Django's ``Http404`` and ``PermissionDenied``, so
code written against those keeps working. Import files report per row instead:
:class:`RowError` and :class:`ImportRejected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A message already translated, or a lazy one translated when it is shown.
type Message = StrOrPromise


class AppError(Exception):
    """A refusal; nothing was changed. ``message`` says what happened and what to do."""

    status: ClassVar[int] = 400
    default_message: ClassVar[Message] = gettext_lazy("Permintaan tidak dapat diproses.")
    # Whether the API's ``detail`` starts with the field's name ("quantity: ...").
    field_in_detail: ClassVar[bool] = True

    def __init__(self, message: Message | None = None, *, field: str = "") -> None:
        self.message: Message = message if message is not None else self.default_message
        self.field = field
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)

    @property
    def detail(self) -> str:
        """The API's ``detail`` sentence."""
        if self.field and self.field_in_detail:
            return f"{self.field}: {self.message}"
        return str(self.message)

    def extra(self) -> dict[str, Any]:
        """More fields of the API's answer (what is still possible, what conflicted)."""
        return {}


class Invalid(AppError, ValueError):
    """The input is wrong: out of its bounds, missing, or against a rule between fields."""

    status = 422
    default_message = gettext_lazy("Isian belum benar.")


class Conflict(AppError):
    """Well formed, but the current state refuses it (a need's remaining units, a
    balance, a record already decided)."""

    status = 409
    default_message = gettext_lazy("Tidak dapat dilakukan sekarang.")


class Forbidden(AppError, PermissionDenied):
    """The acting organisation's kind or role may not do this."""

    status = 403
    default_message = gettext_lazy("Anda tidak memiliki akses.")


class NotFound(AppError, Http404):
    """No such thing, or not one the acting organisation may see."""

    status = 404
    default_message = gettext_lazy("Tidak ditemukan.")


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line in the file; the header is row 1
    column: str
    reason: str
    unit: str = "baris"  # "baris" (row) for CSV, "fitur" (feature) for GeoJSON

    def __str__(self) -> str:
        where = f"{self.unit} {self.row}" if self.row else "berkas"
        col = f", kolom {self.column!r}" if self.column else ""
        return f"{where}{col}: {self.reason}"


class ImportRejected(Exception):
    """Raised when a file has any bad row; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(gettext("%(count)s kesalahan; tidak ada yang diubah") % {"count": len(errors)})
