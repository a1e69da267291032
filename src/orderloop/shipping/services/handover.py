"""Handover: the parcel leaves the warehouse on the day's manifest, its units come off stock."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.fulfillment.models import ParcelLine
from orderloop.inventory.models import StockLevel
from orderloop.inventory.services import stock_ship
from orderloop.orders.models import LineAllocation, Order
from orderloop.orders.promise import route_day

from .. import domain
from ..errors import (
    AlreadyHandedOver,
    CourierRequired,
    InvalidShipmentTransition,
    LabelNotReady,
    ShipmentNotFound,
)
from ..models import AdapterKind, EventSource, Manifest, Shipment
from .common import DELIVER, Actor, S, _locked
from .moves import _apply


def _courier(username: str) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
    if user is None or not user.has_perm(DELIVER):
        raise CourierRequired(details={"courier": _("No active courier has this user name.")})
    return user


def _manifest(shipment: Shipment, day: date) -> Manifest:
    try:
        with transaction.atomic():
            manifest, _created = Manifest.objects.get_or_create(
                carrier=shipment.carrier, warehouse=shipment.warehouse, date=day
            )
    except IntegrityError:  # another handover created it first
        manifest = Manifest.objects.get(carrier=shipment.carrier, warehouse=shipment.warehouse, date=day)
    return manifest


def _ship_units(order: Order, shipment: Shipment, *, actor: Actor) -> list[dict[str, Any]]:
    """The parcel's units leave the warehouse: off on_hand and reserved (a SHIPMENT ledger row per stock
    row, ascending id) and off the order's reservation (its LineAllocation rows shrink or go)."""
    reference = f"order {order.number}"
    per_stock: dict[int, int] = defaultdict(int)
    allocations: dict[int, int] = defaultdict(int)
    lines = ParcelLine.objects.filter(parcel_id=shipment.parcel_id).select_related("line")
    for parcel_line in lines:
        stock_id = (
            StockLevel.objects.filter(
                variant_id=parcel_line.line.variant_id, warehouse_id=shipment.warehouse_id
            )
            .values_list("id", flat=True)
            .first()
        )
        allocation = LineAllocation.objects.filter(line_id=parcel_line.line_id, stock_id=stock_id).first()
        if stock_id is None or allocation is None or allocation.quantity < parcel_line.quantity:
            raise InvalidShipmentTransition(
                _("The parcel's units are not reserved for this order in this warehouse."),
                details={"sku": parcel_line.line.sku, "parcel": shipment.parcel.number},
            )
        per_stock[stock_id] += parcel_line.quantity
        allocations[allocation.pk] += parcel_line.quantity
    shipped = []
    for stock_id in sorted(per_stock):
        row = stock_ship(stock_id=stock_id, quantity=per_stock[stock_id], actor=actor, reference=reference)
        shipped.append({"stock_id": stock_id, "sku": row.variant.sku, "quantity": per_stock[stock_id]})
    for allocation_id, quantity in allocations.items():
        # The whole reservation shipped: the row goes (quantities are at least 1); else it shrinks.
        if not LineAllocation.objects.filter(pk=allocation_id, quantity=quantity).delete()[0]:
            LineAllocation.objects.filter(pk=allocation_id, quantity__gt=quantity).update(
                quantity=F("quantity") - quantity
            )
    return shipped


def shipment_hand_over(
    *,
    shipment_id: int,
    actor: Actor,
    courier_username: str = "",
    delivery_date: date | None = None,
) -> Shipment:
    """The parcel leaves the warehouse: it goes on today's manifest of its carrier, its units come off
    stock, the order moves to `shipped` (on its first parcel) and the customer is told. A parcel for
    the shop's own couriers needs the courier (and the delivery day: by default the customer's chosen
    day when it is later than today, else today — orders/promise.py). A second handover
    of the same parcel is refused (409 already_handed_over) and changes nothing."""
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        if shipment.status == S.DRAFT:
            raise LabelNotReady(details={"shipment": shipment.pk})
        if shipment.status != S.LABEL_CREATED:
            raise AlreadyHandedOver(details={"shipment": shipment.pk, "status": shipment.status})
        courier = _courier(courier_username) if shipment.carrier.adapter == AdapterKind.OWN_COURIER else None
        _hand_over(
            order,
            shipment,
            actor=actor,
            courier=courier,
            delivery_date=delivery_date,
            source=EventSource.STAFF,
        )
        return shipment


def _hand_over(
    order: Order,
    shipment: Shipment,
    *,
    actor: Actor,
    courier: Any = None,
    delivery_date: date | None = None,
    source: str,
    occurred_at: datetime | None = None,
) -> None:
    """The handover itself, on the locked order and shipment: units off stock, reservations released,
    today's manifest, the `handed_over` event (which moves the order and emails the customer)."""
    day = timezone.localdate()
    fields = ["manifest", "handed_over_at"]
    if courier is not None:
        shipment.courier = courier
        # Without a day given, the customer's chosen day when it is later (a phone order for Friday goes
        # on Friday's route), else today.
        shipment.delivery_date = delivery_date or route_day(order, day)
        fields += ["courier", "delivery_date"]
    shipped = _ship_units(order, shipment, actor=actor)
    shipment.manifest = _manifest(shipment, day)
    shipment.handed_over_at = timezone.now()
    shipment.save(update_fields=fields)
    _apply(
        order,
        shipment,
        status=S.HANDED_OVER,
        source=source,
        key="handed_over",
        actor=actor,
        occurred_at=occurred_at,
        data={"units": shipped, "manifest": shipment.manifest.number},
    )


def shipment_by_code(code: str) -> Shipment:
    """A shipment by its tracking number as scanned from the label (or `S<id>`)."""
    text = domain.normalize_tracking(code)
    shipment = (
        Shipment.objects.filter(tracking_number=text).exclude(status=S.CANCELLED).order_by("-id").first()
    )
    if shipment is None and text.startswith("S") and text[1:].isdigit():
        shipment = Shipment.objects.filter(pk=int(text[1:])).first()
    if shipment is None:
        raise ShipmentNotFound(details={"code": text})
    return shipment
