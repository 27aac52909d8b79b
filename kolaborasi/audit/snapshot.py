"""One way to write down a model instance's state: the ``before`` / ``after`` of an
audit event, and any other plain-JSON copy of a row.

The audit chain hashes these dicts, so for one model and one field list the result must
never change shape: a foreign key is its id (under the field's name, not ``*_id``), a
many-to-many relation the sorted ids of its rows, a date or time its ISO text (``None``
stays ``None``), anything else the attribute as it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """``fields`` of ``obj``, by name, as JSON-ready values."""
    state: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            # Through ``.all()`` so rows already prefetched are not fetched again.
            value: Any = sorted(related.pk for related in getattr(obj, name).all())
        elif field.many_to_one or field.one_to_one:
            value = getattr(obj, field.attname)  # type: ignore[union-attr]
        else:
            value = getattr(obj, name)
        if isinstance(value, dt.date | dt.time):  # datetimes are dates too
            value = value.isoformat()
        state[name] = value
    return state
