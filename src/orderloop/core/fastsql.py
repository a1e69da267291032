"""Hand-written SQL: the few statements on the hottest paths (placing an order, API authentication), and
those the ORM cannot write in one statement (counters and stock taken with UPDATE … RETURNING, the
idempotency claim with INSERT … ON CONFLICT).

The ORM spends about 0.2 ms of Python building and compiling each statement and instantiating its rows
(docs/benchmarks.md); that, not PostgreSQL, is most of a placement's cost. Here a statement's text is
written once and run with one cursor call, while the models stay the source of truth: table and column
names come from their `_meta`, values are prepared by the fields themselves (`get_db_prep_save`) and
rows come back through the fields' converters, so the instances are those the ORM would have returned.
Works on SQLite and PostgreSQL (`%s` placeholders, RETURNING on both).

Use it only where a profile shows the ORM's share; everything else stays ORM code.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import (
    ForeignKeyDeferredAttribute,
    ForwardManyToOneDescriptor,
)
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]

# Per database connection (one per thread): its kept cursor, and the converters, which are bound to
# that connection's backend.
_CACHE_ATTR = "_orderloop_fastsql"


def _db() -> BaseDatabaseWrapper:
    """This thread's connection, looked up once per call (every attribute of the `connection` proxy
    is a thread-local lookup of its own)."""
    return connections[DEFAULT_DB_ALIAS]


def _cache(db: BaseDatabaseWrapper | None = None) -> dict[Any, Any]:
    db = db or _db()
    cache: dict[Any, Any] | None = db.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = db.__dict__[_CACHE_ATTR] = {}
    return cache


# Names are quoted the same way on both engines and the project has one database, so quoted names and
# the statement texts built from them are cached for the process (the `connection` proxy costs a
# thread-local lookup per use).
@functools.cache
def q(name: str) -> str:
    """A quoted identifier."""
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


def _converters(model: type[models.Model], db: BaseDatabaseWrapper) -> list[tuple[Any, list[Converter]]]:
    """Per concrete field: its column expression and the converters the compiler would apply."""
    key = ("converters", model)
    cache = _cache(db)
    if key not in cache:
        per_field = []
        for field in model._meta.concrete_fields:
            col = field.get_col(model._meta.db_table)
            per_field.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
        cache[key] = per_field
    return cache[key]  # type: ignore[no-any-return]


# Model instances without Model.__init__. Its generic path (signals, a descriptor per field, a kwargs
# lookup per field) was the largest single Python cost of a placement, which builds about 18 instances
# (docs/benchmarks.md). The instances are the same: the field values in the instance's __dict__ in field
# order, defaults from the fields, a related instance cached as the ORM caches it. A model that does
# anything the fast path does not do (its own __init__, a pre_init or post_init receiver, a field
# descriptor of its own, a one-to-one or composite relation, database routers) goes through __init__.


# Per concrete field: the field, its name, its attname and, for a many-to-one relation (which can be set
# through its instance), the related model, the attribute read from the related instance and the name
# the related instance is cached under.
_Related = tuple[type[models.Model], str, str]
_Plan = list[tuple[models.Field[Any, Any], str, str, _Related | None]]


@functools.cache
def _fast_plan(model: type[models.Model]) -> _Plan | None:
    """How to build instances of `model` without Model.__init__; None when it must go through it."""
    if model.__init__ is not models.Model.__init__ or model._meta.abstract or settings.DATABASE_ROUTERS:
        return None
    plan: _Plan = []
    for field in model._meta.concrete_fields:
        attribute = model.__dict__.get(field.attname)
        if getattr(field, "generated", False) or (
            attribute is not None and type(attribute) not in (DeferredAttribute, ForeignKeyDeferredAttribute)
        ):
            return None
        related: _Related | None = None
        if field.is_relation:
            if (
                not isinstance(field, models.ForeignKey)
                or type(field) is not models.ForeignKey
                or type(model.__dict__.get(field.name)) is not ForwardManyToOneDescriptor
                or len(field.related_fields) != 1
            ):
                return None
            remote = field.remote_field.model
            assert isinstance(remote, type)
            related = (remote._meta.concrete_model or remote, field.target_field.attname, field.cache_name)
        plan.append((field, field.name, field.attname, related))
    return plan


def _listened(model: type[models.Model]) -> bool:
    if not pre_init.receivers and not post_init.receivers:  # the usual case: nobody listens at all
        return False
    return pre_init.has_listeners(model) or post_init.has_listeners(model)


_MISSING = object()


def new(model: type[M], **values: Any) -> M:
    """`model(**values)` for a new row, built without Model.__init__'s generic path (see above)."""
    plan = _fast_plan(model)
    if plan is None or _listened(model):
        return model(**values)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    attributes = obj.__dict__
    for field, name, attname, related in plan:
        if related is not None:
            target = values.pop(name, _MISSING)
            if target is not _MISSING:
                remote_model, target_attname, cache_name = related
                if target is None:
                    attributes[attname] = None
                else:
                    if not isinstance(target, remote_model):
                        raise ValueError(
                            f'Cannot assign "{target!r}": "{model._meta.object_name}.{name}" must be a '
                            f'"{remote_model._meta.object_name}" instance.'
                        )
                    if target._state.db is None:
                        target._state.db = DEFAULT_DB_ALIAS
                    state.db = target._state.db
                    attributes[attname] = getattr(target, target_attname)
                state.fields_cache[cache_name] = target
                continue
        value = values.pop(attname, _MISSING)
        attributes[attname] = field.get_default() if value is _MISSING else value
    for name, value in values.items():  # properties, as Model.__init__ sets them
        if name not in model._meta._property_names:  # type: ignore[attr-defined]
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {name!r}") from None
        setattr(obj, name, value)
    return obj


