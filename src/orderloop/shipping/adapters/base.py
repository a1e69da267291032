"""The one interface every carrier adapter implements (DESIGN.md §1: one module per outside system).

Adapters only talk to the carrier and translate its answers into the values below; they never touch
the database. Services call them outside any transaction (DESIGN.md §4) and record the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class Address:
    name: str
    phone: str  # E.164
    country: str
    city: str = ""
    postal_code: str = ""
    line1: str = ""
    line2: str = ""
    region: str = ""
    email: str = ""


@dataclass(frozen=True)
class PointRef:
    """The pickup point a parcel goes to, as the carrier knows it."""

    external_id: str
    number: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # ours (the parcel number), printed on the carrier's documents
    service_code: str  # the carrier's own code of the service
    sender: Address
    recipient: Address
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    currency: str
    declared_value: Decimal
    cod_amount: Decimal
    description: str
    ship_date: date
    pickup_point: PointRef | None = None
    local_id: int = 0  # our shipment id (own couriers number from it)


@dataclass(frozen=True)
class BookedShipment:
    tracking_number: str
    carrier_reference: str = ""
    label_pdf: bytes | None = None  # the carrier's own label, when it sends one
    cost: Decimal | None = None
    estimated_delivery: date | None = None


@dataclass(frozen=True)
class Rate:
    service_code: str
    cost: Decimal | None
    currency: str
    estimated_delivery: date | None


@dataclass(frozen=True)
class TrackingEvent:
    """One carrier event, not yet mapped: `code` is the carrier's own."""

    tracking_number: str
    code: str
    description: str
    occurred_at: datetime | None
    location: str = ""
    event_id: str = ""  # the carrier's id when it has one (dedupe); else code + time
    raw: Mapping[str, Any] = field(default_factory=dict)
    # The day the carrier now expects to deliver (after a failed attempt: its next try), when it says.
    expected_delivery: date | None = None


@dataclass(frozen=True)
class PickupPointData:
    external_id: str
    name: str
    city: str
    country: str
    number: str = ""
    address: str = ""
    postal_code: str = ""
    opening_hours: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


class CarrierAdapter(Protocol):
    code: str
    # Whether label, tracking and webhooks need credentials (the built-in ones do not).
    remote: bool

    def configured(self) -> bool: ...

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        """Price and expected delivery date of the service for this parcel (cost None: not quoted)."""
        ...

    def create_shipment(self, request: ShipmentRequest) -> BookedShipment:
        """Book the parcel: tracking number (and the carrier's label where it sends one)."""
        ...

    def cancel(self, *, tracking_number: str, carrier_reference: str, request: ShipmentRequest) -> None: ...

    def track(self, tracking_numbers: Sequence[str], *, phones: Mapping[str, str]) -> list[TrackingEvent]:
        """What the carrier knows of these parcels now (events, oldest first)."""
        ...

    def parse_webhook(self, *, payload: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        """Verify the signature (WebhookSignatureInvalid) and read the events."""
        ...

    def pickup_points(
        self, *, country: str, city: str = "", postal_code: str = ""
    ) -> list[PickupPointData]: ...


def verify_webhook(config: Mapping[str, Any], payload: bytes, headers: Mapping[str, str]) -> None:
    """A relay's webhook for a carrier (shipping/domain.webhook_verified): the signature with the
    carrier's WEBHOOK_SECRET, and the timestamp within ORDERLOOP["WEBHOOK_TOLERANCE_SECONDS"] when one is
    sent (or required: WEBHOOK_REQUIRE_TIMESTAMP)."""
    import time

    from django.conf import settings

    from ..domain import webhook_verified
    from ..errors import WebhookSignatureInvalid, WebhookTimestampInvalid

    problem = webhook_verified(
        str(config.get("WEBHOOK_SECRET") or ""),
        payload,
        headers,
        now=time.time(),
        tolerance=int(settings.ORDERLOOP.get("WEBHOOK_TOLERANCE_SECONDS", 300)),
        require_timestamp=bool(settings.ORDERLOOP.get("WEBHOOK_REQUIRE_TIMESTAMP", False)),
    )
    if problem == "signature":
        raise WebhookSignatureInvalid()
    if problem == "timestamp":
        raise WebhookTimestampInvalid()
