"""A new campaign with its needs — the one write that spans a campaign (campaigns app,
below) and its needs (here): "starting the next response takes minutes". The needs are
computed from the targets' latest counts, or read from a needs CSV the operator brings
(``target,aid_type,quantity``, all or nothing like every import). Earlier campaigns and
their needs are never touched: the new needs are new rows, in the new campaign only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import IO

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.campaigns.errors import CampaignInputError
from kolaborasi.campaigns.models import Campaign, NeedRule
from kolaborasi.campaigns.services import AidTypeUnit, campaign_create
from kolaborasi.core.actor import Actor
from kolaborasi.core.text import UNSTORABLE, formula_refusal

from .imports import _Checker, parse_count, read_csv
from .models import AidType, Need, Target, TargetKind, within_any_q
from .writer import BATCH, copy_objects, write_needs

# The needs CSV: one row per target and aid type. ``target`` is the target's id (as in
# its page's address, /sasaran/ID/) or, for an RW, its code (as the RW import made it,
# e.g. 31.74.05.1003.001); ``aid_type`` is the aid type's slug.
NEEDS_COLUMNS = ["target", "aid_type", "quantity"]
# Larger than any RW or institution; keeps a typo from becoming a need of millions.
NEED_QUANTITY_MAX = 1_000_000


def _aid_types(slugs: Sequence[str]) -> list[AidTypeUnit]:
    wanted = list(dict.fromkeys(str(s).strip() for s in slugs if str(s).strip()))
    if not wanted:
        raise CampaignInputError(_("Pilih minimal satu jenis bantuan."), field="aid_type")
    found = {a.slug: a for a in AidType.objects.filter(slug__in=wanted)}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        known = ", ".join(AidType.objects.filter(active=True).values_list("slug", flat=True))
        raise CampaignInputError(
            _("Jenis bantuan tidak dikenal: %(slugs)s. Yang ada: %(known)s.")
            % {"slugs": ", ".join(unknown), "known": known},
            field="aid_type",
        )
    inactive = [s for s in wanted if not found[s].active]
    if inactive:
        raise CampaignInputError(
            _("Jenis bantuan tidak aktif: %(slugs)s.") % {"slugs": ", ".join(inactive)}, field="aid_type"
        )
    return [AidTypeUnit(found[s].pk, s, found[s].unit) for s in wanted]


def campaign_start(
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    name: str,
    region_codes: Sequence[str],
    aid_type_slugs: Sequence[str],
    start: dt.date,
    end: dt.date | None = None,
    description: str = "",
    needs_csv: bytes | IO[bytes] | None = None,
    needs_label: str = "",
) -> Campaign:
    """Open a campaign over ``region_codes`` collecting ``aid_type_slugs``, and give every
    target in those regions one need per aid type of one unit per vulnerable household
    (residents for an institution), from the target's latest count. With ``needs_csv``
    the needs are exactly the file's rows instead (``needs_import``; ``needs_label``: the
    file's name, kept as the needs' source). All or nothing: a bad field raises CampaignInputError, a
    bad file ImportRejected naming every bad row, and nothing is created."""
    aid_types = _aid_types(aid_type_slugs)
    with transaction.atomic():
        campaign = campaign_create(
            actor=actor,
            organisation=organisation,
            name=name,
            region_codes=region_codes,
            aid_types=aid_types,
            start=start,
            end=end,
            description=description,
            need_rule=NeedRule.HOUSEHOLDS if needs_csv is None else NeedRule.IMPORTED,
        )
        codes = list(campaign.regions.values_list("code", flat=True))
        if needs_csv is not None:
            _needs_import(actor, organisation, campaign, codes, aid_types, needs_csv, needs_label)
            return campaign
        targets = list(Target.objects.filter(within_any_q(codes)).order_by("pk"))
        needs = write_needs(targets, campaign)
        audit_record(
            actor=actor,
            action=AuditAction.CAMPAIGN_NEEDS_COMPUTED,
            obj=campaign,
            after={"rule": NeedRule.HOUSEHOLDS, "targets": len(targets), "needs": needs},
            organisation=organisation,
        )
    return campaign


def _needs_source(label: str) -> str:
    """The imported needs' ``source``: the file's name, when it is safe to show and export."""
    label = " ".join(str(label or "").split())[:200]
    if not label or formula_refusal(label) or UNSTORABLE.search(label):
        return "csv"
    return label


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 18


def _target_key(value: str) -> str:
    """How ``_targets_named`` files a target: an id without leading zeros, else the code."""
    return str(int(value)) if _is_id(value) else value


def _targets_named(values: list[str]) -> dict[str, tuple[int, set[str]]]:
    """The targets the file names, by the value it names them with: their id and the
    codes of every region they lie in (their own, the kelurahan, kecamatan, kota and
    province)."""
    ids = sorted({int(v) for v in values if _is_id(v)})
    codes = sorted({v for v in values if v and not _is_id(v)})
    columns = ("pk", "region_id", "village_id", "district_code", "city_code", "province_code")
    found: dict[str, tuple[int, set[str]]] = {}
    for start in range(0, len(ids), 500):
        for pk, *places in Target.objects.filter(pk__in=ids[start : start + 500]).values_list(*columns):
            found[str(pk)] = (pk, set(places))
    for start in range(0, len(codes), 500):
        rows = Target.objects.filter(kind=TargetKind.RW, region_id__in=codes[start : start + 500])
        for pk, *places in rows.values_list(*columns):
            found[places[0]] = (pk, set(places))
    return found


def _parse_quantity(value: str) -> int:
    number = parse_count(value)
    if number < 1:
        raise ValueError(_("jumlah harus bilangan bulat positif"))
    if number > NEED_QUANTITY_MAX:
        raise ValueError(_("%(number)s lebih dari %(max)s") % {"number": number, "max": NEED_QUANTITY_MAX})
    return number


def needs_rows_to_objects(
    rows: list[dict[str, str]],
    campaign: Campaign,
    region_codes: list[str],
    aid_types: Sequence[AidTypeUnit],
    *,
    source: str = "csv",
    first_line: int = 2,
) -> list[Need]:
    """Check every row of a needs file against ``campaign`` (its regions, its aid types)
    and return its needs, or raise ImportRejected naming each bad row."""
    check = _Checker()
    if not rows:
        check.add(0, "", _("berkas tidak berisi satu baris kebutuhan pun"))
        check.raise_if_any()
    targets = _targets_named([r.get("target", "") for r in rows if "__extra__" not in r])
    by_slug = {a.slug: a for a in aid_types}
    areas = set(region_codes)
    seen: dict[tuple[int, int], int] = {}
    today = timezone.localdate()
    needs: list[Need] = []
    for index, row in enumerate(rows):
        line = first_line + index
        if "__extra__" in row:
            check.add(line, "", _("kolomnya lebih banyak daripada baris judul"))
            continue
        named = row.get("target", "")
        target = targets.get(_target_key(named))
        if not named:
            check.add(line, "target", _("kosong; tulis id sasaran atau kode RW"))
        elif target is None:
            check.add(line, "target", _("sasaran %(value)r tidak dikenal") % {"value": named[:40]})
        elif not areas & target[1]:
            check.add(line, "target", _("sasaran %(value)r di luar wilayah program") % {"value": named})
            target = None
        slug = row.get("aid_type", "").lower()
        aid = by_slug.get(slug)
        if aid is None:
            check.add(
                line,
                "aid_type",
                _("jenis bantuan %(slug)r tidak termasuk program ini; pilih %(choices)s")
                % {"slug": slug[:40], "choices": ", ".join(by_slug)},
            )
        quantity = check.field(line, "quantity", _parse_quantity, row.get("quantity", ""))
        if target is None or aid is None:
            continue
        key = (target[0], aid.id)
        if key in seen:
            check.add(line, "target", _("kebutuhan ganda, juga di baris %(line)s") % {"line": seen[key]})
            continue
        seen[key] = line
        if quantity is None:
            continue
        needs.append(
            Need(
                campaign=campaign,
                accepting=campaign.is_open,
                target_id=target[0],
                aid_type_id=aid.id,
                quantity=quantity,
                source=source,
                as_of=today,
            )
        )
    check.raise_if_any()
    return needs


def _needs_import(
    actor: Actor,
    organisation: Organisation | None,
    campaign: Campaign,
    region_codes: list[str],
    aid_types: Sequence[AidTypeUnit],
    data: bytes | IO[bytes],
    label: str,
) -> None:
    """The needs of a new campaign from a needs CSV; inside campaign_start's transaction."""
    _header, rows = read_csv(data, NEEDS_COLUMNS)
    needs = needs_rows_to_objects(rows, campaign, region_codes, aid_types, source=_needs_source(label))
    for start in range(0, len(needs), BATCH):
        chunk = needs[start : start + BATCH]
        if connection.vendor == "postgresql":
            copy_objects(Need, chunk)
        else:
            Need.objects.bulk_create(chunk)
    audit_record(
        actor=actor,
        action=AuditAction.CAMPAIGN_NEEDS_IMPORTED,
        obj=campaign,
        after={
            "rule": NeedRule.IMPORTED,
            "file": _needs_source(label),
            "targets": len({n.target_id for n in needs}),
            "needs": len(needs),
            "units": sum(n.quantity for n in needs),
        },
        organisation=organisation,
    )
