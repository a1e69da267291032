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
import itertools
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

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
from psycopg import errors as pg_errors
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.generators import execute as pg_execute

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


def _converters(model: type[models.Model], db: BaseDatabaseWrapper) -> list[tuple[int, Any, list[Converter]]]:
    """The concrete fields whose values the compiler would convert: their position, their column
    expression and the converters (bound to this connection's backend)."""
    key = ("converters", model)
    cache = _cache(db)
    if key not in cache:
        per_field = []
        for index, field in enumerate(model._meta.concrete_fields):
            col = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if converters:
                per_field.append((index, col, converters))
        cache[key] = per_field
    return cache[key]  # type: ignore[no-any-return]


# Model instances without Model.__init__. Its generic path (signals, a descriptor per field, a kwargs
# lookup per field) was the largest single Python cost of a placement, which builds about 18 instances
# (docs/benchmarks.md). The instances are the same: the field values in the instance's __dict__, defaults
# from the fields, a related instance cached as the ORM caches it. A model that does anything the fast
# path does not do (its own __init__, a pre_init or post_init receiver, a field descriptor of its own, a
# one-to-one or composite relation, database routers) goes through __init__.


class _Plan:
    """How to build instances of one model without Model.__init__, worked out once per model.

    `constants`: the fields whose default is one value (a constant, or None / "" for a field without a
    default), by attribute name; `defaults`: the others' default functions (callables such as `dict` or
    `timezone.now`, database defaults); `related`: per many-to-one relation (which can be given as its
    instance), its name, attribute name, related model, the attribute read from the related instance and
    the name the instance is cached under; `attnames`: every attribute, in field order."""

    __slots__ = ("attname_set", "attnames", "constants", "defaults", "related")

    def __init__(self, model: type[models.Model]) -> None:
        self.constants: dict[str, Any] = {}
        self.defaults: list[tuple[str, Callable[[], Any]]] = []
        self.related: list[tuple[str, str, type[models.Model], str, str]] = []
        for field in model._meta.concrete_fields:
            if type(field).get_default is not models.Field.get_default or field.has_db_default():
                self.defaults.append((field.attname, field.get_default))
            elif field.has_default() and callable(field.default):
                self.defaults.append((field.attname, field.default))
            else:  # one value each time (Django's get_default returns this very object)
                self.constants[field.attname] = field.get_default()
            if isinstance(field, models.ForeignKey):  # the only relation _fast_plan lets through
                remote = field.remote_field.model
                assert isinstance(remote, type) and issubclass(remote, models.Model)
                self.related.append(
                    (
                        field.name,
                        field.attname,
                        remote._meta.concrete_model or remote,
                        field.target_field.attname,
                        field.cache_name,
                    )
                )
        self.attnames = tuple(field.attname for field in model._meta.concrete_fields)
        self.attname_set = frozenset(self.attnames)


@functools.cache
def _fast_plan(model: type[models.Model]) -> _Plan | None:
    """How to build instances of `model` without Model.__init__; None when it must go through it."""
    if model.__init__ is not models.Model.__init__ or model._meta.abstract or settings.DATABASE_ROUTERS:
        return None
    for field in model._meta.concrete_fields:
        attribute = model.__dict__.get(field.attname)
        if getattr(field, "generated", False) or (
            attribute is not None and type(attribute) not in (DeferredAttribute, ForeignKeyDeferredAttribute)
        ):
            return None
        if field.is_relation and (
            not isinstance(field, models.ForeignKey)
            or type(field) is not models.ForeignKey
            or type(model.__dict__.get(field.name)) is not ForwardManyToOneDescriptor
            or len(field.related_fields) != 1
        ):
            return None
    return _Plan(model)


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
    attributes.update(plan.constants)
    for attname, default in plan.defaults:
        if attname not in values:
            attributes[attname] = default()
    for name, attname, remote_model, target_attname, cache_name in plan.related:
        target = values.pop(name, _MISSING)
        if target is _MISSING:
            continue
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
    others = values.keys() - plan.attname_set
    properties = {name: values.pop(name) for name in others}
    attributes.update(values)
    for name, value in properties.items():  # properties, as Model.__init__ sets them
        if name not in model._meta._property_names:  # type: ignore[attr-defined]
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {name!r}") from None
        setattr(obj, name, value)
    return obj


