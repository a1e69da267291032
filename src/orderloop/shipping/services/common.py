"""What every part of the shipping services shares: permissions, the status machine, the locks."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from orderloop.core.statemachine import StateMachine
from orderloop.orders import locks as order_locks
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order

from .. import domain
from ..errors import InvalidShipmentTransition, ShipmentNotFound
from ..models import Shipment, ShipmentStatus

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None
S = ShipmentStatus

MANAGE = "shipping.manage_shipments"
DELIVER = "shipping.deliver_shipments"
RECONCILE = "shipping.reconcile_cod"
# Reading the cash-on-delivery books (the analyst, the manager) is apart from recording cash handed in.
COD_READ = "shipping.view_codcollection"
IMPORT_POINTS = "shipping.import_pickup_points"


# The shipment's status machine: the stages of domain.py as a table; each move appends the domain event
# `shipment.<status>` (shipping/event_types.py) next to the readable ShipmentEvent timeline.
MACHINE = StateMachine(subject="shipment", transitions=domain.TRANSITIONS, error=InvalidShipmentTransition)


def _has_perm(actor: Actor, perm: str) -> bool:
    has_perm = getattr(actor, "has_perm", None)
    return actor is not None and actor.is_authenticated and has_perm is not None and bool(has_perm(perm))


def _setting(name: str, default: Any) -> Any:
    return settings.ORDERLOOP.get(name, default)


def _locked_order(order_id: int) -> Order:
    order = order_locks.order_for_update(order_id)
    if order is None:
        raise OrderNotFound()
    return order


def _locked(shipment_id: int) -> tuple[Order, Shipment]:
    """Lock the shipment's order, then the shipment."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise ShipmentNotFound()
    order = _locked_order(order_id)
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("carrier", "service", "pickup_point", "parcel", "warehouse")
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise ShipmentNotFound()
    return order, shipment


def _shipment_for_call(shipment_id: int) -> Shipment:
    shipment = (
        Shipment.objects.select_related(
            "order", "parcel__box", "parcel__order", "carrier", "service", "pickup_point", "warehouse"
        )
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise ShipmentNotFound()
    return shipment
