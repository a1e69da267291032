"""Every write of the shipping area. Each service is one transaction; carriers are called outside any
transaction (create the row, commit, call, record the answer — like payments.card_payment_start/open).

Lock order, everywhere: the order row (orders/locks.py) → the shipment row → stock rows (through the
inventory services) → the manifest. A double handover or two deliveries of the same webhook therefore
queue on the order row, and the second finds the work done (unique event keys, status checks).

The order's status moves only through `orders.services.order_transition`, following
`domain.order_target` (never backwards: only moves the order table allows are made). Stock leaves the
warehouse at handover through `inventory.services.stock_ship`, and the order's reservations of those
units (LineAllocation rows) are released with it.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import DomainError, InvalidInput, PermissionDeniedError
from orderloop.core.i18n import names_validated
from orderloop.core.text import clean_text
from orderloop.fulfillment import locks as fulfillment_locks
from orderloop.fulfillment.models import Parcel, ParcelLine, ParcelStatus, Tote
from orderloop.inventory.models import StockLevel
from orderloop.inventory.services import stock_ship
from orderloop.orders import domain as order_domain
from orderloop.orders import locks as order_locks
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import LineAllocation, Order, OrderLine, PaymentKind
from orderloop.orders.promise import route_day
from orderloop.orders.services import order_add_note, order_transition, shop_calendar

from . import domain
from .adapters import adapter_for
from .adapters.base import Address, PointRef, Rate, ShipmentRequest, TrackingEvent
from .errors import (
    AlreadyHandedOver,
    CarrierError,
    CarrierNotFound,
    CashAmountWrong,
    CourierRequired,
    InvalidShipmentTransition,
    LabelNotReady,
    NoCarrierService,
    NotYourDelivery,
    ParcelAlreadyShipped,
    ParcelNotPacked,
    PickupPointRequired,
    ShipmentNotFound,
)
from .models import (
    AdapterKind,
    Carrier,
    CarrierService,
    CodCollection,
    CodHandover,
    DeliveryMethodService,
    EventSource,
    FailureReason,
    Manifest,
    PickupPoint,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None
S = ShipmentStatus

MANAGE = "shipping.manage_shipments"
DELIVER = "shipping.deliver_shipments"
RECONCILE = "shipping.reconcile_cod"
# Reading the cash-on-delivery books (the analyst, the manager) is apart from recording cash handed in.
COD_READ = "shipping.view_codcollection"
IMPORT_POINTS = "shipping.import_pickup_points"

PARCEL_SHIPPED = "parcel_shipped"
PARCEL_READY = "parcel_ready_for_pickup"
PARCEL_DELIVERED = "parcel_delivered"
NOTIFY_ON = {S.HANDED_OVER: PARCEL_SHIPPED, S.READY_FOR_PICKUP: PARCEL_READY, S.DELIVERED: PARCEL_DELIVERED}
DELIVERY_FAILED = "delivery_failed"


def _has_perm(actor: Actor, perm: str) -> bool:
    has_perm = getattr(actor, "has_perm", None)
    return actor is not None and actor.is_authenticated and has_perm is not None and bool(has_perm(perm))


def _setting(name: str, default: Any) -> Any:
    return settings.ORDERLOOP.get(name, default)


# --- Names of carriers and their services, per language (the back office's names page) ---------------

NAME_MAX = 120


def carrier_rename(*, code: str, name: str, name_translations: object, actor: Actor) -> Carrier:
    """Set a carrier's English name and its names in the other languages (empty: English)."""
    clean_name, translations = names_validated(name, name_translations, max_length=NAME_MAX)
    with transaction.atomic():
        carrier = Carrier.objects.select_for_update().filter(code=code).first()
        if carrier is None:
            raise CarrierNotFound(details={"carrier": code})
        carrier.name, carrier.name_translations = clean_name, translations
        carrier.save(update_fields=["name", "name_translations"])
        return carrier


def carrier_service_rename(
    *, carrier_code: str, code: str, name: str, name_translations: object, actor: Actor
) -> CarrierService:
    """Set a carrier service's English name and its names in the other languages (empty: English)."""
    clean_name, translations = names_validated(name, name_translations, max_length=NAME_MAX)
    with transaction.atomic():
        service = (
            CarrierService.objects.select_for_update(of=("self",))
            .filter(carrier__code=carrier_code, code=code)
            .select_related("carrier")
            .first()
        )
        if service is None:
            raise CarrierNotFound(details={"service": f"{carrier_code}.{code}"})
        service.name, service.name_translations = clean_name, translations
        service.save(update_fields=["name", "name_translations"])
        return service


# --- Locks ---------------------------------------------------------------------------------------------


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


# --- Which service, which point, how much cash -------------------------------------------------------