def _instance(model: type[M], values: Sequence[Any], db: BaseDatabaseWrapper) -> M:
    converters = _converters(model, db)
    if converters:
        values = list(values)
        for index, col, functions in converters:
            value = values[index]
            for converter in functions:
                value = converter(value, col, db)
            values[index] = value
    plan = _fast_plan(model)
    if plan is None or _listened(model):
        return model.from_db(db.alias, (), values)  # every field: names unused
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding = False
    state.db = db.alias
    obj.__dict__.update(zip(plan.attnames, values, strict=True))
    return obj


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


# How a statement runs. What Django's cursor does per statement is kept: the health check at a request's
# first use, the connection opened on demand, the broken-transaction check and the translation of driver
# errors. Skipped are its wrapper objects and a new driver cursor per statement.
#
# While queries are logged (DEBUG, `CaptureQueriesContext`, the test suite's query counts) or an execute
# wrapper is installed, Django's own cursor runs the statement, so every statement is seen there.
#
# On PostgreSQL a statement goes to the server with its values apart from the text (the extended query
# protocol, psycopg's server-side binding), not quoted into it as Django's cursors do: the driver dumps
# the values in C. A value whose type PostgreSQL cannot tell from its place in the statement needs a cast
# (`CAST(%s AS integer) IS NULL`). The name of that protocol, for the benchmark's raw PostgreSQL replay
# (bench/place_orders.py), which sends its statements the same way; not a switch.
POSTGRESQL_PROTOCOL = "extended"

# Per statement text, what psycopg would otherwise work out on every run: the text with `$n`
# placeholders, encoded, and a Transformer holding the adaptation it looked up (the dumpers for the
# values' types, the loaders for the result's columns). Keyed by the text and bounded, and only short
# texts: texts built with a varying number of rows or placeholders would otherwise grow it without end.
_MAX_STATEMENTS = 500
_MAX_TEXT_LENGTH = 4096
_PLACEHOLDER = re.compile(r"%[%s]|%")


class _Statement:
    """One statement text made ready for a connection: run by `_pg_run` through psycopg's C layer (the
    libpq connection, the Transformer, the C query generator and wait), as psycopg's Cursor.execute runs
    it minus the Python layers around those (about 20 µs of CPU a statement, a tenth of a placement)."""

    __slots__ = ("formats", "query", "transformer")

    def __init__(self, query: bytes, parameters: int, context: Any) -> None:
        self.query = query
        self.formats = [PyFormat.AUTO] * parameters
        self.transformer = Transformer(context)


def _statement_for(sql: str, db: BaseDatabaseWrapper, cache: dict[Any, Any]) -> _Statement | None:
    """The connection's prepared-for-running form of `sql`, or None where psycopg's cursor should run it
    (a long or unusual text, or too many texts already)."""
    statements: dict[str, _Statement] = cache["statements"]
    statement = statements.get(sql)
    if statement is not None or len(statements) >= _MAX_STATEMENTS or len(sql) > _MAX_TEXT_LENGTH:
        return statement
    numbers = itertools.count(1)
    unusual = False

    def placeholder(match: re.Match[str]) -> str:
        nonlocal unusual
        token = match.group()
        if token == "%%":
            return "%"
        if token == "%":  # a placeholder kind psycopg would name in its error: let it say so
            unusual = True
        return f"${next(numbers)}"

    text = _PLACEHOLDER.sub(placeholder, sql)
    if unusual:
        return None
    connection = db.connection
    statement = statements[sql] = _Statement(
        text.encode(connection.info.encoding), next(numbers) - 1, cache["context"]
    )
    return statement


def _connection_cache(db: BaseDatabaseWrapper) -> dict[Any, Any]:
    """This connection's statements and adaptation context, made anew when the driver connection changes
    (a reconnect after CONN_MAX_AGE or an error)."""
    cache = _cache(db)
    if cache.get("connection") is not db.connection:
        cache.clear()
        cache["connection"] = db.connection
        cache["statements"] = {}
        if db.vendor == "postgresql":
            cache["context"] = _postgresql_cursor(db)
            cache["begin"] = _Statement(b"BEGIN", 0, cache["context"])
        else:
            cache["context"] = db.create_cursor()
    return cache


def _postgresql_cursor(db: BaseDatabaseWrapper) -> Any:
    """A driver cursor with the connection's adapters (Django's): the adaptation context of the
    statements, and what runs a statement `_pg_run` leaves to psycopg.

    Django reads `timestamptz` with a subclass of psycopg's loader that sets the connection's time zone
    on each value, and the subclass runs psycopg's pure-Python loader (about 4% of a placement's Python
    time went there). In a UTC session psycopg's own loader, in C, already returns every value with
    `datetime.timezone.utc`, the very value Django's returns, so the statements read with that one."""
    import psycopg
    from psycopg.types.datetime import TimestamptzLoader

    cursor = psycopg.Cursor(db.connection)  # server-side binding, like _pg_run (POSTGRESQL_PROTOCOL)
    if db.timezone is datetime.UTC and db.connection.info.parameter_status("TimeZone") == "UTC":
        cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    return cursor