def _instance(model: type[M], values: Sequence[Any], db: BaseDatabaseWrapper) -> M:
    converted = []
    for value, (col, converters) in zip(values, _converters(model, db), strict=True):
        for converter in converters:
            value = converter(value, col, db)
        converted.append(value)
    plan = _fast_plan(model)
    if plan is None or _listened(model):
        return model.from_db(db.alias, (), converted)  # every field: names unused
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding = False
    state.db = db.alias
    obj.__dict__.update(zip(_attnames(model), converted, strict=True))
    return obj


@functools.cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def rows_to_models(
    model: type[M],
    rows: Iterable[Sequence[Any]],
    related: Sequence[str] = (),
    db: BaseDatabaseWrapper | None = None,
) -> list[M]:
    """Instances from rows laid out as `select_list(model)` followed by `select_list(...)` of each
    foreign key named in `related` (which is then cached on the instance, as select_related does)."""
    db = db or _db()
    fields = [model._meta.get_field(name) for name in related]
    width = len(model._meta.concrete_fields)
    result = []
    for row in rows:
        obj = _instance(model, row[:width], db)
        start = width
        for field in fields:
            related_model = field.related_model
            assert isinstance(field, models.ForeignKey) and isinstance(related_model, type)
            end = start + len(related_model._meta.concrete_fields)
            field.set_cached_value(obj, _instance(related_model, row[start:end], db))
            start = end
        result.append(obj)
    return result


# Statement texts, one object per text. psycopg keeps a cursor's adaptation state (the dumpers and loaders
# it looked up for the statement's parameter and column types) only while the cursor runs the very same
# query object again, so on PostgreSQL each text gets a cursor of its own and is passed as that one object.
# Bounded, and only short texts (psycopg's own statement cache takes those up to 4 KB): texts built with a
# varying number of rows or placeholders would otherwise grow it without end.
_TEXTS: dict[str, str] = {}
_MAX_TEXTS = 500
_MAX_TEXT_LENGTH = 4096