def service_for(order: Order, *, service_key: str = "") -> CarrierService:
    """The carrier service of the order's delivery option in its country (or the one staff chose:
    `carrier.service`, e.g. `nova_poshta.warehouse`)."""
    if service_key:
        carrier_code, _sep, code = service_key.partition(".")
        service = (
            CarrierService.objects.select_related("carrier")
            .filter(carrier__code=carrier_code, code=code, is_active=True, carrier__is_active=True)
            .first()
        )
        if service is None:
            raise InvalidInput(details={"service": _("No active carrier service has this code.")})
        return service
    mappings = {
        m.country: m
        for m in DeliveryMethodService.objects.select_related("service__carrier").filter(
            delivery_method_id=order.delivery_method_id, country__in=[order.ship_country.upper(), ""]
        )
    }
    mapping = mappings.get(order.ship_country.upper()) or mappings.get("")
    if mapping is None or not (mapping.service.is_active and mapping.service.carrier.is_active):
        raise NoCarrierService(
            details={"delivery_method": order.delivery_method.code, "country": order.ship_country}
        )
    return mapping.service


def pickup_point_for(order: Order, service: CarrierService) -> PickupPoint | None:
    """The imported point the customer chose at checkout: its label is the order's address line 1
    (the chooser writes it there); a typed number or the carrier's id is matched too."""
    points = PickupPoint.objects.filter(carrier_id=service.carrier_id, is_active=True)
    line1 = (order.ship_line1 or "").strip()
    if not line1:
        return None
    city = (order.ship_city or "").strip()
    candidates = [p for p in points.filter(city__iexact=city)] if city else []
    for point in candidates or []:
        if point.label == line1 or point.external_id == line1:
            return point
    digits = "".join(ch for ch in line1 if ch.isdigit())
    if candidates and digits and line1.replace("№", "").replace("#", "").strip().isdigit():
        return next((p for p in candidates if p.number == digits), None)
    return points.filter(external_id=line1).first()


def _cod_due(order: Order, *, exclude_shipment_id: int | None = None) -> Decimal:
    """What the carrier or courier collects with this parcel: the order's outstanding amount (cash on
    delivery, the rest of a prepayment) less what other live parcels of the order already carry."""
    from orderloop.payments.selectors import payment_sums

    if order.payment_method.kind not in {PaymentKind.COD, PaymentKind.PREPAYMENT}:
        return Decimal("0")
    outstanding = payment_sums(order).outstanding
    others = Shipment.objects.filter(order=order).exclude(status=S.CANCELLED)
    if exclude_shipment_id is not None:
        others = others.exclude(pk=exclude_shipment_id)
    carried = others.exclude(cod_collection__isnull=False).aggregate(s=Sum("cod_amount"))["s"] or Decimal("0")
    return max(outstanding - carried, Decimal("0")).quantize(Decimal("0.01"))


def _parcel_value(parcel: Parcel) -> Decimal:
    total = Decimal("0")
    for line in ParcelLine.objects.filter(parcel=parcel).select_related("line"):
        total += line.line.unit_price_amount * line.quantity
    return total


# --- Creating shipments and labels ----------------------------------------------------------------------


