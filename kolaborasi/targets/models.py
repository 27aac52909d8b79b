from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast, Greatest
from django.utils.translation import get_language, gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kolaborasi.regions.models import Level, Region, level_of

# The names of the aid types that migration 0002 seeds, listed here so that the
# catalogue carries their translations (the stored name stays Indonesian).
SEEDED_AID_TYPE_NAMES = (
    gettext_noop("Sembako"),
    gettext_noop("Makanan siap saji"),
    gettext_noop("Paket lebaran"),
)
# The unit an aid type is counted in unless an operator sets another.
DEFAULT_UNIT = gettext_noop("paket")


def aid_type_label(name: str, name_en: str = "") -> str:
    """An aid type's name for a person, in the active language: in English the name an
    operator gave in ``name_en``, else the catalogue's translation of the stored name
    (which is the stored name itself when the catalogue does not know it). Exports and
    the API keep the stored name."""
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return gettext(name) if name else name


class AidType(models.Model):
    slug = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=80)
    name_en = models.CharField(
        _("nama dalam bahasa Inggris"),
        max_length=80,
        blank=True,
        help_text=_("Dipakai di halaman berbahasa Inggris; kosongkan untuk memakai terjemahan katalog."),
    )
    unit = models.CharField(_("satuan"), max_length=30, default=DEFAULT_UNIT)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["sort_order", "slug"]
        verbose_name = _("jenis bantuan")
        verbose_name_plural = pgettext_lazy("model jamak", "jenis bantuan")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return aid_type_label(self.name, self.name_en)

    @property
    def display_unit(self) -> str:
        return gettext(self.unit) if self.unit else self.unit


class TargetKind(models.TextChoices):
    RW = "rw", _("RW prioritas")
    PESANTREN = "pesantren", _("Pesantren")
    PANTI_ASUHAN = "panti-asuhan", _("Panti asuhan")
    PANTI_DISABILITAS = "panti-disabilitas", _("Panti disabilitas")
    PANTI_JOMPO = "panti-jompo", _("Panti jompo")


INSTITUTION_KINDS = [k for k in TargetKind.values if k != TargetKind.RW]

# "This target lies in region X": the Target column holding the code of the enclosing
# region at X's level (an institution's region is its village, so its ``region_id`` is
# a village code and it is found under the village through ``village_id``).
REGION_COLUMN: dict[str, str] = {
    Level.PROVINCE: "province_code",
    Level.CITY: "city_code",
    Level.DISTRICT: "district_code",
    Level.VILLAGE: "village_id",
    Level.RW: "region_id",
}


def region_column(level: Level | str) -> str:
    """The Target column that says "under a region of this level"."""
    return REGION_COLUMN[Level(level)]


def within_q(region: Region | str | None, path: str = "") -> Q:
    """Targets in ``region`` (a Region or a code) or anywhere under it, for a query on
    Target (``path`` "") or on a model reaching a target through ``path`` (``"target__"``
    from a need or a pledge): one indexed equality on a copied code. None: everywhere.
    ValueError for a string that is not a region code."""
    if region is None:
        return Q()
    if isinstance(region, str):
        level = level_of(region)
        if level is None:
            raise ValueError(f"bad region code {region!r}")
        return Q(**{path + region_column(level): region})
    return Q(**{path + region_column(region.level): region.code})


def within_any_q(codes: Iterable[str], path: str = "") -> Q:
    """Targets under any of ``codes`` (an empty list matches nothing)."""
    by_column: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        level = level_of(code)
        if level is not None:
            by_column[region_column(level)].append(code)
    q = Q(pk__in=[])
    for column, column_codes in by_column.items():
        q |= Q(**{f"{path}{column}__in": column_codes})
    return q


class TargetQuerySet(models.QuerySet["Target"]):
    def within(self, region: Region | str | None) -> TargetQuerySet:
        """The targets in ``region`` or anywhere under it (all of them for None)."""
        return self.filter(within_q(region))


