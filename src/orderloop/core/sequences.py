"""Numbers without gaps or duplicates (order numbers, invoices, purchase orders, credit notes).

A counter row per key holds the last number issued. The next one is taken with one
`UPDATE … SET last_number = last_number + 1 … RETURNING last_number` inside the caller's transaction:
the row stays locked until commit, so concurrent callers queue, and a rollback gives the number back.
The first number of a key creates its row; when two transactions race to create it, the loser's
insert fails on the key's unique constraint and it increments the winner's row instead.
"""

from __future__ import annotations

from django.db import IntegrityError, models, transaction

from . import rawsql


def _increment(model: type[models.Model], key_field: str, key: int | str) -> int | None:
    last = rawsql.column(model, "last_number")
    row = rawsql.fetch_one(
        f"UPDATE {rawsql.table(model)} SET {last} = {last} + 1 "
        f"WHERE {rawsql.column(model, key_field)} = %s RETURNING {last}",
        [key],
    )
    return int(row[0]) if row else None


def next_in_sequence(model: type[models.Model], *, key_field: str, key: int | str, start: int = 1) -> int:
    """The next number of `key` in the counter table `model` (fields `key_field` and `last_number`)."""
    number = _increment(model, key_field, key)
    if number is not None:
        return number
    try:
        with transaction.atomic():
            model._default_manager.create(**{key_field: key, "last_number": start})
        return start
    except IntegrityError:  # another transaction created the row first
        number = _increment(model, key_field, key)
        assert number is not None
        return number