def shipment_create(
    *, parcel_id: int, actor: Actor, service_key: str = "", pickup_point_id: int | None = None
) -> Shipment:
    """Step 1 of a label: a `draft` shipment for a packed parcel, committed before the carrier is asked
    (shipment_book). Refuses a parcel that is not packed (409 parcel_not_packed) or already has a live
    shipment (409 parcel_already_shipped), a delivery option with no carrier service (409
    no_carrier_service), a pickup-point service without a point (422 pickup_point_required)."""
    order_id = Parcel.objects.filter(pk=parcel_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise InvalidInput(details={"parcel": _("No parcel has this number.")})
    with transaction.atomic():
        order = _locked_order(order_id)
        parcel = fulfillment_locks.parcel_for_update(parcel_id)
        assert parcel is not None
        if parcel.status != ParcelStatus.PACKED:
            raise ParcelNotPacked(details={"parcel": parcel.number, "status": parcel.status})
        existing = Shipment.objects.filter(parcel=parcel).exclude(status=S.CANCELLED).first()
        if existing is not None:
            raise ParcelAlreadyShipped(details={"parcel": parcel.number, "shipment": existing.pk})
        if order.status in order_domain.FINAL:
            raise ParcelNotPacked(details={"parcel": parcel.number, "order_status": order.status})
        service = service_for(order, service_key=service_key)
        point = None
        if pickup_point_id is not None:
            point = PickupPoint.objects.filter(pk=pickup_point_id, carrier_id=service.carrier_id).first()
            if point is None:
                raise PickupPointRequired(details={"pickup_point": _("Not a pickup point of this carrier.")})
        elif service.needs_pickup_point:
            point = pickup_point_for(order, service)
        if service.needs_pickup_point and point is None:
            raise PickupPointRequired(
                details={"pickup_point": _("Choose the pickup point the parcel goes to.")}
            )
        try:
            with transaction.atomic():
                shipment = Shipment.objects.create(
                    order=order,
                    parcel=parcel,
                    warehouse=parcel.warehouse,
                    carrier=service.carrier,
                    service=service,
                    pickup_point=point,
                    status=S.DRAFT,
                    status_changed_at=timezone.now(),
                    weight_g=parcel.weight_g or 1,
                    currency=order.currency,
                    cod_amount=_cod_due(order),
                    declared_value=_parcel_value(parcel),
                    created_by_id=_actor_id(actor),
                )
        except IntegrityError as exc:
            raise ParcelAlreadyShipped(details={"parcel": parcel.number}) from exc
        _event(shipment, status=S.DRAFT, source=EventSource.STAFF, key="created", actor=actor, applied=True)
        return shipment


def _sender(shipment: Shipment) -> Address:
    warehouse = shipment.warehouse
    return Address(
        name=str(_setting("SHOP_NAME", "")),
        phone=str(_setting("SHOP_PHONE", "")),
        country=warehouse.country,
        city=warehouse.city,
        postal_code=warehouse.postal_code,
        line1=warehouse.address_line,
        email=settings.DEFAULT_FROM_EMAIL,
    )


def shipment_request(shipment: Shipment) -> ShipmentRequest:
    """What the carrier is told about this parcel."""
    order = shipment.order
    parcel = shipment.parcel
    box = parcel.box
    point = shipment.pickup_point
    names = list(ParcelLine.objects.filter(parcel=parcel).values_list("line__name", flat=True)[:3])
    return ShipmentRequest(
        reference=parcel.number,
        service_code=shipment.service.carrier_code or shipment.service.code,
        sender=_sender(shipment),
        recipient=Address(
            name=order.customer_name,
            phone=order.customer_phone,
            email=order.customer_email,
            country=order.ship_country,
            city=point.city if point else order.ship_city,
            postal_code=point.postal_code if point else order.ship_postal_code,
            line1=order.ship_line1,
            line2=order.ship_line2,
            region=order.ship_region,
        ),
        weight_g=shipment.weight_g,
        length_mm=box.length_mm if box else 0,
        width_mm=box.width_mm if box else 0,
        height_mm=box.height_mm if box else 0,
        currency=shipment.currency,
        declared_value=shipment.declared_value,
        cod_amount=shipment.cod_amount,
        description=", ".join(names)[:100] or order.number,
        ship_date=timezone.localdate(),
        pickup_point=PointRef(
            external_id=point.external_id,
            number=point.number,
            city=point.city,
            postal_code=point.postal_code,
            country=point.country,
            data=point.data,
        )
        if point
        else None,
        local_id=shipment.pk,
    )


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


def shipment_book(*, shipment_id: int, actor: Actor = None) -> Shipment:
    """Steps 2 and 3: ask the carrier (outside any transaction) for the tracking number (and its label),
    then record the answer and move the shipment to `label_created`. A shipment that has its number
    already is returned as it is. A carrier refusal is recorded on the shipment (`last_error`) and
    raised (502 carrier_error); the shipment stays a draft and can be booked again."""
    shipment = _shipment_for_call(shipment_id)
    if shipment.status != S.DRAFT:
        return shipment
    adapter = adapter_for(shipment.carrier.adapter)
    try:
        booked = adapter.create_shipment(shipment_request(shipment))
    except DomainError as exc:
        Shipment.objects.filter(pk=shipment.pk).update(last_error=clean_text(exc.message, 500))
        raise
    with transaction.atomic():
        order, locked = _locked(shipment.pk)
        if locked.status != S.DRAFT:
            return locked
        locked.tracking_number = clean_text(booked.tracking_number, 64)
        locked.carrier_reference = clean_text(booked.carrier_reference, 100)
        locked.carrier_label = booked.label_pdf
        locked.carrier_cost = booked.cost
        locked.estimated_delivery = booked.estimated_delivery
        locked.last_error = ""
        locked.save(
            update_fields=[
                "tracking_number",
                "carrier_reference",
                "carrier_label",
                "carrier_cost",
                "estimated_delivery",
                "last_error",
            ]
        )
        _apply(
            order, locked, status=S.LABEL_CREATED, source=EventSource.SYSTEM, key="label_created", actor=actor
        )
        return locked


def shipment_create_and_book(
    *, parcel_id: int, actor: Actor, service_key: str = "", pickup_point_id: int | None = None
) -> Shipment:
    shipment = shipment_create(
        parcel_id=parcel_id, actor=actor, service_key=service_key, pickup_point_id=pickup_point_id
    )
    return shipment_book(shipment_id=shipment.pk, actor=actor)


@dataclass
class BatchResult:
    shipments: list[Shipment] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (parcel, code, message)


def parcels_to_ship(*, wave_id: int | None = None, warehouse_id: int | None = None) -> list[Parcel]:
    """Packed parcels without a live shipment (of one wave's orders, or of one warehouse)."""
    parcels = (
        Parcel.objects.filter(status=ParcelStatus.PACKED)
        .exclude(order__status__in=list(order_domain.FINAL))
        .exclude(shipments__status__in=[s for s in ShipmentStatus.values if s != S.CANCELLED])
    )
    if wave_id is not None:
        totes = Tote.objects.filter(wave_id=wave_id)
        parcels = parcels.filter(
            order_id__in=totes.values("order_id"), warehouse_id__in=totes.values("warehouse_id")
        )
    if warehouse_id is not None:
        parcels = parcels.filter(warehouse_id=warehouse_id)
    return list(parcels.select_related("order", "warehouse").order_by("order_id", "sequence").distinct())


def shipments_create_for_wave(*, wave_id: int, actor: Actor) -> BatchResult:
    """Labels for every packed parcel of a wave that has none: each parcel on its own (one that the
    carrier refuses is reported and the others go on). The existing live shipments of the wave's
    parcels are included, so the batch PDF prints the whole wave."""
    result = BatchResult()
    for parcel in parcels_to_ship(wave_id=wave_id):
        try:
            result.shipments.append(shipment_create_and_book(parcel_id=parcel.pk, actor=actor))
        except DomainError as exc:
            result.failed.append((parcel.number, exc.code, exc.message))
    return result


def shipment_cancel(*, shipment_id: int, actor: Actor, reason: str = "") -> Shipment:
    """Cancel a shipment whose parcel has not left (draft or label created): the carrier's document is
    deleted first (outside the transaction), then the shipment is cancelled; the parcel can get a new
    label."""
    shipment = _shipment_for_call(shipment_id)
    if shipment.status not in domain.CANCELLABLE:
        raise InvalidShipmentTransition(details={"from": shipment.status, "to": S.CANCELLED})
    if shipment.status == S.LABEL_CREATED and shipment.tracking_number:
        adapter_for(shipment.carrier.adapter).cancel(
            tracking_number=shipment.tracking_number,
            carrier_reference=shipment.carrier_reference,
            request=shipment_request(shipment),
        )
    with transaction.atomic():
        order, locked = _locked(shipment.pk)
        if not _apply(
            order,
            locked,
            status=S.CANCELLED,
            source=EventSource.STAFF,
            key="cancelled",
            actor=actor,
            description=clean_text(reason, 255),
        ):
            raise InvalidShipmentTransition(details={"from": locked.status, "to": S.CANCELLED})
        return locked


# --- Handover ------------------------------------------------------------------------------------------


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


# --- Events and their effects --------------------------------------------------------------------------


def _event(
    shipment: Shipment,
    *,
    status: str,
    source: str,
    key: str,
    actor: Actor = None,
    occurred_at: datetime | None = None,
    carrier_code: str = "",
    description: str = "",
    location: str = "",
    is_unknown: bool = False,
    applied: bool = False,
    from_status: str = "",
    data: dict[str, Any] | None = None,
) -> ShipmentEvent | None:
    """Append an event; None when one with the same key exists (a replayed webhook, a repeated poll)."""
    try:
        with transaction.atomic():
            return ShipmentEvent.objects.create(
                shipment=shipment,
                source=source,
                carrier_code=clean_text(carrier_code, 40),
                description=clean_text(description, 255),
                location=clean_text(location, 200),
                status=status,
                is_unknown=is_unknown,
                applied=applied,
                from_status=from_status,
                occurred_at=occurred_at or timezone.now(),
                dedupe_key=clean_text(key, 120),
                actor_id=_actor_id(actor),
                data=data or {},
            )
    except IntegrityError:
        return None


def _apply(
    order: Order,
    shipment: Shipment,
    *,
    status: str,
    source: str,
    key: str,
    actor: Actor = None,
    occurred_at: datetime | None = None,
    carrier_code: str = "",
    description: str = "",
    location: str = "",
    data: dict[str, Any] | None = None,
) -> bool:
    """Record the event and, when domain.should_apply says so, move the locked shipment, then the
    order. Returns whether the shipment moved (False too for a duplicate)."""
    when = occurred_at or timezone.now()
    current = shipment.status
    moves = domain.should_apply(current=current, new=status, new_at=when, current_at=shipment.status_event_at)
    event = _event(
        shipment,
        status=status,
        source=source,
        key=key,
        actor=actor,
        occurred_at=when,
        carrier_code=carrier_code,
        description=description,
        location=location,
        applied=moves,
        from_status=current if moves else "",
        data=data,
    )
    if event is None or not moves:
        return False
    shipment.status = status
    shipment.status_changed_at = timezone.now()
    shipment.status_event_at = when
    fields = ["status", "status_changed_at", "status_event_at"]
    if status == S.DELIVERED:
        shipment.delivered_at = when
        fields.append("delivered_at")
    if status == S.FAILED_ATTEMPT and source in {EventSource.WEBHOOK, EventSource.POLL}:
        # The carrier's failed attempt: why (its code in our words, its text) and, when it says, the
        # day it tries again — what the order card and the customer are shown.
        shipment.failure_reason = str((data or {}).get("reason") or FailureReason.OTHER)
        shipment.failure_note = clean_text(description, 255)
        fields += ["failure_reason", "failure_note"]
        next_attempt = (data or {}).get("next_attempt")
        if next_attempt:
            shipment.estimated_delivery = date.fromisoformat(str(next_attempt))
            fields.append("estimated_delivery")
    shipment.save(update_fields=fields)
    _sync_order(order, shipment, actor=actor)
    kind = NOTIFY_ON.get(ShipmentStatus(status))
    if kind:
        _notify(order, shipment, kind)
    if status == S.FAILED_ATTEMPT:
        # One email per failed attempt (a second failure is news again).
        _notify(order, shipment, DELIVERY_FAILED, key=f"{DELIVERY_FAILED}:{shipment.pk}:{event.pk}")
    return True


def _all_units_shipped(order: Order) -> bool:
    """Every unit of the order is in a parcel that was handed over (not cancelled)."""
    ordered = dict(OrderLine.objects.filter(order=order).values_list("id", "quantity"))
    shipped: dict[int, int] = defaultdict(int)
    left = [
        s for s in ShipmentStatus.values if domain.rank(s) >= domain.rank(S.HANDED_OVER) and s != S.CANCELLED
    ]
    for line_id, quantity in ParcelLine.objects.filter(
        parcel__shipments__order=order, parcel__shipments__status__in=left
    ).values_list("line_id", "quantity"):
        shipped[line_id] += quantity
    return all(shipped[line_id] >= quantity for line_id, quantity in ordered.items())


def _sync_order(order: Order, shipment: Shipment, *, actor: Actor) -> None:
    """Move the (locked) order where its shipments say, when its table allows it."""
    statuses = list(
        Shipment.objects.filter(order=order).exclude(status=S.CANCELLED).values_list("status", flat=True)
    )
    target = domain.order_target(statuses, all_units_shipped=_all_units_shipped(order))
    order.refresh_from_db(fields=["status"])
    if target is None or target == order.status:
        return
    path = [target]
    # A parcel straight from the warehouse to delivered/ready (own courier, the store) passes `shipped`.
    if order.status == "packed" and target != domain.ORDER_SHIPPED:
        path = [domain.ORDER_SHIPPED, target]
    for step in path:
        order.refresh_from_db(fields=["status"])
        if not order_domain.can_transition(order.status, step):
            logger.info("order %s stays %s (shipments call for %s)", order.number, order.status, step)
            return
        order_transition(
            order_id=order.pk,
            to=step,
            actor=actor,
            reason=f"shipment {shipment.tracking_number or shipment.pk}",
        )
    if target == domain.ORDER_REFUSED:
        _returned_to_sender(order, shipment, actor=actor)


def _returned_to_sender(order: Order, shipment: Shipment, *, actor: Actor) -> None:
    """The returns hand-off: a parcel refused at delivery or returned to sender has made the order
    `refused`. Its units come back to the warehouse through the returns area — a return with reason
    `refused`, already approved, opened here in the same transaction; the warehouse receives and inspects
    it there, which puts the units back on stock (RETURN ledger rows) and refunds what was paid. Shipping
    does not touch the stock of a returned parcel."""
    from orderloop.returns.services import return_open_for_refused

    rma = return_open_for_refused(order_id=order.pk, actor=actor)
    order_add_note(
        order_id=order.pk,
        actor=actor,
        text=_("Parcel %(number)s is returning to the sender: return %(rma)s is open for it.")
        % {"number": shipment.tracking_number or shipment.parcel.number, "rma": rma.number},
    )


def _notify(order: Order, shipment: Shipment, kind: str, *, key: str = "") -> None:
    """Queue the customer's email (rendered later by notifications/emails.py), once per shipment and kind
    (or once per `key`)."""
    if not order.customer_email:
        return
    from orderloop.notifications.services import customer_message_queue

    customer_message_queue(
        order=order,
        event_key=key or f"{kind}:{shipment.pk}",
        kind=kind,
        recipient=order.customer_email,
        language=order.customer_language,
        subject="",
        body="",
    )


@dataclass
class EventsResult:
    applied: int = 0
    recorded: int = 0
    duplicates: int = 0
    unknown_codes: int = 0
    unknown_shipments: int = 0
    # The whole webhook delivery was taken before (a retry or a replay): nothing was read from it.
    replayed: bool = False


def tracking_events_apply(*, carrier: Carrier, events: Sequence[TrackingEvent], source: str) -> EventsResult:
    """Record carrier events (webhook or poll) and move shipments and orders by them. An unknown code is
    kept (status empty, flagged) and marks the shipment as needing attention; an event older than what
    we know is kept and moves nothing; a repeated one is ignored. Each shipment in its own transaction."""
    result = EventsResult()
    by_number: dict[str, list[TrackingEvent]] = defaultdict(list)
    for event in events:
        by_number[domain.normalize_tracking(event.tracking_number)].append(event)
    for number, found in by_number.items():
        shipment_id = (
            Shipment.objects.filter(carrier=carrier, tracking_number=number)
            .exclude(status=S.CANCELLED)
            .values_list("id", flat=True)
            .first()
        )
        if shipment_id is None:
            result.unknown_shipments += len(found)
            continue
        with transaction.atomic():
            order, shipment = _locked(shipment_id)
            for event in sorted(found, key=lambda e: e.occurred_at or timezone.now()):
                _one_event(order, shipment, event, source=source, result=result)
    return result


def _one_event(
    order: Order, shipment: Shipment, event: TrackingEvent, *, source: str, result: EventsResult
) -> None:
    status = domain.map_carrier_code(
        shipment.carrier.adapter, event.code, to_pickup_point=shipment.service.needs_pickup_point
    )
    key = f"{shipment.carrier.code}:{event.event_id or f'{event.code}:{event.occurred_at}'}"
    if status is None:
        row = _event(
            shipment,
            status="",
            source=source,
            key=key,
            occurred_at=event.occurred_at,
            carrier_code=event.code,
            description=event.description,
            location=event.location,
            is_unknown=True,
            data=dict(event.raw),
        )
        if row is None:
            result.duplicates += 1
            return
        result.recorded += 1
        result.unknown_codes += 1
        if not shipment.needs_attention:
            shipment.needs_attention = True
            shipment.save(update_fields=["needs_attention"])
        return
    if shipment.status == S.LABEL_CREATED and domain.rank(status) > domain.rank(S.HANDED_OVER):
        # The carrier reports the parcel on its way before anyone scanned it out: it was handed over.
        # Take its units out of stock now, so stock and reservations follow the parcel.
        _hand_over(order, shipment, actor=None, source=source, occurred_at=event.occurred_at)
    before = ShipmentEvent.objects.filter(shipment=shipment).count()
    data = dict(event.raw)
    if status == S.FAILED_ATTEMPT:
        data["reason"] = domain.carrier_failure_reason(shipment.carrier.adapter, event.code)
        if event.expected_delivery is not None:
            data["next_attempt"] = event.expected_delivery.isoformat()
    moved = _apply(
        order,
        shipment,
        status=status,
        source=source,
        key=key,
        occurred_at=event.occurred_at,
        carrier_code=event.code,
        description=event.description,
        location=event.location,
        data=data,
    )
    if ShipmentEvent.objects.filter(shipment=shipment).count() == before:
        result.duplicates += 1
        return
    result.recorded += 1
    result.applied += int(moved)


def webhook_receive(*, carrier_code: str, payload: bytes, headers: Any) -> EventsResult:
    """A carrier's webhook: verify the signature and, when sent, the timestamp (400
    webhook_signature_invalid / webhook_timestamp_invalid, nothing written), read its events and apply
    them — once per delivery: a delivery taken before (the same signed content: timestamp and body) is
    answered `replayed` and changes nothing. Within it, each carrier event is taken once per shipment by
    its event id (`ShipmentEvent.dedupe_key`)."""
    carrier = Carrier.objects.filter(code=carrier_code, is_active=True).first()
    if carrier is None:
        raise CarrierNotFound()
    events = adapter_for(carrier.adapter).parse_webhook(payload=payload, headers=headers)
    # The signed content only: a header outside the signature could be changed to dodge this.
    stamp = (headers.get(domain.TIMESTAMP_HEADER) or "").strip()
    delivery_id = hashlib.sha256(stamp.encode() + b"." + payload).hexdigest()
    if WebhookDelivery.objects.filter(carrier=carrier, delivery_id=delivery_id).exists():
        return EventsResult(replayed=True)
    result = tracking_events_apply(carrier=carrier, events=events, source=EventSource.WEBHOOK)
    # Recorded after the events, so a delivery that failed half-way is taken again when the sender
    # retries (each event is itself unique per shipment); two copies at once are both harmless.
    WebhookDelivery.objects.get_or_create(carrier=carrier, delivery_id=delivery_id)
    return result


def shipments_poll(*, limit: int = 500, shipment_ids: Iterable[int] | None = None) -> EventsResult:
    """Ask the carriers what became of the parcels on the way (the periodic task; oldest poll first).
    A carrier that fails is logged and tried again next time; the others go on."""
    total = EventsResult()
    queryset = Shipment.objects.filter(
        carrier__adapter__in=[AdapterKind.NOVA_POSHTA, AdapterKind.POSTNORD],
        status__in=list(domain.ON_THE_WAY | {S.LABEL_CREATED}),
    ).exclude(tracking_number="")
    if shipment_ids is not None:
        queryset = queryset.filter(pk__in=list(shipment_ids))
    rows = list(
        queryset.select_related("carrier", "order").order_by(F("last_polled_at").asc(nulls_first=True), "id")[
            :limit
        ]
    )
    by_carrier: dict[int, list[Shipment]] = defaultdict(list)
    for shipment in rows:
        by_carrier[shipment.carrier_id].append(shipment)
    for shipments in by_carrier.values():
        carrier = shipments[0].carrier
        adapter = adapter_for(carrier.adapter)
        if not adapter.configured():
            continue
        try:
            events = adapter.track(
                [s.tracking_number for s in shipments],
                phones={s.tracking_number: s.order.customer_phone for s in shipments},
            )
        except DomainError as exc:
            logger.warning("tracking %s failed: %s", carrier.code, exc.message)
            continue
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(last_polled_at=timezone.now())
        result = tracking_events_apply(carrier=carrier, events=events, source=EventSource.POLL)
        for name in ("applied", "recorded", "duplicates", "unknown_codes", "unknown_shipments"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
    return total


def shipment_refresh(*, shipment_id: int) -> Shipment:
    """Poll one shipment now (a staff button)."""
    shipments_poll(shipment_ids=[shipment_id])
    return _shipment_for_call(shipment_id)


def shipment_acknowledge(*, shipment_id: int, actor: Actor) -> Shipment:
    """Staff looked at the unknown carrier codes of this shipment."""
    with transaction.atomic():
        _order, shipment = _locked(shipment_id)
        shipment.needs_attention = False
        shipment.save(update_fields=["needs_attention"])
        return shipment


# --- The courier (and the store's counter) --------------------------------------------------------------


def _may_deliver(shipment: Shipment, actor: Actor) -> None:
    """A courier closes only their own deliveries; staff who manage shipments close any; the system
    itself (actor None: a management command, a test) too."""
    if actor is None or _has_perm(actor, MANAGE):
        return
    if not _has_perm(actor, DELIVER):
        raise PermissionDeniedError(details={"required": [DELIVER]})
    if shipment.courier_id is None or shipment.courier_id != _actor_id(actor):
        raise NotYourDelivery(details={"shipment": shipment.pk})


def _cash(value: object, currency: str) -> Decimal:
    from orderloop.core.money import Money

    try:
        return Money.of(str(value).strip().replace(",", "."), currency).amount
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise InvalidInput(details={"cash_collected": _("Enter an amount, e.g. 120.00.")}) from exc


def _collect(order: Order, shipment: Shipment, amount: Decimal, *, actor: Actor) -> CodCollection | None:
    """The payment (payments area) and, when a person took the cash, whose cash it is for the day's
    reconciliation (the shipment's courier, else the member of staff at the counter)."""
    from orderloop.payments.services import payment_record_cod_collected

    payment = payment_record_cod_collected(order_id=order.pk, amount=str(amount), actor=actor)
    courier_id = shipment.courier_id or _actor_id(actor)
    if courier_id is None:
        return None
    return CodCollection.objects.create(
        shipment=shipment,
        courier_id=courier_id,
        date=timezone.localdate(),
        amount=amount,
        currency=shipment.currency,
        payment_id=payment.pk,
    )


def delivery_mark_delivered(*, shipment_id: int, actor: Actor, cash_collected: object = None) -> Shipment:
    """The customer has the parcel (the courier at the door, or the store's counter): the shipment is
    closed `delivered`, the cash due is recorded as collected (exactly the amount due, else 422
    cash_amount_wrong), and the order moves to `delivered` when all its parcels are."""
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        _may_deliver(shipment, actor)
        if shipment.status not in domain.ON_THE_WAY:
            raise InvalidShipmentTransition(details={"from": shipment.status, "to": S.DELIVERED})
        due = shipment.cod_amount if not hasattr(shipment, "cod_collection") else Decimal("0")
        if due > 0:
            if cash_collected in (None, "") or _cash(cash_collected, shipment.currency) != due:
                raise CashAmountWrong(details={"cash_collected": str(due)})
            _collect(order, shipment, due, actor=actor)
        _apply(
            order,
            shipment,
            status=S.DELIVERED,
            source=EventSource.COURIER if shipment.courier_id == _actor_id(actor) else EventSource.STAFF,
            key="delivered",
            actor=actor,
            data={"cash_collected": str(due)} if due > 0 else None,
        )
        return shipment


def delivery_mark_failed(*, shipment_id: int, actor: Actor, reason: str, note: str = "") -> Shipment:
    """The delivery did not happen. A refusal sends the parcel back to the sender (the order becomes
    `refused`, returns take it from there); any other reason is a failed attempt (tried again)."""
    if reason not in FailureReason.values:
        raise InvalidInput(details={"reason": _("Choose why the delivery failed.")})
    note = clean_text(note, 255)
    if reason == FailureReason.OTHER and not note:
        raise InvalidInput(details={"note": _("Say what happened.")})
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        _may_deliver(shipment, actor)
        if shipment.status not in domain.ON_THE_WAY:
            raise InvalidShipmentTransition(details={"from": shipment.status, "to": S.FAILED_ATTEMPT})
        shipment.failure_reason = reason
        shipment.failure_note = note
        fields = ["failure_reason", "failure_note"]
        status = S.RETURNED_TO_SENDER if reason == FailureReason.REFUSED else S.FAILED_ATTEMPT
        data: dict[str, Any] = {"reason": reason, "note": note}
        if status == S.FAILED_ATTEMPT and shipment.courier_id is not None:
            # Our courier tries again on the next working day (not before the customer's chosen day):
            # the parcel moves to that day's route, which is the next attempt the order card and the
            # customer are told about.
            shipment.delivery_date = next_attempt_day(order, timezone.localdate())
            shipment.route_position = None
            fields += ["delivery_date", "route_position"]
            data["next_attempt"] = shipment.delivery_date.isoformat()
        shipment.save(update_fields=fields)
        attempts = ShipmentEvent.objects.filter(shipment=shipment, status=S.FAILED_ATTEMPT).count()
        _apply(
            order,
            shipment,
            status=status,
            source=EventSource.COURIER if shipment.courier_id == _actor_id(actor) else EventSource.STAFF,
            key=f"failed:{attempts + 1}:{timezone.now().isoformat()}",
            actor=actor,
            description=FailureReason(reason).label + (f": {note}" if note else ""),
            data=data,
        )
        return shipment


def next_attempt_day(order: Order, today: date) -> date:
    """Our courier's next try after a failed one: the next working day of the shop's calendar, or the
    customer's chosen day when that is later."""
    following = shop_calendar().next_working_day(today + timedelta(days=1))
    return max(following, route_day(order, today))


def delivery_record_cash(*, shipment_id: int, actor: Actor, amount: object) -> CodCollection | None:
    """Cash collected for a delivered parcel that was not recorded at the door."""
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        _may_deliver(shipment, actor)
        if shipment.status != S.DELIVERED or hasattr(shipment, "cod_collection") or shipment.cod_amount <= 0:
            raise InvalidShipmentTransition(details={"status": shipment.status, "cash": "nothing to record"})
        value = _cash(amount, shipment.currency)
        if value != shipment.cod_amount:
            raise CashAmountWrong(details={"cash_collected": str(shipment.cod_amount)})
        return _collect(order, shipment, value, actor=actor)


def pickup_mark_ready(*, shipment_id: int, actor: Actor) -> Shipment:
    """Store pickup: the parcel waits at the counter (the customer is told)."""
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        if shipment.carrier.adapter != AdapterKind.STORE_PICKUP or shipment.status not in domain.ON_THE_WAY:
            raise InvalidShipmentTransition(details={"from": shipment.status, "to": S.READY_FOR_PICKUP})
        _apply(order, shipment, status=S.READY_FOR_PICKUP, source=EventSource.STAFF, key="ready", actor=actor)
        return shipment


def route_set_position(*, shipment_id: int, position: int | None, actor: Actor) -> Shipment:
    """Put a delivery at a place in the courier's route (None: back to the rule's order)."""
    if position is not None and not 1 <= position <= 1000:
        raise InvalidInput(details={"position": _("Must be between 1 and %(n)s.") % {"n": 1000}})
    with transaction.atomic():
        _order, shipment = _locked(shipment_id)
        shipment.route_position = position
        shipment.save(update_fields=["route_position"])
        return shipment


def cod_handover_record(
    *, courier_username: str, day: date, currency: str, amount: object, actor: Actor, note: str = ""
) -> CodHandover:
    """A manager counted the cash a courier handed in for a day (recording again replaces the count)."""
    courier = _courier(courier_username)
    value = _cash(amount, currency)
    if value < 0:
        raise InvalidInput(details={"amount": _("Must not be negative.")})
    with transaction.atomic():
        row, _created = CodHandover.objects.select_for_update().update_or_create(
            courier=courier,
            date=day,
            currency=currency,
            defaults={"amount": value, "note": clean_text(note, 255), "received_by_id": _actor_id(actor)},
        )
        return row


# --- Pickup points ---------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    deactivated: int = 0


def pickup_points_import(
    *, carrier_code: str, country: str, city: str = "", postal_code: str = "", actor: Actor = None
) -> ImportResult:
    """Fetch the carrier's points (outside any transaction) and upsert them by the carrier's id. A full
    import (no city, no postal code) deactivates the points the carrier no longer lists."""
    carrier = Carrier.objects.filter(code=carrier_code).first()
    if carrier is None:
        raise CarrierNotFound()
    points = adapter_for(carrier.adapter).pickup_points(
        country=country.upper(), city=city.strip(), postal_code=postal_code.strip()
    )
    result = ImportResult()
    now = timezone.now()
    with transaction.atomic():
        existing = {p.external_id: p for p in PickupPoint.objects.select_for_update().filter(carrier=carrier)}
        seen = set()
        for data in points:
            seen.add(data.external_id)
            values = {
                "number": data.number[:20],
                "name": data.name[:200] or data.external_id,
                "address": data.address[:255],
                "city": data.city[:100],
                "postal_code": data.postal_code[:20],
                "country": (data.country or country)[:2].upper(),
                "opening_hours": data.opening_hours[:255],
                "data": dict(data.data),
                "is_active": True,
                "imported_at": now,
            }
            row = existing.get(data.external_id)
            if row is None:
                PickupPoint.objects.create(carrier=carrier, external_id=data.external_id, **values)
                result.created += 1
            else:
                PickupPoint.objects.filter(pk=row.pk).update(**values)
                result.updated += 1
        if not city and not postal_code:
            stale = [
                p.pk
                for key, p in existing.items()
                if key not in seen and p.is_active and p.country == country.upper()
            ]
            result.deactivated = PickupPoint.objects.filter(pk__in=stale).update(is_active=False)
    return result


# --- Rates ---------------------------------------------------------------------------------------------


@dataclass
class ServiceRate:
    service: CarrierService
    rate: Rate | None
    error: str = ""


def parcel_rates(*, parcel_id: int) -> list[ServiceRate]:
    """Price and expected date of every active service for this packed parcel (carriers asked outside
    any transaction; one that fails is reported with its error). Writes nothing."""
    parcel = Parcel.objects.select_related("order", "warehouse", "box").filter(pk=parcel_id).first()
    if parcel is None:
        raise InvalidInput(details={"parcel": _("No parcel has this number.")})
    order = parcel.order
    results = []
    for service in CarrierService.objects.select_related("carrier").filter(
        is_active=True, carrier__is_active=True
    ):
        draft = Shipment(
            pk=0,
            order=order,
            parcel=parcel,
            warehouse=parcel.warehouse,
            carrier=service.carrier,
            service=service,
            pickup_point=pickup_point_for(order, service) if service.needs_pickup_point else None,
            weight_g=parcel.weight_g or 1,
            currency=order.currency,
            cod_amount=_cod_due(order),
            declared_value=_parcel_value(parcel),
        )
        try:
            rates = adapter_for(service.carrier.adapter).rates(shipment_request(draft))
            results.append(ServiceRate(service=service, rate=rates[0] if rates else None))
        except DomainError as exc:
            results.append(ServiceRate(service=service, rate=None, error=exc.message))
    return results


# Unused-import guard for type checkers (CarrierError is re-raised by the adapters).
__all__ = ["CarrierError"]
