"""PostgreSQL: a pledge in one statement — the reservation, the organisation's hold, the
pledge row and its audit link — with no transaction around it. The portable path in
``services.pledge_create`` does the same in steps; both take their locks in the same
order (need, hold row, audit chain head), so they cannot deadlock with each other."""

from __future__ import annotations

from django.db import connection

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_event, pg_link_done, pg_link_sql
from kolaborasi.core.actor import Actor
from kolaborasi.core.sql import column, table
from kolaborasi.targets.models import Need

from .history import snapshot, token_label
from .holds import HoldPolicy
from .models import OrganisationHold, Pledge

# Only a need of an open campaign (``accepting``) may be reserved: a close flips the flag
# on the same row, so a close and a pledge cannot cross.
RESERVE = (  # noqa: S608 (names only)
    "UPDATE {need} SET {held} = {held} + %s WHERE {id} = %s AND {quantity} >= {held} + %s AND {accepting}"
).format(
    need=table(Need),
    held=column(Need, "held"),
    id=column(Need, "id"),
    quantity=column(Need, "quantity"),
    accepting=column(Need, "accepting"),
)
_PLEDGE_FIELDS = [f for f in Pledge._meta.concrete_fields if not f.primary_key]
_NEXT_PLEDGE_ID = (
    f"SELECT nextval(pg_get_serial_sequence('{Pledge._meta.db_table}', '{Pledge._meta.pk.column}'))"
)
# The hold row is counted only if the need had room (it selects from ``reserved``); a
# suspended organisation's limit becomes 0. Past the limit the CHECK hold_within_limit
# fails and the whole statement — reservation included — is undone.
_CREATE_PG = """WITH reserved AS (
    {reserve} RETURNING {id}
), held AS (
    INSERT INTO {hold} AS h ({org}, {held}, {limit}, {suspended}) SELECT %s, %s, %s, false FROM reserved
    ON CONFLICT ({org}) DO UPDATE SET {held} = h.{held} + EXCLUDED.{held},
        {limit} = CASE WHEN h.{suspended} THEN 0 ELSE EXCLUDED.{limit} END
    RETURNING {org}
), new_pledge AS (
    INSERT INTO {pledge} ({pk}, {columns}) SELECT %s, {params} FROM held RETURNING {pk}
), """.format(  # noqa: S608 (names only)
    reserve=RESERVE,
    id=column(Need, "id"),
    hold=table(OrganisationHold),
    org=column(OrganisationHold, "organisation"),
    held=column(OrganisationHold, "held"),
    limit=column(OrganisationHold, "limit"),
    suspended=column(OrganisationHold, "suspended"),
    pledge=table(Pledge),
    pk=column(Pledge, "id"),
    columns=", ".join(connection.ops.quote_name(str(f.column)) for f in _PLEDGE_FIELDS),
    # Typed, so PostgreSQL does not read a NULL or a string in a SELECT list as text.
    params=", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in _PLEDGE_FIELDS),
)


def create_in_one_statement(
    actor: Actor, organisation: Organisation, pledge: Pledge, policy: HoldPolicy
) -> bool:
    """PostgreSQL: reserve (docs/architecture.md, invariant 1), insert the pledge and link
    its audit event (invariant 6) in ONE statement — atomic by itself, so outside a
    transaction there is no BEGIN, no COMMIT and no round trip between them, and the
    need's row lock and the audit chain's lock are held only while PostgreSQL runs it.
    The pledge's id is drawn first so its audit event can be written (and hashed) before
    the statement. When the units do not fit, ``reserved`` yields no row and nothing at
    all is written. Same order of locks as the portable path (need, hold row, then chain
    head), so the two cannot deadlock."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_PLEDGE_ID)
        pledge.pk = cursor.fetchone()[0]
        values = [f.get_db_prep_save(f.pre_save(pledge, True), connection) for f in _PLEDGE_FIELDS]
        event = audit_event(
            actor=actor,
            action=AuditAction.PLEDGE_CREATED,
            obj=pledge,
            after=snapshot(pledge),
            organisation=organisation,
            actor_label=token_label(actor, organisation),
        )
        link, link_params = pg_link_sql(event, only_if="new_pledge")
        cursor.execute(
            _CREATE_PG + link,
            [
                pledge.quantity,
                pledge.need_id,
                pledge.quantity,
                organisation.pk,
                pledge.quantity,
                policy.limit,
                pledge.pk,
                *values,
                *link_params,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    pledge._state.adding = False
    pg_link_done(event, row)
    return True
