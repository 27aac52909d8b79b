"""Prebuilt SQL for the few statements every API write runs.

The ORM spends about three times as long building a simple query as the database spends
running it; on the pledge path (token, need, reservation, pledge row, audit link) that
was most of a request's CPU. These helpers build each statement once, at import, from
the models' own table and column names, and still go through Django's connection (so
its transaction, its query logging in tests and both database backends apply). Values
are always parameters, never formatted into the SQL.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Field, Model


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(field: Field) -> str:
    return connection.ops.quote_name(str(field.column))


def column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return _column(field)


class Inserter[M: Model]:
    """``INSERT … RETURNING id`` of one instance of ``model``, every concrete field but
    the primary key, with the values Django itself would write (``pre_save`` fills
    ``auto_now_add``; ``get_db_prep_save`` adapts JSON, dates, decimals per backend)."""

    def __init__(self, model: type[M]) -> None:
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608 (names only)
            table(model),
            ", ".join(_column(f) for f in self.fields),
            ", ".join(["%s"] * len(self.fields)),
            _column(model._meta.pk),
        )

    def __call__(self, obj: M) -> M:
        values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, values)
            row = cursor.fetchone()
        obj.pk = row[0]
        obj._state.adding = False
        obj._state.db = connection.alias
        return obj
