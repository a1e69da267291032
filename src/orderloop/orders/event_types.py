"""The orders area's event types (the catalogue: core/events.py, docs/events.md)."""

from __future__ import annotations

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


class OrderStatusChanged(TransitionPayload):
    number: str
    reason: str = ""


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
    define(
        f"order.{_status.value}",
        subject="order",
        payload=OrderStatusChanged,
        description=f"The order moved to the status `{_status.value}` (from `from`; `reason` when given).",
    )
