"""`kolaborasi import rw`: "in the future" means after today's date where the
programme runs (TIME_ZONE), not after the server clock's UTC date."""

import datetime as dt

import pytest
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from kolaborasi.targets.models import Target

pytestmark = pytest.mark.django_db

HEADER = "village_code,rw_number,households,head_name,as_of,source\n"


def _rw_file(tmp_file, number: int, as_of: dt.date):  # type: ignore[no-untyped-def]
    return tmp_file("rw.csv", HEADER + f"31.74.03.1001,{number},10,,{as_of.isoformat()},Kelurahan\n")


# Two zones far on either side of UTC: whatever the hour, the local date differs from the
# UTC date in at least one of them.
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_todays_local_date_is_accepted_and_tomorrow_refused(run_cli, tmp_file, zone) -> None:  # type: ignore[no-untyped-def]
    with override_settings(TIME_ZONE=zone):
        today = timezone.localdate()
        run_cli("import", "rw", str(_rw_file(tmp_file, 961, today)))
        assert Target.objects.filter(region_id="31.74.03.1001.961").exists()
        with pytest.raises(CommandError):
            run_cli("import", "rw", str(_rw_file(tmp_file, 962, today + dt.timedelta(days=1))))
        assert not Target.objects.filter(region_id="31.74.03.1001.962").exists()
