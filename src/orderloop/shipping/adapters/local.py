"""The built-in carriers: the shop's own couriers and pickup in a store or warehouse. Nothing to call:
the tracking number is ours (prefix + shipment id + a check digit), events come from the courier's and
the staff's own actions, the price and date are the delivery option's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from ..domain import own_tracking_number
from ..errors import WebhookPayloadInvalid
from .base import BookedShipment, PickupPointData, Rate, ShipmentRequest, TrackingEvent


class LocalCarrier:
    code = "local"
    remote = False
    prefix = "OL"
    transit_days = 1

    def configured(self) -> bool:
        return True

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        return [
            Rate(
                service_code=request.service_code,
                cost=None,
                currency=request.currency,
                estimated_delivery=request.ship_date + timedelta(days=self.transit_days),
            )
        ]

    def create_shipment(self, request: ShipmentRequest) -> BookedShipment:
        return BookedShipment(
            tracking_number=own_tracking_number(self.prefix, request.local_id),
            estimated_delivery=request.ship_date + timedelta(days=self.transit_days),
        )

    def cancel(self, *, tracking_number: str, carrier_reference: str, request: ShipmentRequest) -> None:
        return None

    def track(self, tracking_numbers: Sequence[str], *, phones: Mapping[str, str]) -> list[TrackingEvent]:
        return []

    def parse_webhook(self, *, payload: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        raise WebhookPayloadInvalid(details={"carrier": self.code, "webhooks": "none"})

    def pickup_points(self, *, country: str, city: str = "", postal_code: str = "") -> list[PickupPointData]:
        return []


class OwnCourierCarrier(LocalCarrier):
    code = "own_courier"
    prefix = "OL"


class StorePickupCarrier(LocalCarrier):
    code = "store_pickup"
    prefix = "ST"
    transit_days = 0