_TEXT = pq.Format.TEXT
_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_IDLE = pq.TransactionStatus.IDLE


def _begins_with_options(connection: Any) -> bool:
    """Whether psycopg opens this connection's transactions with more than a plain BEGIN."""
    return not (
        connection.isolation_level is None and connection.read_only is None and connection.deferrable is None
    )


class _Result:
    """What a statement returned: its rows (all read) and the number of rows it changed or returned."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount


def _pg_run(connection: Any, statement: _Statement, params: Sequence[Any]) -> _Result:
    """Run a statement as psycopg's Cursor.execute + fetchall would, through the same C parts."""
    transformer = statement.transformer
    dumped = transformer.dump_sequence(params, statement.formats)
    pgconn = connection.pgconn
    with connection.lock:
        pgconn.send_query_params(
            statement.query,
            dumped,
            param_formats=transformer.formats,
            param_types=transformer.types,
            result_format=_TEXT,
        )
        results = connection.wait(pg_execute(pgconn))
    result = results[-1]
    status = result.status
    if status == _TUPLES_OK:
        transformer.set_pgresult(result)
        count = result.ntuples
        return _Result(transformer.load_rows(0, count, tuple), count)
    if status == _COMMAND_OK:
        count = result.command_tuples
        return _Result([], -1 if count is None else count)
    if status == _FATAL_ERROR:
        raise pg_errors.error_from_result(result, encoding=connection.info.encoding)
    raise pg_errors.InternalError(f"unexpected result status from query: {pq.ExecStatus(status).name}")


def _cursor_result(cursor: Any, sql: str, params: Sequence[Any]) -> _Result:
    """Run a statement on a cursor (Django's, SQLite's or psycopg's) and read all it returned."""
    cursor.execute(sql, params)
    rows = list(cursor.fetchall()) if cursor.description is not None else []
    return _Result(rows, cursor.rowcount)


def _run(sql: str, params: Sequence[Any], db: BaseDatabaseWrapper | None = None) -> _Result:
    """Run one statement; its rows, all read (on a kept SQLite cursor a statement half read would stay in
    progress, with its locks, and SQLite refuses to commit then), and its row count."""
    db = db or _db()
    if db.execute_wrappers or db.queries_logged:
        with db.cursor() as wrapped:
            return _cursor_result(wrapped, sql, params)
    # Django's cursor() runs these three on every statement; each returns at once when there is nothing
    # to do, so they are only called when there may be.
    if not db.health_check_done:  # type: ignore[attr-defined]
        db.close_if_health_check_failed()
    if db.connection is None:
        db.ensure_connection()
    if db.needs_rollback:
        db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cache = _connection_cache(db)
        if db.vendor != "postgresql":  # SQLite caches statements per connection: one cursor does
            return _cursor_result(cache["context"], sql, params)
        connection = db.connection
        statement = _statement_for(sql, db, cache)
        opens = not connection.autocommit and connection.pgconn.transaction_status == _IDLE
        # Anything unusual goes through psycopg's cursor, which names what is wrong with an odd
        # statement, and so does a transaction's first statement when psycopg would open it with more
        # than a plain BEGIN (an isolation level, read only, deferrable).
        if (
            statement is None
            or len(params) != len(statement.formats)
            or (opens and _begins_with_options(connection))
        ):
            return _cursor_result(cache["context"], sql, params)
        if opens:  # as psycopg does before a transaction's first statement
            _pg_run(connection, cache["begin"], ())
        return _pg_run(connection, statement, params)


def fetch_models(model: type[M], sql: str, params: Sequence[Any], related: Sequence[str] = ()) -> list[M]:
    db = _db()
    return rows_to_models(model, _run(sql, params, db).rows, related, db)


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return _run(sql, params).rows


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a statement; the number of rows it changed."""
    return _run(sql, params).rowcount


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row, or None (the rest are read too)."""
    rows = _run(sql, params).rows
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


