"""The inventory area's event types (the catalogue: core/events.py, docs/events.md).

A stock row (one variant in one warehouse) records an event only when its AVAILABLE quantity (on hand −
reserved) crosses a line, never on every movement: down to its reorder point (the row's low-stock
threshold, else the shop's default), down to zero, or up from zero (inventory/levels.py).
"""

from __future__ import annotations

from orderloop.core.events import Payload, define


class StockLevelCrossed(Payload):
    sku: str
    warehouse: str  # the warehouse's code
    available: int  # on_hand − reserved, after the change
    on_hand: int
    reserved: int
    reorder_point: int  # the low-stock threshold the row is measured against
    previous_available: int  # before the change
    reason: str  # the ledger's movement reason: reservation, shipment, adjustment, count…


define(
    "stock_level.low",
    subject="stock_level",
    payload=StockLevelCrossed,
    description="Available stock fell to its reorder point or below (still above zero).",
)
define(
    "stock_level.out",
    subject="stock_level",
    payload=StockLevelCrossed,
    description="Available stock fell to zero: nothing more can be reserved from this warehouse.",
)
define(
    "stock_level.back_in_stock",
    subject="stock_level",
    payload=StockLevelCrossed,
    description="Available stock rose above zero again (it may still be at or below its reorder point).",
)
