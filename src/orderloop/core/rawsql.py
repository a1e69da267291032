"""Plain SQL for what the ORM cannot say in one statement: a conditional `UPDATE … RETURNING` (stock taken
only while it lasts, counters), `INSERT … ON CONFLICT` (the idempotency claim), a multi-row `UPDATE …
FROM (VALUES …)` (every line's reservation at once), and a handful of reads on the placement path that
join or aggregate in one round trip.

Everything goes through Django's `connection.cursor()`, so every statement is seen by query logging,
`CaptureQueriesContext`, execute wrappers and tracing tools, and Django's connection handling (health
checks, the pool, broken-transaction checks, error translation) applies. The models stay the source of
truth: table and column names come from their `_meta`, values are prepared by the fields
(`pre_save`, `get_db_prep_save`) and rows come back through `Model.from_db` with the converters the
ORM's compiler would apply. Works on SQLite and PostgreSQL (`%s` placeholders, RETURNING on both).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import connection, connections, models

M = TypeVar("M", bound=models.Model)


@functools.cache
def q(name: str) -> str:
    """A quoted identifier (the same on both engines; the project has one database)."""
    return connection.ops.quote_name(name)


@functools.cache
def table(model: type[models.Model]) -> str:
    return q(model._meta.db_table)


@functools.cache
def column(model: type[models.Model], field_name: str) -> str:
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.Field) and field.column
    return q(field.column)


@functools.cache
def select_list(model: type[models.Model], alias: str) -> str:
    """Every concrete column of `model` under the table alias, in field order (what `rows_to_models`
    reads)."""
    return ", ".join(f"{q(alias)}.{q(str(f.column))}" for f in model._meta.concrete_fields)


def string_agg(expression: str) -> str:
    """Comma-joined values of `expression` over a group, on either engine."""
    if connection.vendor == "postgresql":
        return f"string_agg({expression}, ',')"
    return f"group_concat({expression}, ',')"


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row (all read: on SQLite a statement half read keeps its locks until the cursor closes)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description is not None else []


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row, or None (the rest are read too)."""
    rows = fetch_all(sql, params)
    return tuple(rows[0]) if rows else None


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a statement; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


# --- Rows to model instances ------------------------------------------------------------------------


# Per database connection (one per thread; converters are bound to its backend), per model.
_CONVERTERS: weakref.WeakKeyDictionary[Any, dict[type[models.Model], list[tuple[int, Any, list[Any]]]]] = (
    weakref.WeakKeyDictionary()
)


def _converters(model: type[models.Model]) -> list[tuple[int, Any, list[Any]]]:
    """Per concrete field whose values the ORM's compiler converts: its position, its column expression
    and the converters (the backend's, then the field's own `from_db_value`); worked out once per model
    and connection."""
    db = connections[connection.alias]
    per_model = _CONVERTERS.setdefault(db, {})
    found = per_model.get(model)
    if found is None:
        found = per_model[model] = _converters_of(model, db)
    return found


def _converters_of(model: type[models.Model], db: Any) -> list[tuple[int, Any, list[Any]]]:
    per_field = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = db.ops.get_db_converters(col) + col.get_db_converters(db)
        if converters:
            per_field.append((index, col, converters))
    return per_field


@functools.cache
def _attnames(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _instance(model: type[M], values: Sequence[Any]) -> M:
    values = list(values)
    converters = _converters(model)
    if converters:
        db = connections[connection.alias]
        for index, col, functions in converters:
            value = values[index]
            for converter in functions:
                value = converter(value, col, db)
            values[index] = value
    return model.from_db(connection.alias, _attnames(model), values)


def rows_to_models(model: type[M], rows: Iterable[Sequence[Any]], related: Sequence[str] = ()) -> list[M]:
    """Instances from rows laid out as `select_list(model)` followed by `select_list(...)` of each
    foreign key named in `related` (which is then set on the instance, as select_related does)."""
    fields = [model._meta.get_field(name) for name in related]
    width = len(model._meta.concrete_fields)
    result = []
    for row in rows:
        obj = _instance(model, row[:width])
        start = width
        for field in fields:
            related_model = field.related_model
            assert isinstance(field, models.ForeignKey) and isinstance(related_model, type)
            end = start + len(related_model._meta.concrete_fields)
            setattr(obj, field.name, _instance(related_model, row[start:end]))
            start = end
        result.append(obj)
    return result


def fetch_models(model: type[M], sql: str, params: Sequence[Any], related: Sequence[str] = ()) -> list[M]:
    return rows_to_models(model, fetch_all(sql, params), related)


# --- Multi-row INSERT -------------------------------------------------------------------------------


def insert(
    instances: Sequence[M],
    *,
    expressions: Mapping[str, str] | None = None,
    returning: Sequence[str] = (),
) -> Sequence[M]:
    """Write new instances of one model with one INSERT, as `bulk_create` would (field defaults and
    `auto_now_add` applied by the fields' `pre_save`, values prepared by `get_db_prep_save`, no
    signals — the project uses none on these models), and set the keys the database assigns.

    `expressions`: per field name, an SQL expression written in the statement instead of the instance's
    value (e.g. `nextval(…)` for a sequence-numbered column); `returning`: further fields read back
    from the statement and set on the instances (such a column, say)."""
    if not instances:
        return instances
    model = type(instances[0])
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    expressions = expressions or {}
    fields = [f for f in meta.concrete_fields if not f.db_returning]
    read_back: list[models.Field[Any, Any]] = [pk] if pk.db_returning else []
    for name in returning:
        field = meta.get_field(name)
        assert isinstance(field, models.Field)
        read_back.append(field)
    params: list[Any] = []
    rows = []
    for obj in instances:
        placeholders = []
        for field in fields:
            if field.name in expressions:
                placeholders.append(expressions[field.name])
                continue
            value = field.pre_save(obj, add=True)
            params.append(field.get_db_prep_save(value, connection))
            placeholders.append("%s")
        rows.append("(" + ", ".join(placeholders) + ")")
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(q(str(f.column)) for f in fields)}) VALUES {', '.join(rows)}"
    )
    if read_back:
        sql += " RETURNING " + ", ".join(q(str(f.column)) for f in read_back)
    returned = fetch_all(sql, params)
    if read_back:
        for obj, values in zip(instances, returned, strict=True):
            for returned_field, value in zip(read_back, values, strict=True):
                setattr(obj, returned_field.attname, value)
    for obj in instances:
        obj._state.adding = False
        obj._state.db = connection.alias
    return instances
