"""Reads of shipping shared by pages, API, emails and the storefront. Never write."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orderloop.orders.models import Order

from . import domain
from .errors import ManifestNotFound, ShipmentNotFound
from .models import (
    AdapterKind,
    Carrier,
    CodCollection,
    CodHandover,
    DeliveryMethodService,
    FailureReason,
    Manifest,
    PickupPoint,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)

S = ShipmentStatus


def shipments_list(
    *,
    status: str = "",
    carrier_code: str = "",
    order_number: str = "",
    warehouse_code: str = "",
    attention: bool = False,
) -> QuerySet[Shipment]:
    queryset = Shipment.objects.select_related(
        "order", "carrier", "service", "parcel__order", "pickup_point", "warehouse"
    )
    if status:
        queryset = queryset.filter(status=status)
    if carrier_code:
        queryset = queryset.filter(carrier__code=carrier_code)
    if order_number:
        queryset = queryset.filter(order__number=order_number)
    if warehouse_code:
        queryset = queryset.filter(warehouse__code=warehouse_code)
    if attention:
        queryset = queryset.filter(needs_attention=True)
    return queryset.order_by("-id")


def shipment_get(*, shipment_id: int) -> Shipment:
    shipment = shipments_list().filter(pk=shipment_id).first()
    if shipment is None:
        raise ShipmentNotFound()
    return shipment


def shipment_events(shipment: Shipment) -> list[ShipmentEvent]:
    return list(shipment.events.select_related("actor").order_by("occurred_at", "id"))


def ready_to_hand_over(
    *, warehouse_id: int | None = None, carrier_id: int | None = None
) -> QuerySet[Shipment]:
    queryset = shipments_list().filter(status=S.LABEL_CREATED)
    if warehouse_id:
        queryset = queryset.filter(warehouse_id=warehouse_id)
    if carrier_id:
        queryset = queryset.filter(carrier_id=carrier_id)
    return queryset.order_by("carrier_id", "id")


def manifests_recent(*, limit: int = 30, day: date | None = None) -> QuerySet[Manifest]:
    queryset = Manifest.objects.select_related("carrier", "warehouse")
    if day is not None:
        queryset = queryset.filter(date=day)
    return queryset.order_by("-date", "carrier__sort_order")[:limit]


def manifest_get(*, manifest_id: int) -> Manifest:
    manifest = Manifest.objects.select_related("carrier", "warehouse").filter(pk=manifest_id).first()
    if manifest is None:
        raise ManifestNotFound()
    return manifest


def carriers(*, active_only: bool = True) -> QuerySet[Carrier]:
    queryset = Carrier.objects.prefetch_related("services")
    return queryset.filter(is_active=True) if active_only else queryset


def pickup_points_for_checkout(*, delivery_method_id: int, country: str, city: str = "") -> list[PickupPoint]:
    """The points a customer may choose for this delivery option: those of the carrier its service
    uses in this country, in this city when it has any there (else all the country's)."""
    mappings = {
        m.country: m
        for m in DeliveryMethodService.objects.select_related("service").filter(
            delivery_method_id=delivery_method_id, country__in=[country.upper(), ""]
        )
    }
    mapping = mappings.get(country.upper()) or mappings.get("")
    if mapping is None or not mapping.service.needs_pickup_point:
        return []
    points = PickupPoint.objects.filter(
        carrier_id=mapping.service.carrier_id, is_active=True, country=country.upper()
    ).order_by("city", "number", "name")
    if city.strip():
        in_city = list(points.filter(city__iexact=city.strip())[:500])
        if in_city:
            return in_city
    return list(points[:500])


def checkout_pickup_point(*, delivery_method_id: int, country: str, point_id: object) -> PickupPoint | None:
    """The chosen point, when it is one the customer may choose for this option and country."""
    try:
        wanted = int(str(point_id))
    except (TypeError, ValueError):
        return None
    return (
        _checkout_carrier_points(delivery_method_id, country)
        .filter(pk=wanted, country=country.upper())
        .first()
    )


def _checkout_carrier_points(delivery_method_id: int, country: str) -> QuerySet[PickupPoint]:
    mapping = (
        DeliveryMethodService.objects.select_related("service")
        .filter(delivery_method_id=delivery_method_id, country__in=[country.upper(), ""])
        .order_by("-country")
        .first()
    )
    if mapping is None:
        return PickupPoint.objects.none()
    return PickupPoint.objects.filter(carrier_id=mapping.service.carrier_id, is_active=True)


def pickup_points_search(
    *, carrier_code: str = "", country: str = "", city: str = "", query: str = ""
) -> QuerySet[PickupPoint]:
    points = PickupPoint.objects.select_related("carrier").filter(is_active=True)
    if carrier_code:
        points = points.filter(carrier__code=carrier_code)
    if country:
        points = points.filter(country=country.upper())
    if city:
        points = points.filter(city__iexact=city)
    if query:
        points = points.filter(Q(name__icontains=query) | Q(address__icontains=query) | Q(number=query))
    return points.order_by("carrier_id", "city", "number", "name")


# --- The customer's view ----------------------------------------------------------------------------------

CUSTOMER_LABELS: dict[str, Any] = {
    S.LABEL_CREATED: _("Label created, the parcel is being handed to the carrier"),
    S.HANDED_OVER: _("Handed to the carrier"),
    S.IN_TRANSIT: _("On its way"),
    S.AT_HUB: _("Arrived at a sorting centre"),
    S.OUT_FOR_DELIVERY: _("Out for delivery"),
    S.FAILED_ATTEMPT: _("Delivery attempt failed"),
    S.READY_FOR_PICKUP: _("Ready for pickup"),
    S.DELIVERED: _("Delivered"),
    S.RETURNED_TO_SENDER: _("Returned to the sender"),
}


@dataclass
class TimelineStep:
    time: Any
    label: str
    location: str = ""


@dataclass
class CustomerShipment:
    shipment: Shipment
    status_label: str
    tracking_number: str
    tracking_url: str
    carrier: str
    pickup_point: str
    timeline: list[TimelineStep] = field(default_factory=list)
    # While the parcel's latest news is a failed attempt: why, and when it is tried again.
    failure: DeliveryFailure | None = None


def _customer_label(status: str) -> str:
    return str(CUSTOMER_LABELS.get(status, ""))


def order_shipments_for_customer(order: Order) -> list[CustomerShipment]:
    """The parcels of an order as the customer follows them: status in their words, the carrier's
    tracking number and link, and the timeline of the events that moved the parcel (unknown carrier
    codes and staff-only facts left out)."""
    result = []
    failures = {failure.shipment.pk: failure for failure in delivery_failures(order)}
    shipments = (
        Shipment.objects.filter(order=order)
        .exclude(status__in=[S.CANCELLED, S.DRAFT])
        .select_related("carrier", "pickup_point", "service")
        .order_by("id")
    )
    for shipment in shipments:
        steps = [
            TimelineStep(
                time=event.occurred_at, label=str(CUSTOMER_LABELS[event.status]), location=event.location
            )
            for event in shipment.events.filter(applied=True).order_by("occurred_at", "id")
            if event.status in CUSTOMER_LABELS
        ]
        result.append(
            CustomerShipment(
                shipment=shipment,
                status_label=str(CUSTOMER_LABELS.get(shipment.status, shipment.status)),
                tracking_number=shipment.tracking_number,
                tracking_url=shipment.tracking_url,
                carrier=shipment.carrier.display_name,
                pickup_point=shipment.pickup_point.label if shipment.pickup_point else "",
                timeline=steps,
                failure=failures.get(shipment.pk),
            )
        )
    return result


# --- Failed delivery attempts -------------------------------------------------------------------------------

# Why a delivery failed, as the customer is told (staff read FailureReason's labels and the note).
CUSTOMER_FAILURE_REASONS: dict[str, Any] = {
    "not_home": _("nobody was at the address"),
    "no_answer": _("we could not reach you by phone"),
    "wrong_address": _("the address was incomplete or wrong"),
    "no_cash": _("the payment could not be made at the door"),
    "other": _("the delivery could not be completed"),
}


@dataclass
class DeliveryFailure:
    """A failed delivery attempt of one parcel: why, when, and when it is tried again (None: the carrier
    has not said)."""

    shipment: Shipment
    reason: str
    note: str
    failed_at: datetime | None
    next_attempt: date | None

    @property
    def reason_label(self) -> str:
        return str(FailureReason(self.reason).label) if self.reason in FailureReason.values else self.reason

    @property
    def customer_reason(self) -> str:
        return str(CUSTOMER_FAILURE_REASONS.get(self.reason, CUSTOMER_FAILURE_REASONS["other"]))


def _failure(shipment: Shipment, event: ShipmentEvent | None) -> DeliveryFailure:
    data = event.data if event is not None else {}
    next_attempt = data.get("next_attempt")
    return DeliveryFailure(
        shipment=shipment,
        reason=str(data.get("reason") or shipment.failure_reason or "other"),
        note=str(data.get("note") or shipment.failure_note or (event.description if event else "")),
        failed_at=event.occurred_at if event is not None else shipment.status_event_at,
        next_attempt=date.fromisoformat(str(next_attempt)) if next_attempt else None,
    )


def _failed_events(shipments: Any) -> QuerySet[ShipmentEvent]:
    return ShipmentEvent.objects.filter(
        shipment__in=shipments, status=S.FAILED_ATTEMPT, applied=True
    ).order_by("-occurred_at", "-id")


def delivery_failures(order: Order) -> list[DeliveryFailure]:
    """The order's parcels whose latest news is a failed delivery attempt: the order card's flag. It
    clears by itself when the parcel moves on (out for delivery again, delivered, back to the sender)."""
    shipments = list(
        Shipment.objects.filter(order=order, status=S.FAILED_ATTEMPT)
        .select_related("carrier", "courier")
        .order_by("id")
    )
    latest: dict[int, ShipmentEvent] = {}
    for event in _failed_events(shipments):
        latest.setdefault(event.shipment_id, event)
    return [_failure(shipment, latest.get(shipment.pk)) for shipment in shipments]


def latest_delivery_failure(order: Order) -> DeliveryFailure | None:
    """The order's most recent failed attempt, whatever happened since (what its email reports)."""
    event = (
        _failed_events(Shipment.objects.filter(order=order))
        .select_related("shipment__carrier", "shipment__courier")
        .first()
    )
    return _failure(event.shipment, event) if event is not None else None


def failed_delivery_exists() -> Exists:
    """For order querysets: the order has a parcel whose latest news is a failed attempt."""
    return Exists(Shipment.objects.filter(order=OuterRef("pk"), status=S.FAILED_ATTEMPT))


# --- The courier -------------------------------------------------------------------------------------------


@dataclass
class Delivery:
    shipment: Shipment
    order: Order
    position: int
    cod_due: Decimal
    collected: Decimal | None


def courier_deliveries(*, courier: Any, day: date | None = None, open_only: bool = False) -> list[Delivery]:
    """A courier's deliveries of a day in route order (domain.route_order), with the cash to collect."""
    day = day or timezone.localdate()
    shipments = list(
        Shipment.objects.filter(courier=courier, delivery_date=day, carrier__adapter=AdapterKind.OWN_COURIER)
        .exclude(status=S.CANCELLED)
        .select_related("order", "carrier", "service")
    )
    if open_only:
        shipments = [s for s in shipments if s.status in domain.ON_THE_WAY]
    collected = dict(
        CodCollection.objects.filter(shipment__in=shipments).values_list("shipment_id", "amount")
    )
    by_id = {s.pk: s for s in shipments}
    stops = [
        domain.Stop(
            shipment_id=s.pk,
            postal_code=s.order.ship_postal_code,
            city=s.order.ship_city,
            street=s.order.ship_line1,
            time_from=s.order.preferred_time_from,
            time_to=s.order.preferred_time_to,
            position=s.route_position,
        )
        for s in shipments
    ]
    return [
        Delivery(
            shipment=by_id[stop.shipment_id],
            order=by_id[stop.shipment_id].order,
            position=index,
            cod_due=by_id[stop.shipment_id].cod_amount if stop.shipment_id not in collected else Decimal("0"),
            collected=collected.get(stop.shipment_id),
        )
        for index, stop in enumerate(domain.route_order(stops), start=1)
    ]


def courier_delivery(*, courier: Any, shipment_id: int) -> Shipment:
    shipment = (
        Shipment.objects.select_related("order", "carrier").filter(pk=shipment_id, courier=courier).first()
    )
    if shipment is None:
        raise ShipmentNotFound()
    return shipment


@dataclass
class CodDay:
    courier: Any
    date: date
    currency: str
    deliveries: int = 0
    delivered: int = 0
    expected: Decimal = Decimal("0")  # cash due on the parcels delivered that day
    collected: Decimal = Decimal("0")  # cash the courier recorded
    handed_in: Decimal | None = None  # cash a manager counted

    @property
    def open_amount(self) -> Decimal:
        return self.expected - self.collected

    @property
    def difference(self) -> Decimal | None:
        return None if self.handed_in is None else self.handed_in - self.collected

    @property
    def reconciled(self) -> bool:
        return self.handed_in is not None and self.difference == 0 and self.open_amount == 0


def cod_reconciliation(*, day: date) -> list[CodDay]:
    """Per courier and currency for one day: deliveries, cash due on the delivered parcels, cash the
    courier recorded, cash handed in, and the differences."""
    rows: dict[tuple[int | None, str], CodDay] = {}
    shipments = Shipment.objects.filter(delivery_date=day, courier__isnull=False).exclude(status=S.CANCELLED)
    for shipment in shipments.select_related("courier"):
        row = rows.setdefault(
            (shipment.courier_id, shipment.currency),
            CodDay(courier=shipment.courier, date=day, currency=shipment.currency),
        )
        row.deliveries += 1
        if shipment.status == S.DELIVERED:
            row.delivered += 1
            row.expected += shipment.cod_amount
    collected: dict[tuple[int | None, str], Decimal] = defaultdict(Decimal)
    for courier_id, currency, amount in (
        CodCollection.objects.filter(date=day)
        .values("courier_id", "currency")
        .annotate(s=Sum("amount"))
        .values_list("courier_id", "currency", "s")
    ):
        collected[(courier_id, currency)] = amount or Decimal("0")
    for handover in CodHandover.objects.filter(date=day).select_related("courier"):
        row = rows.setdefault(
            (handover.courier_id, handover.currency),
            CodDay(courier=handover.courier, date=day, currency=handover.currency),
        )
        row.handed_in = handover.amount
    for key, amount in collected.items():
        if key in rows:
            rows[key].collected = amount
    return sorted(rows.values(), key=lambda r: (r.courier.get_username(), r.currency))


def order_shipments_for_return(order: Order) -> list[Shipment]:
    """The order's parcels that left with a carrier (not drafts, not cancelled), delivered ones first,
    then the latest: which carrier a return of the order goes back with (shipping/return_port.py)."""
    rows = list(
        Shipment.objects.filter(order=order)
        .exclude(status__in=[S.DRAFT, S.CANCELLED])
        .exclude(tracking_number="")
        .select_related("carrier", "warehouse")
        .order_by("-id")
    )
    return sorted(rows, key=lambda s: 0 if s.status == S.DELIVERED else 1)


def active_carrier(adapter: str) -> Carrier | None:
    """The first active carrier working through this adapter."""
    return Carrier.objects.filter(adapter=adapter, is_active=True).order_by("sort_order", "id").first()


def carrier_by_code(code: str) -> Carrier | None:
    return Carrier.objects.filter(code=code).first()
