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
