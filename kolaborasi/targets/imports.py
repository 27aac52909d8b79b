"""CSV importers for RWs and institutions. A file is applied all-or-nothing: every row
is checked first, and any bad row rejects the whole file with a report naming row,
column and reason. The checked rows are written by writer.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.campaigns.errors import CampaignClosed
from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.services import AidTypeUnit, campaign_for_new_needs
from kolaborasi.core.errors import ImportRejected, RowError
from kolaborasi.core.text import UNSTORABLE, formula_refusal, unstorable_refusal
from kolaborasi.regions.models import Level, Region

from .models import INSTITUTION_KINDS, AidType, Target, TargetKind
from .writer import Progress, write_targets

RW_COLUMNS = ["village_code", "rw_number", "households", "head_name", "as_of", "source"]
RW_REQUIRED = ["village_code", "rw_number", "households", "as_of", "source"]
INSTITUTION_COLUMNS = [
    "village_code",
    "kind",
    "name",
    "residents",
    "as_of",
    "source",
    "address",
    "lat",
    "lng",
    "head_name",
]
INSTITUTION_REQUIRED = ["village_code", "kind", "name", "residents", "as_of", "source"]
MAX_ERRORS = 200


@dataclass
class ImportResult:
    created: int
    needs: int


def read_csv(data: bytes | IO[bytes], required: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Decode and split a CSV file, or raise ImportRejected for encoding/header problems."""
    raw = data if isinstance(data, bytes) else data.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            [RowError(line, "", _("berkas bukan UTF-8: bita %(byte)s tidak terbaca") % {"byte": exc.start})]
        ) from None
    # The database cannot store a NUL character (nor can the csv module be trusted to
    # refuse one): name its line instead of failing at the first insert.
    if (bad := UNSTORABLE.search(text)) is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise ImportRejected([RowError(line, "", unstorable_refusal(text[bad.start()]) or "")])
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise ImportRejected([RowError(1, "", _("berkas kosong"))])
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected([RowError(1, c, _("kolom wajib tidak ada")) for c in missing])
    rows = []
    for row in reader:
        if None in row:
            rows.append({"__extra__": "x", **{k: v for k, v in row.items() if k is not None}})
        else:
            rows.append({k: (v or "").strip() for k, v in row.items()})
    return header, rows


def parse_count(value: str) -> int:
    if value == "":
        raise ValueError(_("kosong"))
    try:
        number = int(value)
    except ValueError:
        raise ValueError(_("%(value)r bukan bilangan bulat") % {"value": value}) from None
    if number < 0:
        raise ValueError(_("%(number)s negatif") % {"number": number})
    return number


