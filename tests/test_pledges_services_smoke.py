import datetime as dt

import pytest

from kolaborasi.pledges import services
from kolaborasi.pledges.selectors import needs_with_drift
from tests.pledges_support import ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def test_lifecycle(personas):
    dina, ratna = personas["dina"], personas["ratna"]
    need = ratna_need()
    p = services.pledge_create(
        actor=dina.user,
        organisation=dina.organisation,
        need=need,
        quantity=5,
        planned_delivery=today() + dt.timedelta(days=2),
    )
    services.delivery_record(
        actor=dina.user, organisation=dina.organisation, pledge=p, quantity=3, delivered_on=today()
    )
    services.pledge_confirm(actor=ratna.user, organisation=ratna.organisation, pledge=p)
    services.pledge_cancel(actor=dina.user, organisation=dina.organisation, pledge=p)
    p.refresh_from_db()
    assert (p.status, p.delivered, p.confirmed, p.released) == ("cancelled", 3, 3, 2)
    assert needs_with_drift([need.pk]) == []
