"""What the order card links to in the other areas — its parcels (and a failed delivery attempt among
them), its payments and its returns — read through those areas' selectors. Never writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Order


@dataclass(frozen=True)
class OrderRelated:
    shipments: list[Any] = field(default_factory=list)
    # Parcels whose latest news is a failed delivery attempt (shipping.selectors.DeliveryFailure): the
    # card's flag, which clears when the parcel moves on.
    delivery_failures: list[Any] = field(default_factory=list)
    returns: list[Any] = field(default_factory=list)


def order_related(order: Order) -> OrderRelated:
    # Imported here: shipping and returns import the orders area.
    from orderloop.returns.selectors import returns_of_order
    from orderloop.shipping.selectors import delivery_failures, shipments_list

    return OrderRelated(
        shipments=list(shipments_list(order_number=order.number).order_by("id")),
        delivery_failures=delivery_failures(order),
        returns=list(returns_of_order(order)),
    )
