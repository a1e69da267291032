"""core/fastsql.py returns and writes exactly what the ORM would, on both engines: every field's value
and type after the round trip (JSON, decimals, datetimes, booleans), related rows cached like
select_related, and inserted rows with their defaults, auto_now_add and primary keys."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from orderloop.catalog.models import Product, Variant
from orderloop.core import fastsql
from orderloop.inventory.models import StockMovement
from orderloop.inventory.services import stock_adjust


def _values(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_rows_come_back_as_the_orm_would_return_them(make_variant, django_assert_num_queries) -> None:
    variant = make_variant(sku="TEE-M", price="129.90", barcode="4006381333931")
    q = fastsql.q
    with django_assert_num_queries(1):  # the variant and its product in one statement
        (found,) = fastsql.fetch_models(
            Variant,
            f"SELECT {fastsql.select_list(Variant, 'v')}, {fastsql.select_list(Product, 'p')} "
            f"FROM {fastsql.table(Variant)} v JOIN {fastsql.table(Product)} p ON p.{q('id')} = v.{q('product_id')} "
            f"WHERE v.{q('sku')} = %s",
            ["TEE-M"],
            related=["product"],
        )
        product = found.product  # cached: no second query
    expected = Variant.objects.select_related("product").get(pk=variant.pk)
    assert _values(found) == _values(expected)
    assert _values(product) == _values(expected.product)
    assert found.price_amount == Decimal("129.90") and isinstance(found.price_amount, Decimal)
    assert found.attributes == {"size": "M", "colour": "Red"}  # JSON decoded
    assert found.is_active is True and isinstance(product.created_at, datetime)
    assert found._state.adding is False and found._state.db == "default"


def test_inserted_rows_read_back_through_the_orm(make_variant, warehouse) -> None:
    variant = make_variant()
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)
    movements = [
        StockMovement(
            stock_id=stock.pk, reason="reservation", reserved_delta=n, on_hand_after=5, reserved_after=n
        )
        for n in (1, 2)
    ]
    fastsql.insert(movements)
    assert all(m.pk for m in movements) and movements[0].pk != movements[1].pk
    for written in movements:
        stored = StockMovement.objects.get(pk=written.pk)
        assert (stored.reserved_delta, stored.reference, stored.note) == (written.reserved_delta, "", "")
        assert stored.created_at == written.created_at  # auto_now_add set on the instance and stored
    assert fastsql.insert([]) == []


def test_values_the_driver_cannot_take_as_they_are_are_prepared_by_their_fields(
    make_variant, warehouse
) -> None:
    """Plain str/int/bool values go straight to the driver; anything else (a lazy translation in a
    CharField, a numeric string in an IntegerField, a model instance's key) is prepared by the field,
    as the ORM would."""
    from django.utils.translation import gettext_lazy

    variant = make_variant()
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)
    movement = StockMovement(
        stock=stock,
        reason="reservation",
        reserved_delta="2",  # type: ignore[misc]
        on_hand_after=5,
        reserved_after=2,
        reference=gettext_lazy("Stock count"),
        note="",
    )
    fastsql.insert([movement])
    stored = StockMovement.objects.get(pk=movement.pk)
    assert (stored.stock_id, stored.reserved_delta, stored.reference) == (stock.pk, 2, "Stock count")
    assert stored.actor_id is None and stored.created_at == movement.created_at


def test_statements_outside_query_logging_behave_like_djangos_cursor(make_variant, warehouse) -> None:
    """Without query logging, statements run on one kept driver cursor: driver errors still arrive as
    Django's, and a transaction broken by one refuses further statements as Django's cursor does."""
    from django.db import IntegrityError, connection, transaction
    from django.db.transaction import TransactionManagementError

    assert not connection.queries_logged
    variant = make_variant(sku="KEEP-1")
    sql = f"SELECT {fastsql.column(Variant, 'sku')} FROM {fastsql.table(Variant)} WHERE {fastsql.column(Variant, 'id')} = %s"
    assert fastsql.fetch_one(sql, [variant.pk]) == ("KEEP-1",)
    assert fastsql.fetch_all(sql, [variant.pk]) == [("KEEP-1",)]
    insert_duplicate = (
        f"INSERT INTO {fastsql.table(Product)} ({fastsql.column(Product, 'handle')}, {fastsql.column(Product, 'name')}, "
        f"{fastsql.column(Product, 'name_translations')}, {fastsql.column(Product, 'description')}, "
        f"{fastsql.column(Product, 'image_url')}, {fastsql.column(Product, 'is_active')}, "
        f"{fastsql.column(Product, 'allow_backorder')}, {fastsql.column(Product, 'created_at')}, "
        f"{fastsql.column(Product, 'updated_at')}) "
        f"SELECT {fastsql.column(Product, 'handle')}, 'x', '{{}}', '', '', %s, %s, %s, %s FROM {fastsql.table(Product)} "
        f"WHERE {fastsql.column(Product, 'id')} = %s"
    )
    now = connection.ops.adapt_datetimefield_value(variant.created_at)
    with pytest.raises(IntegrityError), transaction.atomic():  # the handle is unique
        fastsql.execute(insert_duplicate, [True, False, now, now, variant.product_id])
    with transaction.atomic():
        connection.needs_rollback = True  # what an error caught inside this block leaves behind
        with pytest.raises(TransactionManagementError):
            fastsql.fetch_one(sql, [variant.pk])
        transaction.set_rollback(True)
    assert fastsql.fetch_one(sql, [variant.pk]) == ("KEEP-1",)  # usable again after the rollback


@pytest.mark.django_db(transaction=True)
def test_a_closed_connection_is_reopened_with_a_new_cursor(make_variant) -> None:
    from django.db import connection

    variant = make_variant(sku="KEEP-2")
    sql = f"SELECT {fastsql.column(Variant, 'sku')} FROM {fastsql.table(Variant)} WHERE {fastsql.column(Variant, 'id')} = %s"
    assert fastsql.fetch_one(sql, [variant.pk]) == ("KEEP-2",)
    connection.close()  # as Django does at the end of a request past CONN_MAX_AGE, or after an error
    assert fastsql.fetch_one(sql, [variant.pk]) == ("KEEP-2",)


@pytest.mark.django_db(transaction=True)
def test_a_first_row_read_leaves_nothing_in_progress_at_commit(make_variant) -> None:
    """On the kept cursor a statement half read would stay in progress; SQLite then refuses the commit."""
    from django.db import transaction

    make_variant(sku="KEEP-3")
    make_variant(sku="KEEP-4")
    with transaction.atomic():
        first = fastsql.fetch_one(
            f"UPDATE {fastsql.table(Variant)} SET {fastsql.column(Variant, 'is_active')} = %s "
            f"WHERE {fastsql.column(Variant, 'sku')} LIKE %s RETURNING {fastsql.column(Variant, 'sku')}",
            [False, "KEEP-%"],
        )
    assert first is not None and first[0] in ("KEEP-3", "KEEP-4")
    assert not Variant.objects.filter(sku__startswith="KEEP-", is_active=True).exists()  # committed


def test_new_instances_are_those_model_init_builds(make_variant, django_assert_num_queries) -> None:
    from orderloop.orders.models import OrderLine

    variant = make_variant(sku="MUG-1", price="49.00")
    arguments: dict[str, Any] = {
        "variant": variant,
        "position": 2,
        "sku": "MUG-1",
        "name": "Mug",
        "quantity": 3,
        "unit_price_amount": Decimal("49.00"),
    }
    built = fastsql.new(OrderLine, **arguments)
    expected = OrderLine(**arguments)
    assert _values(built) == _values(expected)  # defaults included: attributes {}, note "", is_gift False
    assert built.attributes is not expected.attributes  # a callable default, called for each instance
    assert built._state.adding is True and built._state.db == expected._state.db == "default"
    with django_assert_num_queries(0):
        assert built.variant is variant  # the related instance is cached, as the ORM caches it
    # A key given by id, a property (`pk`) and None for a relation, as Model.__init__ takes them.
    by_id = fastsql.new(OrderLine, variant_id=variant.pk, pk=7, order=None)
    assert (by_id.variant_id, by_id.id, by_id.order_id) == (variant.pk, 7, None)
    with django_assert_num_queries(0), pytest.raises(OrderLine.order.RelatedObjectDoesNotExist):
        by_id.order  # noqa: B018 — a required relation set to None, as with OrderLine(order=None)
    with pytest.raises(TypeError, match="unexpected keyword arguments: 'colour'"):
        fastsql.new(OrderLine, colour="red")
    with pytest.raises(ValueError, match=r'"OrderLine\.variant" must be a "Variant" instance'):
        fastsql.new(OrderLine, variant=variant.product)


def test_models_with_init_receivers_are_built_by_model_init(make_variant) -> None:
    from django.db.models.signals import post_init

    from orderloop.orders.models import OrderLine

    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(receiver, sender=OrderLine)
    try:
        line = fastsql.new(OrderLine, sku="A", quantity=1)
    finally:
        post_init.disconnect(receiver, sender=OrderLine)
    assert seen == [line]


def test_a_statement_run_again_adapts_each_runs_own_values(make_variant) -> None:
    """A statement keeps its cursor (and the adaptation it looked up) from run to run; values of another
    type, NULLs and a text too long to keep are still sent and read back as they are."""
    variant = make_variant(sku="KEEP-5", price="10.50")
    q = fastsql.q
    sql = (
        f"SELECT {q('sku')}, {q('price_amount')} FROM {fastsql.table(Variant)} "
        # A parameter PostgreSQL cannot type from its place needs a cast: values travel apart from the text.
        f"WHERE {q('id')} = %s AND ({q('price_amount')} = %s OR CAST(%s AS integer) IS NULL)"
    )
    assert fastsql.fetch_one(sql, [variant.pk, Decimal("10.50"), 1]) == ("KEEP-5", Decimal("10.50"))
    assert fastsql.fetch_one(sql, [variant.pk, 10.5, None]) == ("KEEP-5", Decimal("10.50"))
    assert fastsql.fetch_one(sql, [str(variant.pk), "0", None]) == ("KEEP-5", Decimal("10.50"))
    assert fastsql.fetch_one(sql, [variant.pk, Decimal("1"), 1]) is None
    long_sql = sql.replace(" FROM", " " * 4096 + "FROM")
    assert len(long_sql) > 4096
    assert fastsql.fetch_one(long_sql, [variant.pk, Decimal("10.50"), None]) == ("KEEP-5", Decimal("10.50"))


def test_timestamps_read_outside_query_logging_are_the_orms(make_variant) -> None:
    """The kept cursors read timestamps with psycopg's own loader on PostgreSQL: the same instant with the
    same time zone object as the ORM's."""
    from django.db import connection

    variant = make_variant(sku="KEEP-6")
    assert not connection.queries_logged
    (found,) = fastsql.fetch_models(
        Variant,
        f"SELECT {fastsql.select_list(Variant, 'v')} FROM {fastsql.table(Variant)} v WHERE v.{fastsql.q('id')} = %s",
        [variant.pk],
    )
    stored = Variant.objects.get(pk=variant.pk)
    assert _values(found) == _values(stored)
    assert found.created_at.tzinfo is stored.created_at.tzinfo is not None


def test_dates_datetimes_and_uuids_are_written_as_the_orm_writes_them(db: Any) -> None:
    """Aware datetimes and UUIDs go to the driver as they are on PostgreSQL; a naive datetime is made
    aware by its field (with Django's warning), on either engine."""
    import uuid
    from datetime import UTC, timedelta

    from django_tasks_db.models import DBTaskResult

    aware = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    rows = [
        fastsql.new(
            DBTaskResult,
            id=uuid.uuid4(),
            task_path="orderloop.notifications.tasks.send_customer_message",
            args_kwargs={"args": [], "kwargs": {}},
            backend_name="default",
            run_after=aware + timedelta(days=n),
        )
        for n in range(2)
    ]
    fastsql.insert(rows)
    for row in rows:
        stored = DBTaskResult.objects.get(pk=row.pk)
        assert stored.run_after == row.run_after and stored.enqueued_at == row.enqueued_at
    naive = fastsql.new(
        DBTaskResult,
        id=uuid.uuid4(),
        task_path="orderloop.notifications.tasks.send_customer_message",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=datetime(2026, 12, 1, 10, 30),
    )
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        fastsql.insert([naive])
    assert DBTaskResult.objects.get(pk=naive.pk).run_after == aware  # read in UTC, the project's zone


def test_statements_inside_a_transaction_report_rows_counts_and_errors_as_django(make_variant) -> None:
    """After a transaction's first statement, statements run below psycopg's cursor (on PostgreSQL):
    the same rows and row counts, a literal `%%`, driver errors arriving as Django's, and a wrong number
    of values refused as psycopg refuses it."""
    from django.db import IntegrityError, ProgrammingError, connection, transaction

    variant = make_variant(sku="KEEP-7")
    other = make_variant(sku="OTHER-7")
    sku = fastsql.column(Variant, "sku")
    table = fastsql.table(Variant)
    with transaction.atomic():
        assert fastsql.fetch_one(f"SELECT {sku} FROM {table} WHERE id = %s", [variant.pk]) == ("KEEP-7",)
        changed = fastsql.execute(f"UPDATE {table} SET {sku} = {sku} WHERE {sku} LIKE %s", ["KEEP-%"])
        assert changed == 1
        assert fastsql.fetch_all(
            f"SELECT {sku} FROM {table} WHERE {sku} LIKE 'KEEP-%%' AND id = %s", [variant.pk]
        ) == [("KEEP-7",)]
        assert fastsql.fetch_all(f"SELECT {sku} FROM {table} WHERE id = %s", [-1]) == []
        if connection.vendor == "postgresql":  # the text was made ready once and kept for the connection
            statements = fastsql._connection_cache(fastsql._db())["statements"]
            assert f"SELECT {sku} FROM {table} WHERE id = %s" in statements
        with pytest.raises(ProgrammingError), transaction.atomic():
            fastsql.fetch_one(f"SELECT {sku} FROM {table} WHERE id = %s", [variant.pk, 2])
    with transaction.atomic():
        fastsql.fetch_one(f"SELECT {sku} FROM {table} WHERE id = %s", [variant.pk])
        with pytest.raises(IntegrityError), transaction.atomic():  # the SKU is unique
            fastsql.execute(f"UPDATE {table} SET {sku} = %s WHERE id = %s", [other.sku, variant.pk])
    assert Variant.objects.get(pk=variant.pk).sku == "KEEP-7"


@pytest.mark.django_db(transaction=True)
def test_a_transactions_first_statement_opens_it_as_psycopg_would(make_variant) -> None:
    """The first statement of a transaction opens it (a plain BEGIN, or psycopg's own with the
    connection's isolation level): what it wrote is rolled back with the transaction."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite's transactions are opened by Django")
    import psycopg

    variant = make_variant(sku="KEEP-9")
    table, sku = fastsql.table(Variant), fastsql.column(Variant, "sku")
    rename = f"UPDATE {table} SET {sku} = %s WHERE id = %s"
    with transaction.atomic():
        assert fastsql.execute(rename, ["KEEP-9b", variant.pk]) == 1
        assert connection.connection.pgconn.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        transaction.set_rollback(True)
    assert Variant.objects.get(pk=variant.pk).sku == "KEEP-9"
    connection.ensure_connection()
    connection.connection.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    try:
        with transaction.atomic():
            assert fastsql.fetch_one("SELECT current_setting(%s)", ["transaction_isolation"]) == (
                "serializable",
            )
            assert fastsql.execute(rename, ["KEEP-9c", variant.pk]) == 1
            transaction.set_rollback(True)
    finally:
        connection.connection.isolation_level = None
    assert Variant.objects.get(pk=variant.pk).sku == "KEEP-9"
