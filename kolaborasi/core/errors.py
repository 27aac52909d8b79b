"""Errors every input path shares: a report that names row, column and reason."""

from __future__ import annotations

from dataclasses import dataclass


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
        super().__init__(f"{len(errors)} kesalahan; tidak ada yang diubah (nothing was changed)")