def _cursor(db: BaseDatabaseWrapper, sql: str) -> tuple[Any, str]:
    """The backend cursor this connection keeps for `sql` (with the text as the one object psycopg sees
    each time), or None where Django's own cursor must run it: while queries are logged (DEBUG,
    `CaptureQueriesContext`, the test suite's query counts) or an execute wrapper is installed.

    What Django's cursor does per statement is kept: the health check at a request's first use, the
    connection opened on demand, the broken-transaction check and the translation of driver errors.
    Skipped are the wrapper objects and a new driver cursor per statement (about 50 µs each)."""
    if db.queries_logged or db.execute_wrappers:
        return None, sql
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    cache = _cache(db)
    kept = cache.get("cursors")
    if kept is None or kept[0] is not db.connection:
        kept = cache["cursors"] = (db.connection, {})
    cursors: dict[str, Any] = kept[1]
    if db.vendor == "postgresql":
        text = _TEXTS.get(sql)
        if text is None and len(_TEXTS) < _MAX_TEXTS and len(sql) <= _MAX_TEXT_LENGTH:
            text = _TEXTS.setdefault(sql, sql)
        key = text or ""
        sql = text or sql
    else:  # SQLite caches statements per connection: one cursor does
        key = ""
    cursor = cursors.get(key)
    if cursor is None:
        with db.wrap_database_errors:
            cursor = cursors[key] = (
                _postgresql_cursor(db) if db.vendor == "postgresql" else db.create_cursor()
            )
    return cursor, sql


# How statements travel to PostgreSQL: with the values apart from the text (the extended query protocol,
# psycopg's server-side binding), not quoted into it as Django's own cursors do. Quoting every value into
# the text was a tenth of a placement's Python time; here the driver dumps the values in C. A value
# whose type PostgreSQL cannot tell from its place in the statement needs a cast (`CAST(%s AS integer)
# IS NULL`). The benchmark's raw PostgreSQL replay (bench/place_orders.py) uses the same protocol.
POSTGRESQL_PROTOCOL = "extended"


def _postgresql_cursor(db: BaseDatabaseWrapper) -> Any:
    """A cursor sending by POSTGRESQL_PROTOCOL, with the connection's adapters (Django's).

    Django reads `timestamptz` with a subclass of psycopg's loader that sets the connection's time zone
    on each value, and the subclass runs psycopg's pure-Python loader (about 4% of a placement's Python
    time went there). In a UTC session psycopg's own loader, in C, already returns every value with
    `datetime.timezone.utc`, the very value Django's returns, so the cursor reads with that one."""
    import psycopg
    from psycopg.types.datetime import TimestamptzLoader

    cursor = psycopg.Cursor(db.connection) if POSTGRESQL_PROTOCOL == "extended" else db.create_cursor()
    if db.timezone is datetime.UTC and db.connection.info.parameter_status("TimeZone") == "UTC":
        cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    return cursor


def _run(
    sql: str, params: Sequence[Any], result: Callable[[Any], Any], db: BaseDatabaseWrapper | None = None
) -> Any:
    """Run one statement and return `result(cursor)`."""
    db = db or _db()
    cursor, sql = _cursor(db, sql)
    if cursor is None:
        with db.cursor() as wrapped:
            wrapped.execute(sql, params)
            return result(wrapped)
    with db.wrap_database_errors:
        cursor.execute(sql, params)
        return result(cursor)


def _all_rows(cursor: Any) -> list[tuple[Any, ...]]:
    return list(cursor.fetchall())


def fetch_models(model: type[M], sql: str, params: Sequence[Any], related: Sequence[str] = ()) -> list[M]:
    db = _db()
    return rows_to_models(model, _run(sql, params, _all_rows, db), related, db)


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return _run(sql, params, _all_rows)  # type: ignore[no-any-return]


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a statement; the number of rows it changed."""
    return int(_run(sql, params, lambda cursor: cursor.rowcount))


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row, or None. The rest are read too: on the kept cursor, SQLite would otherwise keep the
    statement in progress (with its locks) until the cursor's next statement."""
    rows = _run(sql, params, _all_rows)
    return tuple(rows[0]) if rows else None


