from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Provinsi")
    CITY = "city", _("Kota/Kabupaten")
    DISTRICT = "district", _("Kecamatan")
    VILLAGE = "village", _("Kelurahan/Desa")
    RW = "rw", _("RW")


# Number of dot-separated parts in a code at each level: 31 / 31.74 / 31.74.01 /
# 31.74.01.1001 / 31.74.01.1001.005.
LEVEL_BY_DEPTH = {1: Level.PROVINCE, 2: Level.CITY, 3: Level.DISTRICT, 4: Level.VILLAGE, 5: Level.RW}
DEPTH_BY_LEVEL = {level: depth for depth, level in LEVEL_BY_DEPTH.items()}


# The region code rules, in one place. A code is its place in the tree: each level adds
# one dot-separated part to its parent's code, so the codes above a region are the
# prefixes of its own and need no query.


def level_of(code: str) -> Level | None:
    """The level a code has by its form (None for too many parts)."""
    return LEVEL_BY_DEPTH.get(code.count(".") + 1)


def is_region_code(code: str) -> bool:
    """Whether ``code`` has the form of a region code (1 to 5 groups of digits, at most 24
    characters); whether such a region exists is a question for the database."""
    return level_of(code) is not None and len(code) <= 24 and all(part.isdigit() for part in code.split("."))


def parent_code(code: str) -> str | None:
    """The code of the enclosing region (None for a province)."""
    return code.rsplit(".", 1)[0] if "." in code else None


def lineage(code: str) -> list[str]:
    """The code and every code above it, the province first."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def code_at(code: str, level: Level | str) -> str:
    """The code of the region at ``level`` that encloses (or is) ``code``: the kecamatan
    of 31.74.05.1001 is 31.74.05."""
    return ".".join(code.split(".")[: DEPTH_BY_LEVEL[Level(level)]])


def last_part(code: str) -> str:
    """The region's own part of its code (an RW's number, 005 in 31.74.01.1001.005)."""
    return code.rsplit(".", 1)[-1]


def child_level(level: Level | str) -> Level | None:
    """The level one step below ``level`` (None below an RW)."""
    return LEVEL_BY_DEPTH.get(DEPTH_BY_LEVEL[Level(level)] + 1)


def below_q(region: Region | str, path: str = "") -> Q:
    """Regions strictly under ``region`` (a Region or a code): their codes start with its
    code and a dot. ``path`` reaches the region from another model (``"region__"``)."""
    code = region if isinstance(region, str) else region.code
    return Q(**{f"{path}code__startswith": code + "."})


class RegionQuerySet(models.QuerySet["Region"]):
    def below(self, region: Region | str) -> RegionQuerySet:
        """The regions strictly under ``region``, at every level."""
        return self.filter(below_q(region))


class Region(models.Model):
    """One node of the Kemendagri tree, plus RWs below villages. The dotted code is the
    primary key so every table can say where it is without a join."""

    code = models.CharField(max_length=24, primary_key=True)
    name = models.CharField(max_length=120)
    level = models.CharField(max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    centroid_lat = models.FloatField(null=True, blank=True)
    centroid_lng = models.FloatField(null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "name"])]
        verbose_name = _("Wilayah")
        verbose_name_plural = _("Wilayah")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def ancestor_codes(self) -> list[str]:
        """The codes of every region above this one, the province first."""
        return lineage(self.code)[:-1]

    def lineage(self) -> list[str]:
        """This region's code and every code above it, the province first."""
        return lineage(self.code)

    def code_at(self, level: Level | str) -> str:
        """The code of the region at ``level`` that encloses (or is) this one."""
        return code_at(self.code, level)


class Boundary(models.Model):
    """Imported GeoJSON geometry of a region, stored as text (already simplified for the
    map) so the project needs no GIS extension on either database."""

    region = models.OneToOneField(Region, primary_key=True, on_delete=models.CASCADE)
    geometry = models.JSONField()
    source = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Batas wilayah")
        verbose_name_plural = _("Batas wilayah")

    def __str__(self) -> str:
        return f"boundary {self.region_id}"
