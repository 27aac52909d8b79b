from django.db.models import Count, Q, Sum

from kolaborasi.regions.models import Region
from kolaborasi.targets.models import Target, TargetKind


def home_summary() -> dict[str, int | bool]:
    totals = Target.objects.aggregate(
        rws=Count("id", filter=Q(kind=TargetKind.RW)),
        institutions=Count("id", filter=~Q(kind=TargetKind.RW)),
        households=Sum("size", filter=Q(kind=TargetKind.RW)),
        synthetic=Count("id", filter=Q(synthetic=True)),
    )
    return {
        "rws": totals["rws"] or 0,
        "institutions": totals["institutions"] or 0,
        "households": totals["households"] or 0,
        "synthetic": bool(totals["synthetic"]),
        "villages": Region.objects.filter(level="village").count(),
    }
