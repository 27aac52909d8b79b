"""A randomized history of pledges, deliveries, confirmations, cancellations, expiries and
donations made through the real services, for the tests that compare published figures
with a recomputation (tests/test_stats_consistency.py and the exports, tally and fast
path tests)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from kolaborasi.accounts.models import Membership, Organisation, OrgKind, OrgSubtype
from kolaborasi.funds import services as funds_services
from kolaborasi.pledges import confirmation as pledge_confirmation
from kolaborasi.pledges import services as pledge_services
from kolaborasi.pledges.expiry import pledges_expire
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import AidType, Need, TargetKind

CITY = "31.74"  # Jakarta Selatan
OTHER_CITY = "31.71"  # Jakarta Pusat


@dataclass
class History:
    orgs: dict[str, Organisation]
    phones: list[str] = field(default_factory=list)
    contact_names: list[str] = field(default_factory=list)
    private_names: list[str] = field(default_factory=list)
    days: list[dt.date] = field(default_factory=list)


def _user(name: str, org: Organisation) -> Any:
    from django.contrib.auth import get_user_model

    # No password: these members never log in, and hashing one costs seconds.
    user = get_user_model().objects.create(username=name, email=f"{name}@example.org")
    Membership.objects.create(user=user, organisation=org, role="owner")
    return user


def build_history(personas: dict[str, Any], seed: int = 7, pledges: int = 60) -> History:
    """Pledges on needs in two cities (full coverage of some sembako needs so RWs are met),
    partial and full deliveries, confirmations, cancellations, expiries and donations."""
    rng = random.Random(seed)
    today = timezone.localdate()
    orgs = {
        "company": personas["dina"].organisation,
        "aggregator": personas["agus"].organisation,
        "community": Organisation.objects.create(
            name="Komunitas Berbagi Tebet", kind=OrgKind.DONOR, subtype=OrgSubtype.COMMUNITY
        ),
        "individual": Organisation.objects.create(
            name="Siti Rahmawati Pribadi", kind=OrgKind.DONOR, subtype=OrgSubtype.INDIVIDUAL
        ),
        "operator": personas["oki"].organisation,
    }
    users = {
        "company": personas["dina"].user,
        "aggregator": personas["agus"].user,
        "community": _user("komunitas", orgs["community"]),
        "individual": _user("siti", orgs["individual"]),
    }
    oki = personas["oki"].user
    history = History(orgs=orgs, private_names=["Siti Rahmawati Pribadi"])
    # A sample drawn by the seed (not by the database), so a seed always makes one history.
    ids = list(
        Need.objects.filter(target__city_code__in=[CITY, OTHER_CITY], quantity__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    by_pk = Need.objects.select_related("target", "aid_type").in_bulk(rng.sample(ids, min(40, len(ids))))
    needs = list(by_pk.values())
    needs.sort(key=lambda n: n.pk)
    rng.shuffle(needs)
    sembako_rw = [n for n in needs if n.aid_type.slug == settings.PRIMARY_AID_TYPE and n.target.kind == "rw"]
    created: list[Pledge] = []
    # Fully cover two RWs' primary need (one in two pledges) so rws_met > 0.
    for i, need in enumerate(sembako_rw[:2]):
        parts = [need.quantity] if i == 0 else [need.quantity // 2, need.quantity - need.quantity // 2]
        for q in [p for p in parts if p > 0]:
            created.append(
                pledge_services.pledge_create(
                    actor=users["company"],
                    organisation=orgs["company"],
                    need=need,
                    quantity=q,
                    planned_delivery=today + dt.timedelta(days=10),
                    contact_name="Pak Kontak Rahasia",
                    contact_phone="+62 811-0000-0001",
                )
            )
    protected = {p.pk for p in created}  # keep these RWs met: never cancelled
    history.phones.append("+62 811-0000-0001")
    history.contact_names.append("Pak Kontak Rahasia")
    kinds = ["company", "aggregator", "community", "individual"]
    for i in range(pledges):
        need = rng.choice(needs)
        need.refresh_from_db()
        if need.remaining < 1:
            continue
        who = rng.choice(kinds)
        phone = f"+62 812-{seed:04d}-{i:04d}"
        history.phones.append(phone)
        created.append(
            pledge_services.pledge_create(
                actor=users[who],
                organisation=orgs[who],
                need=need,
                quantity=rng.randint(1, min(need.remaining, 40)),
                planned_delivery=today + dt.timedelta(days=rng.choice([0, 0, 10])),
                contact_name=f"Kontak {i}",
                contact_phone=phone,
            )
        )
    # Spread creation over the last three weeks (the date filters need a past).
    for pledge in created:
        day = today - dt.timedelta(days=rng.randint(0, 20))
        history.days.append(day)
        created_at = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(0, 23), 30)))
        Pledge.objects.filter(pk=pledge.pk).update(created_at=created_at)
    for pledge in created:
        pledge.refresh_from_db()
        roll = 1.0 if pledge.pk in protected else rng.random()
        who = next(k for k, o in orgs.items() if o.pk == pledge.organisation_id)
        if roll < 0.45:
            quantity = rng.randint(1, pledge.quantity)
            pledge_services.delivery_record(
                actor=users[who], organisation=orgs[who], pledge=pledge, quantity=quantity, delivered_on=today
            )
            pledge.refresh_from_db()
            if rng.random() < 0.6:
                pledge_confirmation.pledge_confirm(actor=oki, organisation=orgs["operator"], pledge=pledge)
            if pledge.delivered < pledge.quantity and rng.random() < 0.4:
                pledge_services.pledge_cancel(actor=users[who], organisation=orgs[who], pledge=pledge)
        elif roll < 0.6:
            pledge_services.pledge_cancel(actor=users[who], organisation=orgs[who], pledge=pledge)
    # Expiry: remind, then release what is undelivered on pledges planned for today.
    later = today + dt.timedelta(days=settings.PLEDGE_GRACE_DAYS + 2)
    pledges_expire(today=later)
    pledges_expire(today=later)
    # Donations through the funds services: confirmed, pending and rejected.
    for i in range(8):
        who = rng.choice(["company", "community", "individual"])
        donation = funds_services.donation_create(
            actor=users[who],
            donor=orgs[who],
            aggregator=orgs["aggregator"],
            amount=rng.randint(1, 50) * 100_000,
            donated_on=today - dt.timedelta(days=rng.randint(0, 20)),
            public=i == 0 and who != "individual",  # the individual stays private
        )
        decision = "confirm" if i < 3 else rng.choice(["confirm", "reject", "pending"])
        if decision == "confirm":
            funds_services.donation_confirm(actor=users["aggregator"], donation=donation)
        elif decision == "reject":
            funds_services.donation_reject(actor=users["aggregator"], donation=donation, reason="tidak masuk")
    # Two pledges paid from the aggregator's balance (the money then has a place).
    template = funds_services.template_save(
        actor=users["aggregator"],
        aggregator=orgs["aggregator"],
        aid_type=AidType.objects.get(slug=settings.PRIMARY_AID_TYPE),
        name="Paket sembako 10 kg",
        contents="beras 10 kg",
        unit_cost=1_000,
    )
    funded_needs = list(
        Need.objects.filter(
            target__city_code=CITY,
            target__kind=TargetKind.RW,
            aid_type__slug=settings.PRIMARY_AID_TYPE,
            remaining__gt=5,
        ).exclude(pk__in=[n.pk for n in sembako_rw[:2]])[:2]
    )
    funded: list[Pledge] = []
    for need in funded_needs:
        need.refresh_from_db()
        if need.remaining < 1:
            continue
        funded.append(
            funds_services.funded_pledge_create(
                actor=users["aggregator"],
                aggregator=orgs["aggregator"],
                need=need,
                quantity=min(need.remaining, 5),
                template=template,
                planned_delivery=today + dt.timedelta(days=10),
            )
        )
    if len(funded) > 1:  # a cancelled funded pledge: its money goes back (refunded slice)
        pledge_services.pledge_cancel(
            actor=users["aggregator"], organisation=orgs["aggregator"], pledge=funded[1]
        )
    cache.clear()
    return history


# --- Independent recomputation from the rows ------------------------------------------