class Target(models.Model):
    """What receives aid: an RW (size = vulnerable households) or an institution
    (size = residents). The codes of every enclosing region are copied onto the row
    (they never change: a code *is* its place in the tree) so that "everything under
    this region" is one indexed equality, on SQLite and PostgreSQL alike."""

    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    name = models.CharField(max_length=200)
    # The RW's own region row for RWs; the village for institutions.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="targets")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    district_code = models.CharField(max_length=24)
    city_code = models.CharField(max_length=24)
    province_code = models.CharField(max_length=24)
    size = models.PositiveIntegerField(help_text=_("KK rentan (RW) atau penghuni (lembaga)"))
    head_name = models.CharField(_("nama Ketua RW / pengurus"), max_length=120, blank=True)
    # A person's name is public only with their consent, which an operator records here;
    # otherwise the public reads the role (``public_head``). A database default, so rows
    # loaded without this column (COPY) keep the name private.
    head_name_public = models.BooleanField(
        _("nama boleh tampil publik"),
        default=False,
        db_default=False,
        help_text=_("Centang hanya bila Ketua RW / pengurus setuju namanya tampil di halaman publik."),
    )
    address = models.CharField(max_length=250, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    as_of = models.DateField(null=True, blank=True)
    synthetic = models.BooleanField(default=False, help_text=_("data sintetis (demo)"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("model", "sasaran")
        verbose_name_plural = pgettext_lazy("model jamak", "sasaran")
        ordering = ["region_id", "name"]
        constraints = [
            # One target per RW region; institutions may share a village.
            models.UniqueConstraint(fields=["region"], condition=Q(kind="rw"), name="target_one_per_rw"),
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="target_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lng__isnull=True) | Q(lng__gte=-180, lng__lte=180), name="target_lng_range"
            ),
        ]
        indexes = [
            models.Index(fields=["city_code", "kind"]),
            models.Index(fields=["district_code", "kind"]),
            models.Index(fields=["province_code", "kind"]),
            models.Index(fields=["village", "kind"]),
            models.Index(fields=["kind"]),
            models.Index(fields=["name"]),
            # The few institutions among ~400k RWs: lets "RWs only" reads (the planner's
            # needs) be an anti-join against this small set instead of a join with every RW.
            models.Index(fields=["id"], condition=~Q(kind="rw"), name="target_institution_idx"),
        ]

    def __str__(self) -> str:
        return self.name


def public_head(*, kind: str, region_code: str, head_name: str, public: bool) -> str:
    """How the person at the head of a target appears in public — the one rule for every
    page, map popup and API answer: their name only if they agreed (``head_name_public``),
    otherwise the role of an RW's head ("Ketua RW 005"); nothing for an institution's
    head who did not agree."""
    if head_name and public:
        return head_name
    if kind == TargetKind.RW:
        return gettext("Ketua RW %(number)s") % {"number": region_code.rsplit(".", 1)[-1]}
    return ""


class Need(models.Model):
    """How many units of one aid type a target needs, and how many of them are held.

    ``held`` is the units held by live pledges (committed + delivered, never the released
    remainder of cancelled/expired ones). Pledges reserve with one conditional UPDATE
    ``held = held + n WHERE quantity - held >= n`` (docs/architecture.md, invariant 1).
    ``quantity`` may later drop below ``held`` when a coordinator corrects the count: the
    target is then over-covered and ``remaining`` is zero, never negative."""

    # The campaign (programme) this need belongs to: each campaign has its own needs,
    # counters and figures; a target has at most one need per aid type in each.
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="needs")
    # No index of its own: need_target_cover_idx starts with target.
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="needs", db_index=False)
    aid_type = models.ForeignKey(AidType, on_delete=models.PROTECT, related_name="needs")
    quantity = models.PositiveIntegerField()
    held = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    remaining = models.GeneratedField(
        expression=Greatest(F("quantity") - F("held"), 0),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    # Share of the need already held by live pledges, capped at 1. A need with nothing
    # left to give (fully or over-covered, or a zero need) is 1.0, so ordering by
    # coverage alone already puts those last. Stored and indexed with the aid type so
    # the priority order (see targets.priority) is an index walk, not a sort
    # of every need in the country. Computed from quantity/held directly because a
    # generated column may not refer to another generated column on PostgreSQL.
    coverage = models.GeneratedField(
        expression=Case(
            When(
                quantity__gt=F("held"),
                then=Cast(F("held"), FloatField()) / Cast(F("quantity"), FloatField()),
            ),
            default=Value(1.0),
            output_field=FloatField(),
        ),
        output_field=models.FloatField(),
        db_persist=True,
    )
    # Whether the need's campaign is open: only then may a pledge reserve it or a
    # delivery count on it. A copy of the campaign's status that its services keep in
    # step (campaigns.services), so that the reservation's one conditional UPDATE refuses
    # a closed campaign by itself — a close and a pledge cannot cross (invariant 1).
    accepting = models.BooleanField(default=True, db_default=True)
    source = models.CharField(max_length=200, blank=True)
    as_of = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "kebutuhan")
        verbose_name_plural = pgettext_lazy("model jamak", "kebutuhan")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "target", "aid_type"], name="need_unique_per_campaign_aid_type"
            ),
            models.CheckConstraint(condition=Q(delivered__lte=F("held")), name="need_delivered_le_held"),
            models.CheckConstraint(
                condition=Q(confirmed__lte=F("delivered")), name="need_confirmed_le_delivered"
            ),
        ]
        indexes = [
            models.Index(fields=["aid_type", "remaining"]),
            # The priority order per aid type: least covered, then most remaining, then id.
            models.Index(fields=["aid_type", "coverage", "-remaining", "target"], name="need_priority_idx"),
            # A kota's page in priority order reads its few thousand targets and each one's
            # need of the aid type: with coverage and remaining in the index that lookup is
            # index-only (no visit to the table) for every target of the area.
            models.Index(
                fields=["target", "aid_type", "coverage", "remaining"], name="need_target_cover_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} · {self.aid_type}: {self.quantity}"

    @property
    def over_covered(self) -> bool:
        return self.held > self.quantity
