"""Named locks of returns. Lock order (orders/locks.py first): stock rows → order rows → return rows.
Every return service locks the return's order first, then the return, so two staff acting on the same
return (or on two returns of one order) queue instead of double-booking stock or money."""

from __future__ import annotations

from orderloop.orders import locks as order_locks
from orderloop.orders.models import Order

from .models import ReturnRequest


def return_for_update(rma_id: int) -> tuple[Order, ReturnRequest] | None:
    order_id = ReturnRequest.objects.filter(pk=rma_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return None
    order = order_locks.order_for_update(order_id)
    rma = ReturnRequest.objects.select_for_update().filter(pk=rma_id, order_id=order_id).first()
    if order is None or rma is None:
        return None
    rma.order = order
    return order, rma
