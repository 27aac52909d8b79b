from django.db import models
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


def level_of(code: str) -> Level | None:
    return LEVEL_BY_DEPTH.get(code.count(".") + 1)


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

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "name"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def ancestor_codes(self) -> list[str]:
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts))]


class Boundary(models.Model):
    """Imported GeoJSON geometry of a region, stored as text (already simplified for the
    map) so the project needs no GIS extension on either database."""

    region = models.OneToOneField(Region, primary_key=True, on_delete=models.CASCADE)
    geometry = models.JSONField()
    source = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"boundary {self.region_id}"
