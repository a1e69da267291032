"""The purchasing area's event types (the catalogue: core/events.py, docs/events.md).

A purchase order is created as a draft (`purchase_order.created`), then moves through the statuses of
domain.py, each move one event `purchase_order.<status>`: sent, partially_received, received (all
arrived, or closed short: `reason` "closed_short" and the missing units in `short`), cancelled.
"""

from __future__ import annotations

from pydantic import Field

from orderloop.core.events import Payload, TransitionPayload, define
from orderloop.orders.event_types import Money

from .models import PurchaseOrderStatus


class PurchaseOrderLine(Payload):
    sku: str
    quantity: int
    unit_price: Money


class PurchaseOrderCreated(Payload):
    number: str
    status: str
    supplier: str  # the supplier's code
    warehouse: str  # the receiving warehouse's code
    currency: str
    total: Money
    expected_date: str | None = None  # ISO date
    reason: str = ""  # e.g. "replenishment" when made from the suggestions
    lines: list[PurchaseOrderLine]


class ShortLine(Payload):
    sku: str
    ordered: int
    received: int
    short: int


class PurchaseOrderMoved(TransitionPayload):
    number: str
    supplier: str
    warehouse: str
    reason: str = ""
    expected_date: str | None = None  # sent: when the goods are expected (ISO date)
    receipt: int | None = None  # (partially) received: the receipt that made the move
    short: list[ShortLine] = Field(default_factory=list)  # closed short or cancelled: what did not come


define(
    "purchase_order.created",
    subject="purchase_order",
    payload=PurchaseOrderCreated,
    description="A draft purchase order was made (by hand or from the replenishment suggestions).",
)

_DESCRIPTIONS = {
    PurchaseOrderStatus.SENT: "The purchase order went to the supplier; its units are now incoming.",
    PurchaseOrderStatus.PARTIALLY_RECEIVED: "Part of the purchase order arrived (`receipt`).",
    PurchaseOrderStatus.RECEIVED: (
        "Everything arrived (`receipt`), or the order was closed short (`reason` closed_short, `short`)."
    ),
    PurchaseOrderStatus.CANCELLED: "The purchase order was called off; what did not arrive is in `short`.",
}

for _status, _description in _DESCRIPTIONS.items():
    define(
        f"purchase_order.{_status.value}",
        subject="purchase_order",
        payload=PurchaseOrderMoved,
        description=_description,
    )
