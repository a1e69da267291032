"""Carrier tracking: webhooks and polls, their events applied to shipments once each."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orderloop.core.errors import DomainError
from orderloop.orders.models import Order

from .. import domain
from ..adapters import adapter_for
from ..adapters.base import TrackingEvent
from ..errors import CarrierNotFound
from ..models import AdapterKind, Carrier, EventSource, Shipment, ShipmentEvent, WebhookDelivery
from .common import Actor, S, _locked, _shipment_for_call, logger
from .handover import _hand_over
from .moves import _apply, _event


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
