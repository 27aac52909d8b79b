"""Migration pledges 0005 gives each existing delivery its share of its pledge's
confirmed units, oldest first: until then a confirmation took every unit delivered so
far, so the confirmed units are those of the oldest deliveries."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from kolaborasi.pledges import services
from kolaborasi.pledges.models import Delivery, Pledge, Review
from tests.pledges_support import make_pledge, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]
confirmed_per_delivery = importlib.import_module(
    "kolaborasi.pledges.migrations.0005_delivery_review"
).confirmed_per_delivery


def test_confirmed_units_go_to_the_oldest_deliveries(personas):
    dina = personas["dina"]
    pledge = make_pledge(dina, quantity=20, delivered=4)
    for quantity in (3, 5):
        services.delivery_record(
            actor=dina.user,
            organisation=dina.organisation,
            pledge=pledge,
            quantity=quantity,
            delivered_on=today(),
        )
    untouched = make_pledge(dina, quantity=5, delivered=2)
    # As a confirmation before deliveries had their own count left them.
    Pledge.objects.filter(pk=pledge.pk).update(confirmed=6)
    confirmed_per_delivery(apps, None)
    rows = list(Delivery.objects.filter(pledge=pledge).order_by("pk").values_list("confirmed", "review"))
    assert rows == [(4, Review.CONFIRMED), (2, Review.PARTIAL), (0, Review.PENDING)]
    assert list(Delivery.objects.filter(pledge=untouched).values_list("confirmed", "review")) == [
        (0, Review.PENDING)
    ]
