"""A shipment's status changes and what follows them: the tracking timeline row, the move (and its domain
event), the order's status, the returns hand-off of a parcel sent back."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core import events
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.text import clean_text
from orderloop.fulfillment.models import ParcelLine
from orderloop.orders import domain as order_domain
from orderloop.orders.models import Order, OrderLine
from orderloop.orders.services import order_add_note, order_transition

from .. import domain
from ..models import EventSource, FailureReason, Shipment, ShipmentEvent, ShipmentStatus
from .common import MACHINE, Actor, S, logger


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
    shipment.status_changed_at = timezone.now()
    shipment.status_event_at = when
    fields = ["status_changed_at", "status_event_at"]
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
    MACHINE.move(
        shipment,
        status,
        actor=actor,
        update_fields=fields,
        data={
            **_facts(order, shipment, source=source, when=when),
            **_status_data(shipment, status, description=description, location=location, data=data or {}),
        },
    )
    # The customer's emails about it are a consumer of the event (notifications/reactions/shipping.py).
    _sync_order(order, shipment, actor=actor)
    return True


def _facts(order: Order, shipment: Shipment, *, source: str, when: datetime) -> dict[str, Any]:
    """What every shipment event says about the parcel (event_types.ShipmentFacts)."""
    point = shipment.pickup_point
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "parcel_number": shipment.parcel.number,
        "carrier": shipment.carrier.code,
        "carrier_name": shipment.carrier.name,
        "service": shipment.service.code,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "pickup_point": {
            "label": point.label,
            "number": point.number,
            "city": point.city,
            "postal_code": point.postal_code,
            "country": point.country,
            "opening_hours": point.opening_hours,
        }
        if point is not None
        else None,
        "source": source,
        "happened_at": when.isoformat(),
    }


def _status_data(
    shipment: Shipment, status: str, *, description: str, location: str, data: dict[str, Any]
) -> dict[str, Any]:
    """The fields of the status's own event type (event_types.py), from what the move knows."""
    extra: dict[str, Any] = {}
    if status == S.LABEL_CREATED:
        return {
            "estimated_delivery": shipment.estimated_delivery.isoformat()
            if shipment.estimated_delivery
            else None
        }
    if status == S.HANDED_OVER:
        return {
            "manifest": shipment.manifest.number if shipment.manifest else "",
            "courier": shipment.courier.get_username() if shipment.courier else "",
            "delivery_date": shipment.delivery_date.isoformat() if shipment.delivery_date else None,
        }
    if status == S.CANCELLED:
        return {"reason": clean_text(description, 255)}
    if status in {S.IN_TRANSIT, S.AT_HUB, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY}:
        extra = {"location": clean_text(location, 200), "description": clean_text(description, 255)}
    elif status == S.FAILED_ATTEMPT:
        extra = {
            "reason": shipment.failure_reason or FailureReason.OTHER,
            "note": shipment.failure_note,
            "attempt": ShipmentEvent.objects.filter(
                shipment=shipment, status=S.FAILED_ATTEMPT, applied=True
            ).count(),
            "next_attempt": data.get("next_attempt"),
            "location": clean_text(location, 200),
        }
    elif status == S.DELIVERED:
        cash = data.get("cash_collected")
        extra = {
            "cash_collected": events.money(cash, shipment.currency) if cash else None,
            "location": clean_text(location, 200),
        }
    elif status == S.RETURNED_TO_SENDER:
        extra = {
            "reason": str(data.get("reason") or ""),
            "note": str(data.get("note") or "") or clean_text(description, 255),
            "location": clean_text(location, 200),
        }
    return extra


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
