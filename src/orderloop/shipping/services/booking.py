"""Creating shipments and their labels: which service and pickup point, booking with the carrier, batches
for a wave, cancelling before the parcel left."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core import events
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import DomainError, InvalidInput
from orderloop.core.text import clean_text
from orderloop.fulfillment import locks as fulfillment_locks
from orderloop.fulfillment.models import Parcel, ParcelLine, ParcelStatus, Tote
from orderloop.orders import domain as order_domain
from orderloop.orders.models import Order, PaymentKind

from .. import domain
from ..adapters import adapter_for
from ..adapters.base import Address, PointRef, ShipmentRequest
from ..errors import (
    InvalidShipmentTransition,
    NoCarrierService,
    ParcelAlreadyShipped,
    ParcelNotPacked,
    PickupPointRequired,
)
from ..models import CarrierService, DeliveryMethodService, EventSource, PickupPoint, Shipment, ShipmentStatus
from .common import Actor, S, _locked, _locked_order, _setting, _shipment_for_call
from .moves import _apply, _event, _facts


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
        now = timezone.now()
        _event(
            shipment,
            status=S.DRAFT,
            source=EventSource.STAFF,
            key="created",
            actor=actor,
            occurred_at=now,
            applied=True,
        )
        events.record(
            "shipment.created",
            shipment.pk,
            {
                **_facts(order, shipment, source=EventSource.STAFF, when=now),
                "status": S.DRAFT,
                "cash_on_delivery": events.money(shipment.cod_amount, shipment.currency),
            },
            actor=actor,
            sequence=1,
        )
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
