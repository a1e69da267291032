"""The orders area's event types (the catalogue: core/events.py, docs/events.md).

The subject is the order (its id); every payload also carries the order's number, so a consumer can
name the order without reading our tables.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from orderloop.core.events import Payload, TransitionPayload, define

from .models import OrderStatus


class Money(Payload):
    amount: str  # a decimal string: money never travels as a float
    currency: str


class PlacedLine(Payload):
    sku: str
    name: str
    quantity: int
    unit_price: Money
    backordered: int = 0
    is_gift: bool = False


class OrderPlaced(Payload):
    number: str
    channel: str
    status: str
    priority: str
    customer_email: str
    customer_phone: str
    language: str
    delivery_method: str
    payment_method: str
    lines: list[PlacedLine]
    total: Money
    promised_date: str | None = None
    coupon: str = ""


class OrderStatusChanged(TransitionPayload):
    number: str
    reason: str = ""


class OrderCancelled(OrderStatusChanged):
    released_units: int = 0
    coupon_released: str = ""
    # Set when the order was cancelled because no payment came within this many hours.
    payment_timeout_hours: int | None = None


class OrderHeld(Payload):
    number: str
    reason: str = ""


class OrderReleased(Payload):
    number: str


class OrderEdited(Payload):
    """`changes`: one item per change, each with an `action` (remove_line, quantity, add_line,
    shipping_address, delivery_method, priority, preferred_delivery, move_allocation, short_pick) and its
    own fields (position, sku, from, to, quantity…). `totals` when the money changed."""

    number: str
    reason: str = ""
    changes: list[dict[str, Any]]
    currency: str = ""
    totals: dict[str, dict[str, str]] | None = None
    backordered: int = 0


class StockAllocated(Payload):
    """Stock that arrived (or was freed) went to the order's backordered lines."""

    number: str
    allocated: list[dict[str, Any]]
    still_backordered: bool
    reference: str = ""


class OrderAssigned(Payload):
    number: str
    # Usernames of the responsible manager before and after (None: nobody).
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class RiskFlag(Payload):
    code: str
    params: dict[str, Any] = Field(default_factory=dict)


class RiskFlagged(Payload):
    number: str
    flags: list[RiskFlag]


class RiskReviewed(Payload):
    number: str
    flags: list[str]


class SlaBreached(Payload):
    number: str
    status: str
    limit_minutes: int
    since: str  # when the order entered the status (ISO 8601)


define(
    "order.placed",
    subject="order",
    payload=OrderPlaced,
    description="An order came in from any channel: its lines, totals, customer contact and promise.",
)

# One type per status an order can move to: `order.confirmed`, `order.cancelled`, `order.delivered`…
for _status in OrderStatus:
    if _status == OrderStatus.NEW:
        continue
    if _status == OrderStatus.CANCELLED:
        define(
            "order.cancelled",
            subject="order",
            payload=OrderCancelled,
            description="The order was cancelled (`reason` required; `payment_timeout_hours` when no payment "
            "came in time); its reservations went back to stock (`released_units`).",
        )
        continue
    define(
        f"order.{_status.value}",
        subject="order",
        payload=OrderStatusChanged,
        description=f"The order moved to the status `{_status.value}` (from `from`; `reason` when given).",
    )

define(
    "order.held",
    subject="order",
    payload=OrderHeld,
    description="The order was put on hold: it may not go to the warehouse until released.",
)
define(
    "order.released",
    subject="order",
    payload=OrderReleased,
    description="The order's hold was released.",
)
define(
    "order.edited",
    subject="order",
    payload=OrderEdited,
    description="Staff changed the order's lines, address, delivery or allocations (`changes` says what).",
)
define(
    "order.stock_allocated",
    subject="order",
    payload=StockAllocated,
    description="Stock was reserved for the order's backordered lines (`still_backordered` if not all).",
)
define(
    "order.assigned",
    subject="order",
    payload=OrderAssigned,
    description="The responsible manager changed (`from`/`to`: usernames, null for nobody).",
)
define(
    "order.risk_flagged",
    subject="order",
    payload=RiskFlagged,
    description="Placement found risk flags: the order waits for a manager's review before the warehouse.",
)
define(
    "order.risk_reviewed",
    subject="order",
    payload=RiskReviewed,
    description="A manager reviewed the order's risk flags and let it go on.",
)
define(
    "order.sla_breached",
    subject="order",
    payload=SlaBreached,
    description="The order stayed in `status` longer than its SLA rule allows (`limit_minutes`).",
)