def parse_date(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        # The programme's local date (TIME_ZONE), read the same way as every other
        # "not in the future" check, not from the process clock.
        if parsed > timezone.localdate():
            raise ValueError(_("%(value)r di masa depan") % {"value": value})
        return parsed
    raise ValueError(_("%(value)r bukan tanggal YYYY-MM-DD atau DD/MM/YYYY") % {"value": value})


def parse_coordinate(value: str, low: float, high: float) -> float | None:
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(_("%(value)r bukan angka") % {"value": value}) from None
    if not low <= number <= high:
        raise ValueError(
            _("%(number)s di luar rentang %(low)s..%(high)s") % {"number": number, "low": low, "high": high}
        )
    return number


def _village_map(codes: Iterable[str]) -> dict[str, Region]:
    wanted = sorted(set(codes))
    found: dict[str, Region] = {}
    for start in range(0, len(wanted), 500):
        for region in Region.objects.filter(code__in=wanted[start : start + 500], level=Level.VILLAGE):
            found[region.code] = region
    return found


class _Checker:
    """Collects row errors, at most MAX_ERRORS of them."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def field(self, line: int, column: str, parse: Callable[[str], Any], value: str) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            self.add(line, column, str(exc))
            return None

    def add(self, line: int, column: str, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, column, reason))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ImportRejected(self.errors)


def _campaign_for(actor: object | None, campaign: Campaign | None, targets: list[Target]) -> Campaign:
    """The campaign the imported targets' needs belong to: the one named, which must be
    open, else the one open campaign (the first one, opened over the targets' provinces,
    on an installation that has none yet). Every target must lie in its area."""
    if campaign is None:
        active = AidType.objects.filter(active=True).order_by("pk")
        campaign = campaign_for_new_needs(
            actor=actor,  # type: ignore[arg-type]
            region_codes=sorted({t.province_code for t in targets}),
            aid_types=[AidTypeUnit(a.pk, a.slug, a.unit) for a in active],
        )
    elif not campaign.is_open:
        raise CampaignClosed(campaign.name, campaign.slug, campaign.status)
    _check_within(campaign, targets)
    return campaign


def _check_within(campaign: Campaign, targets: list[Target]) -> None:
    """Refuse the file when a target lies outside the campaign's regions: its needs would
    count in a response that does not cover it."""
    areas = list(campaign.regions.order_by("code").values_list("code", flat=True))
    codes = (t.region_id or t.village_id for t in targets)
    outside = [c for c in codes if not any(c == area or c.startswith(area + ".") for area in areas)]
    if outside:
        raise ImportRejected(
            [
                RowError(
                    0,
                    "",
                    _(
                        "%(count)s sasaran di luar wilayah program %(name)s (%(areas)s), mis. "
                        "%(examples)s. Impor ke program yang mencakupnya (--campaign), atau buat "
                        "program untuk wilayah itu."
                    )
                    % {
                        "count": len(outside),
                        "name": campaign.name,
                        "areas": ", ".join(areas),
                        "examples": ", ".join(outside[:3]),
                    },
                )
            ]
        )


def _location(village: Region) -> dict[str, str]:
    return {
        "district_code": village.code_at(Level.DISTRICT),
        "city_code": village.code_at(Level.CITY),
        "province_code": village.code_at(Level.PROVINCE),
    }


def rw_rows_to_objects(
    rows: list[dict[str, str]], *, synthetic: bool = False, first_line: int = 2
) -> tuple[list[Region], list[Target]]:
    """Validate RW rows; return the region and target rows to write, or raise."""
    check = _Checker()
    villages = _village_map(r.get("village_code", "") for r in rows)
    seen: dict[str, int] = {}
    parsed = []
    for index, row in enumerate(rows):
        line = first_line + index
        if "__extra__" in row:
            check.add(line, "", _("kolomnya lebih banyak daripada baris judul"))
            continue
        code = row.get("village_code", "")
        village = villages.get(code)
        if village is None:
            check.add(line, "village_code", _("kode kelurahan/desa %(code)r tidak dikenal") % {"code": code})
        number = check.field(line, "rw_number", parse_count, row.get("rw_number", ""))
        if number is not None and not 1 <= number <= 999:
            check.add(line, "rw_number", _("nomor RW %(number)s harus 1..999") % {"number": number})
            number = None
        households = check.field(line, "households", parse_count, row.get("households", ""))
        as_of = check.field(line, "as_of", parse_date, row.get("as_of", ""))
        source = row.get("source", "")
        if not source:
            check.add(line, "source", _("sumber data kosong"))
        elif problem := formula_refusal(source):
            check.add(line, "source", problem)
        head = row.get("head_name", "")
        if len(head) > 120:
            check.add(line, "head_name", _("lebih dari 120 karakter"))
        if village is None or number is None:
            continue
        rw_code = f"{code}.{number:03d}"
        if rw_code in seen:
            check.add(
                line,
                "rw_number",
                _("RW %(code)s ganda, juga di baris %(line)s") % {"code": rw_code, "line": seen[rw_code]},
            )
            continue
        seen[rw_code] = line
        parsed.append((line, village, rw_code, number, households, as_of, source, head))
    existing: set[str] = set()
    codes = list(seen)
    for start in range(0, len(codes), 500):
        existing.update(
            Region.objects.filter(code__in=codes[start : start + 500]).values_list("code", flat=True)
        )
    for line, _v, rw_code, *_rest in parsed:
        if rw_code in existing:
            check.add(line, "rw_number", _("RW %(code)s sudah ada") % {"code": rw_code})
    check.raise_if_any()
    regions, targets = [], []
    for _line, village, rw_code, number, households, as_of, source, head in parsed:
        name = f"RW {number:03d}"
        regions.append(Region(code=rw_code, name=name, level=Level.RW, parent_id=village.code))
        targets.append(
            Target(
                kind=TargetKind.RW,
                name=f"{name} {village.name}",
                region_id=rw_code,
                village_id=village.code,
                size=households,
                head_name=head,
                as_of=as_of,
                source=source[:200],
                synthetic=synthetic,
                **_location(village),
            )
        )
    return regions, targets


def institution_rows_to_objects(
    rows: list[dict[str, str]], *, synthetic: bool = False, first_line: int = 2
) -> list[Target]:
    check = _Checker()
    villages = _village_map(r.get("village_code", "") for r in rows)
    seen: dict[tuple[str, str, str], int] = {}
    targets = []
    for index, row in enumerate(rows):
        line = first_line + index
        if "__extra__" in row:
            check.add(line, "", _("kolomnya lebih banyak daripada baris judul"))
            continue
        code = row.get("village_code", "")
        village = villages.get(code)
        if village is None:
            check.add(line, "village_code", _("kode kelurahan/desa %(code)r tidak dikenal") % {"code": code})
        kind = row.get("kind", "")
        if kind not in INSTITUTION_KINDS:
            check.add(
                line,
                "kind",
                _("jenis %(kind)r tidak dikenal; pilih %(choices)s")
                % {"kind": kind, "choices": ", ".join(INSTITUTION_KINDS)},
            )
        name = row.get("name", "")
        if not name or len(name) > 200:
            check.add(line, "name", _("nama kosong atau lebih dari 200 karakter"))
        elif problem := formula_refusal(name):
            check.add(line, "name", problem)
        residents = check.field(line, "residents", parse_count, row.get("residents", ""))
        as_of = check.field(line, "as_of", parse_date, row.get("as_of", ""))
        source = row.get("source", "")
        if not source:
            check.add(line, "source", _("sumber data kosong"))
        elif problem := formula_refusal(source):
            check.add(line, "source", problem)
        lat = check.field(line, "lat", lambda v: parse_coordinate(v, -90, 90), row.get("lat", ""))
        lng = check.field(line, "lng", lambda v: parse_coordinate(v, -180, 180), row.get("lng", ""))
        if (row.get("lat", "") == "") != (row.get("lng", "") == ""):
            check.add(line, "lat", _("lat dan lng harus diisi keduanya atau tidak sama sekali"))
        key = (code, kind, name.lower())
        if key in seen:
            check.add(line, "name", _("lembaga ganda, juga di baris %(line)s") % {"line": seen[key]})
            continue
        seen[key] = line
        if village is None or residents is None or kind not in INSTITUTION_KINDS or not name:
            continue
        targets.append(
            Target(
                kind=kind,
                name=name,
                region_id=village.code,
                village_id=village.code,
                size=residents,
                head_name=row.get("head_name", "")[:120],
                address=row.get("address", "")[:250],
                lat=lat,
                lng=lng,
                as_of=as_of,
                source=source[:200],
                synthetic=synthetic,
                **_location(village),
            )
        )
    existing: set[tuple[str, str, str]] = set()
    village_codes = sorted(villages)
    for start in range(0, len(village_codes), 500):
        rows_in_db = (
            Target.objects.filter(village_id__in=village_codes[start : start + 500])
            .exclude(kind=TargetKind.RW)
            .values_list("village_id", "kind", "name")
        )
        existing.update((v, k, n.lower()) for v, k, n in rows_in_db)
    for (code, kind, lowered), line in seen.items():
        if (code, kind, lowered) in existing:
            check.add(line, "name", _("lembaga ini sudah ada di %(code)s") % {"code": code})
    check.raise_if_any()
    return targets


def rw_import(
    *,
    actor: object | None,
    data: bytes | IO[bytes],
    label: str = "",
    progress: Progress | None = None,
    campaign: Campaign | None = None,
) -> ImportResult:
    _header, rows = read_csv(data, RW_REQUIRED)
    return rw_import_rows(actor=actor, rows=rows, label=label, progress=progress, campaign=campaign)


def rw_import_rows(
    *,
    actor: object | None,
    rows: list[dict[str, str]],
    label: str = "",
    synthetic: bool = False,
    progress: Progress | None = None,
    campaign: Campaign | None = None,
) -> ImportResult:
    """Create the RWs of ``rows`` and their needs in ``campaign`` (default: the one open
    campaign)."""
    regions, targets = rw_rows_to_objects(rows, synthetic=synthetic)
    with transaction.atomic():
        into = _campaign_for(actor, campaign, targets)
        needs = write_targets(regions, targets, into, progress)
        audit_record(
            actor=actor,
            action=AuditAction.TARGETS_RW_IMPORTED,
            object_type="targets.target",
            object_id=label or "csv",
            after={"rws": len(targets), "needs": needs, "synthetic": synthetic, "campaign": into.pk},
        )
    return ImportResult(created=len(targets), needs=needs)


def institution_import(
    *,
    actor: object | None,
    data: bytes | IO[bytes],
    label: str = "",
    progress: Progress | None = None,
    campaign: Campaign | None = None,
) -> ImportResult:
    _header, rows = read_csv(data, INSTITUTION_REQUIRED)
    return institution_import_rows(actor=actor, rows=rows, label=label, progress=progress, campaign=campaign)


def institution_import_rows(
    *,
    actor: object | None,
    rows: list[dict[str, str]],
    label: str = "",
    synthetic: bool = False,
    progress: Progress | None = None,
    campaign: Campaign | None = None,
) -> ImportResult:
    """Create the institutions of ``rows`` and their needs in ``campaign`` (default: the
    one open campaign)."""
    targets = institution_rows_to_objects(rows, synthetic=synthetic)
    with transaction.atomic():
        into = _campaign_for(actor, campaign, targets)
        needs = write_targets([], targets, into, progress)
        audit_record(
            actor=actor,
            action=AuditAction.TARGETS_INSTITUTIONS_IMPORTED,
            object_type="targets.target",
            object_id=label or "csv",
            after={
                "institutions": len(targets),
                "needs": needs,
                "synthetic": synthetic,
                "campaign": into.pk,
            },
        )
    return ImportResult(created=len(targets), needs=needs)
