"""`order_transition` for many orders at once (fulfilment moves a whole wave to `picking`).

The same move as `services.order_transition` — the same checks, side effects and event per order, through
`services._move` — but the rows are locked with one `SELECT … FOR UPDATE` in ascending id order instead
of one lock statement per order. Everything happens in one transaction: one refused order (a hold, a
missing risk review, a move the table does not allow) rolls back all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from . import locks, services
from .errors import OrderNotFound
from .models import Order
from .services import Actor


def orders_transition(*, order_ids: Sequence[int], to: str, actor: Actor, reason: str = "") -> list[Order]:
    """Move every order to `to` (ascending id). Raises what `order_transition` raises, and OrderNotFound
    (404, details: the missing ids) when an id names no order."""
    ids = sorted(set(order_ids))
    with transaction.atomic():
        orders = list(locks.orders_for_update().filter(pk__in=ids))
        missing = sorted(set(ids) - {order.pk for order in orders})
        if missing:
            raise OrderNotFound(details={"order_ids": missing[:20]})
        return [services._move(order, to, actor=actor, reason=reason) for order in orders]
