"""Named, pk-ordered `select_for_update` querysets. Take locks in this order within one transaction:
stock rows (ascending id) → the order counter → order rows (ascending id). Nobody takes them the other
way round, so two transactions never wait on each other in a cycle."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from orderloop.core import rawsql
from orderloop.inventory.models import StockLevel, Warehouse

from .models import Order


def orders_for_update() -> QuerySet[Order]:
    return Order.objects.select_for_update().order_by("id")


def order_for_update(order_id: int) -> Order | None:
    return orders_for_update().filter(pk=order_id).first()


def stock_rows_for_allocation(variant_ids: Iterable[int]) -> list[StockLevel]:
    """Stock rows of these variants in active warehouses, locked in ascending id order.

    Locking (rather than only relying on the conditional UPDATE) makes the allocation plan exact: the
    availability read here cannot change before the reservation is written. It belongs next to the
    stock tables (inventory/locks.py) once that area has one.
    """
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    # Hand-written (core/rawsql.py): every placement runs it.
    q = rawsql.q
    lock = " FOR NO KEY UPDATE OF s" if connection.features.has_select_for_update_of else ""
    return rawsql.fetch_models(
        StockLevel,
        f"SELECT {rawsql.select_list(StockLevel, 's')}, {rawsql.select_list(Warehouse, 'w')} "
        f"FROM {rawsql.table(StockLevel)} s JOIN {rawsql.table(Warehouse)} w ON w.{q('id')} = s.{q('warehouse_id')} "
        f"WHERE s.{q('variant_id')} IN ({', '.join(['%s'] * len(ids))}) AND w.{q('is_active')} "
        f"ORDER BY s.{q('id')}{lock}",
        ids,
        related=["warehouse"],
    )
