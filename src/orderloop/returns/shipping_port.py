"""The port through which returns talk to carriers: a return label with a tracking reference, and the
parcel's tracking. One interface (ReturnShippingPort); the implementation is chosen by
`ORDERLOOP["RETURN_SHIPPING_PORT"]` (a dotted path to a class taking no arguments).

The default is the shipping area's `orderloop.shipping.return_port.CarrierReturnShipping`: it books the
return with a carrier adapter (our courier for a courier pickup, Nova Poshta's return service in UA,
PostNord in SE), returns the carrier's tracking reference and label, and maps the carrier's events to
"in_transit" / "delivered" (docs/shipping.md, "Returns"). Where no carrier fits or is configured it uses
the built-in implementation below, which needs no carrier: it draws the shop's own return label (the
return address, the customer's address and the RMA number as a Code 128 barcode) and uses the RMA number
as the tracking reference; it has no tracking (staff mark the parcel in transit and received, or scan the
RMA barcode when it arrives).

Services call the port outside any database transaction (DESIGN.md §4) and record what it returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_PORT = "orderloop.shipping.return_port.CarrierReturnShipping"


@dataclass(frozen=True)
class ReturnParcel:
    """What a carrier needs to know about a return parcel."""

    rma_number: str
    order_number: str
    method: str  # a ReturnMethod value
    language: str
    sender: tuple[str, ...]  # the customer's name and address lines
    sender_phone: str
    recipient: tuple[str, ...]  # the shop's return address lines
    items: tuple[str, ...] = ()  # "2 × Linen tee (TEE-M)"
    weight_g: int = 0


@dataclass(frozen=True)
class ReturnLabel:
    tracking_ref: str
    carrier: str = ""  # empty: the shop's own label
    pdf: bytes | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    """One carrier event. `status`: "in_transit" (picked up / on its way) or "delivered" (at the shop)."""

    status: str
    at: datetime
    description: str = ""
    raw: dict[str, str] = field(default_factory=dict)


class ReturnShippingPort(Protocol):
    def create_return_label(self, parcel: ReturnParcel) -> ReturnLabel: ...

    def track(self, tracking_ref: str) -> list[TrackingUpdate]: ...


class BuiltinReturnShipping:
    """The shop's own label (PDF with the RMA barcode); no carrier, no tracking."""

    def create_return_label(self, parcel: ReturnParcel) -> ReturnLabel:
        from .documents import render_return_label

        return ReturnLabel(tracking_ref=parcel.rma_number, carrier="", pdf=render_return_label(parcel))

    def track(self, tracking_ref: str) -> list[TrackingUpdate]:
        return []


def return_shipping() -> ReturnShippingPort:
    path = settings.ORDERLOOP.get("RETURN_SHIPPING_PORT") or DEFAULT_PORT
    port: ReturnShippingPort = import_string(path)()
    return port
