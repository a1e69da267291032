"""Named, pk-ordered `select_for_update` querysets. Take locks in this order within one transaction:
stock rows (ascending id) → the order counter → order rows (ascending id). Nobody takes them the other
way round, so two transactions never wait on each other in a cycle."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from orderloop.inventory.models import StockLevel

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
    return list(
        StockLevel.objects.select_for_update(no_key=True, of=("self",))
        .select_related("warehouse")
        .filter(variant_id__in=set(variant_ids), warehouse__is_active=True)
        .order_by("id")
    )
