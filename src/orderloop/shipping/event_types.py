"""The shipping area's event types (the catalogue: core/events.py, docs/events.md).

A shipment's events follow its status (shipping/domain.py): `shipment.created` when the parcel gets a
draft shipment, then `shipment.<status>` for every status it moves to. Each payload carries what a
message to the customer is written from without reading our tables: the order's number, the carrier,
the tracking number and link, the pickup point, and per type the reason, the next attempt, the place.
`ShipmentEvent` stays the readable tracking timeline (every carrier event, also those that move
nothing); these events are the status changes only.
"""

from __future__ import annotations

from orderloop.core.events import Payload, TransitionPayload, define

from .models import ShipmentStatus

S = ShipmentStatus


class Money(Payload):
    amount: str  # a decimal string: money never travels as a float
    currency: str


class PickupPointInfo(Payload):
    """Where the customer collects the parcel (a carrier's branch, locker or the shop's store)."""

    label: str  # as the customer reads it: "Branch №12, 5 Main St"
    number: str
    city: str
    postal_code: str
    country: str
    opening_hours: str


class ShipmentFacts(Payload):
    """What every shipment event says about the parcel."""

    order_id: int
    order_number: str
    parcel_number: str
    carrier: str  # the carrier's code: nova_poshta, postnord, own_courier, store
    carrier_name: str
    service: str  # the carrier service's code
    tracking_number: str  # empty until the carrier booked the parcel
    tracking_url: str  # the carrier's tracking page; empty when it has none
    pickup_point: PickupPointInfo | None = None
    # Where the news came from (webhook, poll, courier, staff, system) and when it happened there
    # (the carrier's time of a tracking event; ISO 8601).
    source: str
    happened_at: str


class ShipmentCreated(ShipmentFacts):
    status: str
    cash_on_delivery: Money  # what the carrier or courier collects at the door (0: nothing)


class ShipmentMoved(TransitionPayload, ShipmentFacts):
    """A status change; `location` and `description` are the carrier's words when it sent any."""

    location: str = ""
    description: str = ""


class LabelCreated(ShipmentMoved):
    estimated_delivery: str | None = None  # ISO date the carrier expects to deliver


class HandedOver(ShipmentMoved):
    manifest: str  # the day's handoff list the parcel left on
    courier: str = ""  # the shop's courier's user name (own courier only)
    delivery_date: str | None = None  # the courier's day (own courier only)


class DeliveryFailed(ShipmentMoved):
    reason: str  # not_home, no_answer, wrong_address, no_cash, other (FailureReason)
    note: str = ""
    attempt: int  # 1 for the first failed attempt of this parcel
    next_attempt: str | None = None  # ISO date of the next try, when known


class Delivered(ShipmentMoved):
    cash_collected: Money | None = None


class ReturnedToSender(ShipmentMoved):
    reason: str = ""  # refused (at the door), or empty when the carrier sent it back
    note: str = ""


class Cancelled(ShipmentMoved):
    reason: str = ""


define(
    "shipment.created",
    subject="shipment",
    payload=ShipmentCreated,
    description="A packed parcel got a shipment (a draft until the carrier books it).",
)

_TYPES: dict[str, tuple[type[ShipmentMoved], str]] = {
    S.LABEL_CREATED: (LabelCreated, "The carrier booked the parcel: its tracking number and label exist."),
    S.HANDED_OVER: (HandedOver, "The parcel left the warehouse with the carrier or the shop's courier."),
    S.IN_TRANSIT: (ShipmentMoved, "The parcel is travelling (`location`: where the carrier last saw it)."),
    S.AT_HUB: (ShipmentMoved, "The parcel reached a transit city or hub (`location` when the carrier says)."),
    S.READY_FOR_PICKUP: (ShipmentMoved, "The parcel waits for the customer at `pickup_point`."),
    S.OUT_FOR_DELIVERY: (ShipmentMoved, "The parcel is on the courier's way to the customer today."),
    S.FAILED_ATTEMPT: (DeliveryFailed, "A delivery attempt failed: why, and when it is tried again."),
    S.DELIVERED: (Delivered, "The customer has the parcel (with the cash collected at the door)."),
    S.RETURNED_TO_SENDER: (ReturnedToSender, "The parcel goes back to the shop (refused or not collected)."),
    S.CANCELLED: (Cancelled, "The shipment was cancelled before the parcel left (the label is void)."),
}

for _status, (_payload, _description) in _TYPES.items():
    define(
        f"shipment.{ShipmentStatus(_status).value}",
        subject="shipment",
        payload=_payload,
        description=_description,
    )
