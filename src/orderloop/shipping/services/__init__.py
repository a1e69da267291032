"""Every write of the shipping area. Each service is one transaction; carriers are called outside any
transaction (create the row, commit, call, record the answer — like payments.card_payment_start/open).

Lock order, everywhere: the order row (orders/locks.py) → the shipment row → stock rows (through the
inventory services) → the manifest. A double handover or two deliveries of the same webhook therefore
queue on the order row, and the second finds the work done (unique event keys, status checks).

The order's status moves only through `orders.services.order_transition`, following
`domain.order_target` (never backwards: only moves the order table allows are made). Stock leaves the
warehouse at handover through `inventory.services.stock_ship`, and the order's reservations of those
units (LineAllocation rows) are released with it.

The services by concern: common (permissions, locks, the status machine), names, booking (shipments
and labels), handover (manifests, stock), moves (status changes and their effects), tracking (carrier
webhooks and polls), couriers (deliveries, cash, routes), pickup_points, rates. Callers import from
`orderloop.shipping.services`.
"""

from __future__ import annotations

from .booking import (
    BatchResult,
    parcels_to_ship,
    pickup_point_for,
    service_for,
    shipment_book,
    shipment_cancel,
    shipment_create,
    shipment_create_and_book,
    shipment_request,
    shipments_create_for_wave,
)
from .common import COD_READ, DELIVER, IMPORT_POINTS, MACHINE, MANAGE, RECONCILE, Actor, S
from .couriers import (
    cod_handover_record,
    delivery_mark_delivered,
    delivery_mark_failed,
    delivery_record_cash,
    next_attempt_day,
    pickup_mark_ready,
    route_set_position,
)
from .handover import shipment_by_code, shipment_hand_over
from .names import NAME_MAX, carrier_rename, carrier_service_rename
from .pickup_points import ImportResult, pickup_points_import
from .rates import ServiceRate, parcel_rates
from .tracking import (
    EventsResult,
    shipment_acknowledge,
    shipment_refresh,
    shipments_poll,
    tracking_events_apply,
    webhook_receive,
)

__all__ = [
    "COD_READ",
    "DELIVER",
    "IMPORT_POINTS",
    "MACHINE",
    "MANAGE",
    "NAME_MAX",
    "RECONCILE",
    "Actor",
    "BatchResult",
    "EventsResult",
    "ImportResult",
    "S",
    "ServiceRate",
    "carrier_rename",
    "carrier_service_rename",
    "cod_handover_record",
    "delivery_mark_delivered",
    "delivery_mark_failed",
    "delivery_record_cash",
    "next_attempt_day",
    "parcel_rates",
    "parcels_to_ship",
    "pickup_mark_ready",
    "pickup_point_for",
    "pickup_points_import",
    "route_set_position",
    "service_for",
    "shipment_acknowledge",
    "shipment_book",
    "shipment_by_code",
    "shipment_cancel",
    "shipment_create",
    "shipment_create_and_book",
    "shipment_hand_over",
    "shipment_refresh",
    "shipment_request",
    "shipments_create_for_wave",
    "shipments_poll",
    "tracking_events_apply",
    "webhook_receive",
]
