from django.db import models


class ThrottleCounter(models.Model):
    """One throttle count (kolaborasi.core.counters): the store the throttles share
    across workers and app servers when there is no Redis. Rows whose ``expires`` (Unix
    seconds) has passed are dead and are swept now and then."""

    slot = models.CharField(max_length=250, primary_key=True)
    hits = models.BigIntegerField()
    expires = models.FloatField(db_index=True)

    class Meta:
        verbose_name = "throttle counter"

    def __str__(self) -> str:
        return f"{self.slot}: {self.hits}"
