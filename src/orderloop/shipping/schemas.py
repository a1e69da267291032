"""In/Out schemas of the shipping API. Money as strings with a currency."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema

from orderloop.core.shapes import InSchema


class ServiceOut(Schema):
    key: str
    code: str
    name: str
    kind: str
    carrier_code: str


class CarrierOut(Schema):
    code: str
    name: str
    adapter: str
    configured: bool
    services: list[ServiceOut]


class PickupPointOut(Schema):
    id: int
    carrier: str
    external_id: str
    number: str
    name: str
    label: str
    address: str
    city: str
    postal_code: str
    country: str
    opening_hours: str


class PickupPointsOut(Schema):
    count: int
    items: list[PickupPointOut]


class PickupPointImportIn(InSchema):
    carrier: str
    country: str = "UA"
    city: str = ""
    postal_code: str = ""


class PickupPointImportOut(Schema):
    created: int
    updated: int
    deactivated: int


class RateOut(Schema):
    service: str
    name: str
    cost: str | None
    currency: str
    estimated_delivery: date | None
    error: str = ""


class ShipmentIn(InSchema):
    parcel: int
    service: str = ""
    pickup_point: int | None = None


class BatchIn(InSchema):
    wave: int


class TrackingEventOut(Schema):
    status: str
    carrier_code: str
    description: str
    location: str
    source: str
    is_unknown: bool
    applied: bool
    occurred_at: datetime


class ShipmentOut(Schema):
    id: int
    order: str
    parcel: str
    warehouse: str
    carrier: str
    service: str
    status: str
    tracking_number: str
    tracking_url: str
    pickup_point: int | None
    weight_g: int
    cod_amount: str
    currency: str
    estimated_delivery: date | None
    courier: str | None
    delivery_date: date | None
    manifest: int | None
    needs_attention: bool
    last_error: str
    label_url: str
    events: list[TrackingEventOut]


class ShipmentsOut(Schema):
    count: int
    items: list[ShipmentOut]


class BatchFailureOut(Schema):
    parcel: str
    code: str
    message: str


class BatchOut(Schema):
    shipments: list[ShipmentOut]
    failed: list[BatchFailureOut]
    labels_url: str


class HandOverIn(InSchema):
    courier: str = ""
    delivery_date: date | None = None


class ShipmentReasonIn(InSchema):
    reason: str = ""


class DeliveredIn(InSchema):
    cash_collected: str | None = None


class FailedIn(InSchema):
    reason: str
    note: str = ""


class RouteIn(InSchema):
    position: int | None = None


class CashIn(InSchema):
    amount: str


class CashOut(Schema):
    shipment: int
    amount: str
    currency: str
    date: date


class ManifestOut(Schema):
    id: int
    number: str
    carrier: str
    warehouse: str
    date: date
    parcels: int
    pdf_url: str


class DeliveryOut(Schema):
    position: int
    shipment: int
    order: str
    tracking_number: str
    status: str
    name: str
    phone: str
    address: str
    time_from: str | None
    time_to: str | None
    # The day promised to the customer (orders/promise.py: their chosen day, else the promised date).
    promised_date: date | None = None
    cod_due: str
    currency: str


class CodDayOut(Schema):
    courier: str
    date: date
    currency: str
    deliveries: int
    delivered: int
    expected: str
    collected: str
    handed_in: str | None
    difference: str | None
    reconciled: bool


class CodHandoverIn(InSchema):
    courier: str
    date: date
    currency: str
    amount: str
    note: str = ""


class CarrierWebhookOut(Schema):
    received: bool
    applied: int
    recorded: int
    duplicates: int
    unknown_codes: int
    unknown_shipments: int
    # True: this delivery was taken before (a retry or a replay) and changed nothing.
    replayed: bool = False