# Django's own field classes whose `get_db_prep_save` returns a value of this exact type unchanged
# (CharField/TextField.to_python, IntegerField's int(), BooleanField.to_python; a ForeignKey prepares its
# value as its target field does). insert() passes such a value, or None, straight to the driver; any
# other value (a lazy string, a str given to an IntegerField) and any other field class, including a
# subclass, go through get_db_prep_save.
_PLAIN_TYPES: dict[type[models.Field[Any, Any]], type] = {
    **dict.fromkeys((models.CharField, models.TextField, models.EmailField, models.SlugField), str),
    models.BooleanField: bool,
    **dict.fromkeys(
        (
            models.IntegerField,
            models.SmallIntegerField,
            models.BigIntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField,
            models.AutoField,
            models.BigAutoField,
            models.SmallAutoField,
        ),
        int,
    ),
}


# On PostgreSQL also dates, aware datetimes and UUIDs: its operations pass them to the driver as they are
# (adapt_datefield_value, adapt_datetimefield_value; a native uuid column). A naive datetime still goes
# through the field, which makes it aware (with Django's warning).
_POSTGRESQL_PLAIN_TYPES: dict[type[models.Field[Any, Any]], type] = {
    models.DateField: datetime.date,
    models.DateTimeField: datetime.datetime,
    models.UUIDField: uuid.UUID,
}


def _plain_type(field: models.Field[Any, Any]) -> type | None:
    """The type whose values `field` writes unchanged (see _PLAIN_TYPES), or None."""
    if type(field) is models.ForeignKey:
        field = field.target_field
    plain = _PLAIN_TYPES.get(type(field))
    if plain is None and connection.vendor == "postgresql":
        plain = _POSTGRESQL_PLAIN_TYPES.get(type(field))
    return plain


@functools.cache
def _insert_fields(
    model: type[models.Model],
) -> tuple[list[tuple[models.Field[Any, Any], str, type | None, bool]], str, str]:
    """The fields an INSERT writes (all but a key the database assigns) with their attribute names, plain
    types (see _PLAIN_TYPES) and whether the field sets its value itself (auto_now, auto_now_add), its
    head and its tail (RETURNING that key, or nothing when the key is set beforehand, such as a UUID)."""
    pk = model._meta.pk
    assert pk is not None
    fields = [f for f in model._meta.concrete_fields if not f.db_returning]
    columns = ", ".join(q(str(f.column)) for f in fields)
    returning = f" RETURNING {q(str(pk.column))}" if pk.db_returning else ""
    described = [
        (
            f,
            f.attname,
            _plain_type(f),
            bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)),
        )
        for f in fields
    ]
    return described, f"INSERT INTO {table(model)} ({columns}) VALUES ", returning


def insert(instances: Sequence[M]) -> Sequence[M]:
    """Write new instances of one model with one INSERT (RETURNING the ids the database assigns), as
    `bulk_create` would (field defaults and `auto_now_add` applied, no signals — the project uses none
    on these models); sets their pks."""
    if not instances:
        return instances
    db = _db()
    model = type(instances[0])
    fields, head, returning = _insert_fields(model)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for obj in instances:
        for field, attname, plain, computed in fields:
            value: Any
            if plain is None:
                value = field.pre_save(obj, True)
            else:  # one of Django's own fields: its pre_save reads the attribute or sets auto_now(_add)
                value = field.pre_save(obj, True) if computed else getattr(obj, attname)
                if value is None or (
                    type(value) is plain
                    and (plain is not datetime.datetime or cast(Any, value).tzinfo is not None)
                ):  # (a naive datetime goes through its field)
                    params.append(value)
                    continue
            params.append(field.get_db_prep_save(value, db))
    sql = f"{head}{', '.join([one_row] * len(instances))}{returning}"
    if returning:
        ids = [row[0] for row in _run(sql, params, _all_rows, db)]
        for obj, pk_value in zip(instances, ids, strict=True):
            obj.pk = pk_value
    else:
        _run(sql, params, lambda cursor: None, db)
    for obj in instances:
        obj._state.adding = False
        obj._state.db = db.alias
    return instances


def string_agg(expression: str) -> str:
    """Comma-joined values of `expression` over a group, on either engine."""
    if connection.vendor == "postgresql":
        return f"string_agg({expression}, ',')"
    return f"group_concat({expression}, ',')"
