"""Take an order's reserved units out of stock as shipped (on_hand and reserved down, a SHIPMENT ledger
row each, the LineAllocation rows deleted).

The shipping area records handovers to the carrier; until it does, returns calls this for a line whose
units come back while they still sit reserved (a refused parcel, or a delivered order whose handover
was never recorded), so the returned units can then be booked in like any return."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from orderloop.inventory.services import stock_ship

from .models import LineAllocation, Order
from .services import Actor


def order_lines_ship_out(*, order: Order, line_ids: Iterable[int] | None = None, actor: Actor) -> int:
    """Ship out what the (locked) order's lines still hold reserved, in ascending stock id order.
    Returns the units taken out."""
    allocations = LineAllocation.objects.filter(line__order=order)
    if line_ids is not None:
        allocations = allocations.filter(line_id__in=list(line_ids))
    rows = list(allocations.order_by("stock_id", "id"))
    with transaction.atomic():
        for allocation in rows:
            stock_ship(
                stock_id=allocation.stock_id,
                quantity=allocation.quantity,
                actor=actor,
                reference=f"order {order.number}",
            )
        LineAllocation.objects.filter(pk__in=[a.pk for a in rows]).delete()
    return sum(a.quantity for a in rows)