class _InsertPlan:
    """How one model's rows are written by insert(), worked out once per model: the fields written (all
    but a key the database assigns), the INSERT's head and tail (RETURNING that key, or nothing when the
    key is set beforehand, such as a UUID), the fields whose pre_save does more than read the attribute
    (auto_now, auto_now_add), and, per combination of value types met so far, which values must go
    through their field's get_db_prep_save (see _PLAIN_TYPES)."""

    __slots__ = ("aware", "fields", "head", "pk_attname", "plain", "prepared", "read", "returning", "saved")

    def __init__(self, model: type[models.Model]) -> None:
        pk = model._meta.pk
        assert pk is not None
        self.fields = [f for f in model._meta.concrete_fields if not f.db_returning]
        columns = ", ".join(q(str(f.column)) for f in self.fields)
        self.head = f"INSERT INTO {table(model)} ({columns}) VALUES "
        self.returning = f" RETURNING {q(str(pk.column))}" if pk.db_returning else ""
        # The key set straight in the instance's __dict__, as `obj.pk = ...` does for a model without
        # parents (with parents, it sets their links too).
        self.pk_attname = "" if model._meta.parents else pk.attname
        attnames = [f.attname for f in self.fields]
        getter = operator.itemgetter(*attnames)
        self.read: Callable[[dict[str, Any]], Any] = (
            getter if len(attnames) > 1 else (lambda values: (getter(values),))
        )
        self.saved = [(i, f) for i, f in enumerate(self.fields) if _sets_value_on_save(f)]
        self.plain = [_plain_type(f) for f in self.fields]
        # Plain datetimes are written as they are only when aware: checked on each value.
        self.aware = [(i, f) for i, f in enumerate(self.fields) if self.plain[i] is datetime.datetime]
        self.prepared: dict[tuple[type, ...], list[int]] = {}

    def to_prepare(self, types: tuple[type, ...]) -> list[int]:
        """The positions of the values that go through their field, for values of these types."""
        positions = self.prepared.get(types)
        if positions is None:
            positions = [
                i
                for i, (plain, value_type) in enumerate(zip(self.plain, types, strict=True))
                if plain is None or (value_type is not plain and value_type is not type(None))
            ]
            if len(self.prepared) < 64:  # a handful of combinations in practice (a value or None)
                self.prepared[types] = positions
        return positions


def _sets_value_on_save(field: models.Field[Any, Any]) -> bool:
    """Whether the field's pre_save may do more than read the attribute: auto_now(_add) on Django's own
    date and time fields, or any field class with a pre_save of its own (a file field, say)."""
    if type(field) in (models.DateField, models.DateTimeField, models.TimeField):
        return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
    return type(field).pre_save is not models.Field.pre_save


@functools.cache
def _insert_plan(model: type[models.Model]) -> _InsertPlan:
    return _InsertPlan(model)


def insert(instances: Sequence[M]) -> Sequence[M]:
    """Write new instances of one model with one INSERT (RETURNING the ids the database assigns), as
    `bulk_create` would (field defaults and `auto_now_add` applied, no signals — the project uses none
    on these models); sets their pks."""
    if not instances:
        return instances
    db = _db()
    model = type(instances[0])
    plan = _insert_plan(model)
    fields = plan.fields
    params: list[Any] = []
    for obj in instances:
        try:
            values = list(plan.read(obj.__dict__))
        except KeyError:  # an attribute not in the instance's __dict__ (deferred): read as Django reads it
            values = [getattr(obj, f.attname) for f in fields]
        for i, field in plan.saved:  # auto_now(_add) sets the attribute too
            values[i] = field.pre_save(obj, True)
        for i in plan.to_prepare(tuple(map(type, values))):
            values[i] = fields[i].get_db_prep_save(values[i], db)
        for i, field in plan.aware:  # a naive datetime goes through its field (aware, with Django's warning)
            value = values[i]
            if type(value) is datetime.datetime and value.tzinfo is None:
                values[i] = field.get_db_prep_save(value, db)
        params += values
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"{plan.head}{', '.join([one_row] * len(instances))}{plan.returning}"
    result = _run(sql, params, db)
    if plan.returning:
        for obj, (pk_value,) in zip(instances, result.rows, strict=True):
            if plan.pk_attname:
                obj.__dict__[plan.pk_attname] = pk_value
            else:
                obj.pk = pk_value
    for obj in instances:
        obj._state.adding = False
        obj._state.db = db.alias
    return instances


def string_agg(expression: str) -> str:
    """Comma-joined values of `expression` over a group, on either engine."""
    if connection.vendor == "postgresql":
        return f"string_agg({expression}, ',')"
    return f"group_concat({expression}, ',')"
