"""Running totals of the need counters per campaign and kelurahan (village), so that the public
figures of the country or a kota are a sum over tens of thousands of rows instead of a
pass over every need and target (see ``kolaborasi.stats.tally``).

Nothing in the application writes these tables through the ORM:

- ``TallyDelta`` rows are appended by a database trigger on ``targets_need`` (migration
  ``stats.0003``), in the same transaction as the change they record, whatever code
  made it (a pledge, a delivery, a cancellation, an expiry, a need update, an import).
  An insert takes no lock another writer waits for.
- ``tally.fold()`` moves them into ``TargetLive`` and ``Tally`` before the figures are
  read; ``tally.rebuild()`` recomputes both from the needs.
"""

from django.db import models


class TallyDelta(models.Model):
    """The change of one need's counters by one write (new minus old)."""

    id = models.BigAutoField(primary_key=True)
    # Plain columns, no foreign keys: the trigger's insert checks nothing and a delta
    # may outlive its target (a deleted target's needs give their counters back).
    campaign_id = models.BigIntegerField(default=0)
    target_id = models.BigIntegerField()
    aid_type_id = models.BigIntegerField()
    held = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField(default=0)
    confirmed = models.BigIntegerField(default=0)
    # +1 / -1 when the need becomes / stops being fully pledged (held ≥ quantity > 0).
    met = models.SmallIntegerField(default=0)
    # +1 / -1 when the need starts / stops holding units (held > 0).
    live = models.SmallIntegerField(default=0)

    class Meta:
        db_table = "stats_tallydelta"

    def __str__(self) -> str:
        return f"need of target {self.target_id}, aid type {self.aid_type_id}: held {self.held:+d}"


class TargetLive(models.Model):
    """How many needs of a target in one campaign hold units, and where the target lies
    (kept here so that a deleted target's deltas still find their kelurahan)."""

    id = models.BigAutoField(primary_key=True)
    campaign_id = models.BigIntegerField()
    target_id = models.BigIntegerField()
    live_needs = models.IntegerField(default=0)
    kind = models.CharField(max_length=20)
    village_code = models.CharField(max_length=24)
    district_code = models.CharField(max_length=24)
    city_code = models.CharField(max_length=24)
    province_code = models.CharField(max_length=24)

    class Meta:
        db_table = "stats_targetlive"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_id", "target_id"], name="stats_targetlive_one_per_campaign"
            )
        ]
        indexes = [models.Index(fields=["target_id"], name="stats_targetlive_target_idx")]

    def __str__(self) -> str:
        return f"target {self.target_id}, campaign {self.campaign_id}: {self.live_needs} needs holding units"


class Tally(models.Model):
    """Totals of one kelurahan in one campaign: per aid type (``aid_type_id`` > 0) the units held,
    delivered and confirmed and the RW needs fully pledged; on the row with
    ``aid_type_id`` 0 the RWs and institutions with at least one need holding units."""

    id = models.BigAutoField(primary_key=True)
    campaign_id = models.BigIntegerField()
    village_code = models.CharField(max_length=24)
    district_code = models.CharField(max_length=24)
    city_code = models.CharField(max_length=24)
    province_code = models.CharField(max_length=24)
    aid_type_id = models.BigIntegerField()
    held = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField(default=0)
    confirmed = models.BigIntegerField(default=0)
    met = models.BigIntegerField(default=0)
    rws = models.BigIntegerField(default=0)
    institutions = models.BigIntegerField(default=0)

    class Meta:
        db_table = "stats_tally"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_id", "village_code", "aid_type_id"],
                name="stats_tally_one_per_campaign_village_aid",
            )
        ]
        # fold() reads the totals of the kelurahan its deltas touch, in every campaign.
        indexes = [models.Index(fields=["village_code"], name="stats_tally_village_idx")]

    def __str__(self) -> str:
        return (
            f"{self.village_code}, campaign {self.campaign_id}, aid type {self.aid_type_id}: held {self.held}"
        )
