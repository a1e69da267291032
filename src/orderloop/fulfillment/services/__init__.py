"""Every write of the fulfilment area: releasing waves, picking (scan-confirmed, short picks), packing
(scan-verified, parcels, boxes). Each service is one transaction; locks follow fulfillment/locks.py.

The order's status moves only through `orders.services.order_transition` (ready → picking when a wave
takes it, picking → packed when every unit is in a packed parcel, picking → awaiting_stock when the
rest must wait for stock); reservations move only through the orders area (orders/shortpick.py) and
the inventory services, each with its ledger row.

The services by concern: common (the status machines and their events), waves, picking, settling (an
order after picking or packing), packing. Callers import from `orderloop.fulfillment.services`.
"""

from __future__ import annotations

from .. import domain  # the rules these services follow, as `services.domain` before the split
from .common import (
    MAX_BATCH_SIZE,
    MAX_WAVE_ORDERS,
    MAX_WEIGHT_G,
    PARCEL_MACHINE,
    PICK_LIST_MACHINE,
    WAVE_MACHINE,
    Actor,
    S,
)
from .packing import PackScanResult, parcel_cancel, parcel_open, parcel_pack, parcel_reopen, parcel_scan
from .picking import PickScanResult, ShortPickResult, pick_confirm, pick_list_claim, pick_short
from .waves import wave_release

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_WAVE_ORDERS",
    "MAX_WEIGHT_G",
    "PARCEL_MACHINE",
    "PICK_LIST_MACHINE",
    "WAVE_MACHINE",
    "Actor",
    "PackScanResult",
    "PickScanResult",
    "S",
    "ShortPickResult",
    "domain",
    "parcel_cancel",
    "parcel_open",
    "parcel_pack",
    "parcel_reopen",
    "parcel_scan",
    "pick_confirm",
    "pick_list_claim",
    "pick_short",
    "wave_release",
]
