"""Request (In) and response (Out) shapes of the orders API. Shapes only: the rules live in services."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from datetime import time as Time
from typing import Annotated, Any

from ninja import Field, Schema

from orderloop.core.shapes import InShape, MoneyOut, Shape

from .models import Channel, Priority

# JSON integers only: "5", 5.5 and true are refused (422) instead of being coerced.
StrictInt = Annotated[int, Field(strict=True)]


class CustomerIn(InShape):
    name: str = Field(..., max_length=200)
    phone: str = Field(..., max_length=40, description="Any common format; stored as E.164.")
    email: str = Field("", max_length=254)
    language: str = Field("", max_length=8, description="en, uk, ru, sv or ar; default: the shop's.")


class AddressIn(InShape):
    country: str = Field(..., max_length=2, description="ISO 3166 two-letter code, e.g. `UA`.")
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    line1: str = Field("", max_length=200)
    line2: str = Field("", max_length=200)


class OrderLineIn(InShape):
    sku: str = Field(..., max_length=64)
    quantity: StrictInt
    note: str = Field("", max_length=500, description="E.g. an engraving or a special wish.")


class PreferredDeliveryIn(InShape):
    date: Date | None = None
    time_from: Time | None = None
    time_to: Time | None = None


class OrderIn(InShape):
    channel: Channel
    external_ref: str = Field("", max_length=100, description="The channel's own id; unique per channel.")
    customer: CustomerIn
    shipping_address: AddressIn
    delivery_method: str = Field(..., max_length=40, description="A code from GET /delivery-methods.")
    payment_method: str = Field(..., max_length=40, description="A code from GET /payment-methods.")
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=100)
    priority: Priority = Priority.NORMAL
    preferred_delivery: PreferredDeliveryIn | None = None
    comment: str = Field("", max_length=2000)
    coupon_code: str = Field("", max_length=40, description="A coupon to take off the goods.")
    thank_you_note: bool | None = Field(
        None, description="Put a thank-you note in the parcel; default: the shop's rule."
    )


class CustomerOut(Shape):
    name: str
    phone: str
    email: str
    language: str


class AddressOut(Shape):
    country: str
    region: str
    city: str
    postal_code: str
    line1: str
    line2: str


class OrderAllocationOut(Shape):
    warehouse: str
    quantity: int


class OrderLineOut(Shape):
    position: int
    sku: str
    name: str
    attributes: dict[str, Any]
    quantity: int
    quantity_reserved: int
    quantity_backordered: int
    unit_price: MoneyOut
    total: MoneyOut
    note: str
    is_gift: bool
    allocations: list[OrderAllocationOut]


class MethodRefOut(Shape):
    code: str
    name: str


class PaymentMethodRefOut(Shape):
    code: str
    name: str
    kind: str


class TotalsOut(Shape):
    subtotal: MoneyOut
    discount: MoneyOut
    delivery: MoneyOut
    total: MoneyOut


class PreferredDeliveryOut(Shape):
    date: Date | None
    time_from: Time | None
    time_to: Time | None


class OrderOut(Shape):
    number: str
    status: str
    allowed_next: list[str] = Field(
        ..., description="Statuses the order may move to from here (a hold removes the moves it forbids)."
    )
    channel: str
    external_ref: str
    priority: str
    on_hold: bool
    hold_reason: str
    customer: CustomerOut
    shipping_address: AddressOut
    delivery_method: MethodRefOut
    payment_method: PaymentMethodRefOut
    preferred_delivery: PreferredDeliveryOut | None
    promised_date: Date | None = Field(..., description="The delivery date promised at placement.")
    coupon_code: str
    thank_you_note: bool
    comment: str
    manager: str | None
    lines: list[OrderLineOut]
    totals: TotalsOut
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime


class OrderListItemOut(Shape):
    number: str
    status: str
    channel: str
    priority: str
    on_hold: bool
    customer_name: str
    customer_email: str
    customer_phone: str
    delivery_method: str
    payment_method: str
    total: MoneyOut
    manager: str | None
    created_at: datetime


class OrderPageOut(Shape):
    items: list[OrderListItemOut]
    next_cursor: str | None


class OrderEventOut(Shape):
    id: int
    kind: str
    from_status: str
    to_status: str
    actor: str | None
    reason: str
    note: str
    data: dict[str, Any]
    created_at: datetime


class CancelIn(InShape):
    reason: str = Field(..., max_length=255)
    note: str = Field("", max_length=2000)


class HoldIn(InShape):
    reason: str = Field("", max_length=255)


class ConfirmIn(InShape):
    note: str = Field("", max_length=2000)


class NoteIn(InShape):
    text: str = Field(..., max_length=2000)


class AssignIn(InShape):
    username: str | None = Field(..., description="A staff user who may handle orders; null: nobody.")


class DeliveryMethodOut(Shape):
    code: str
    name: str
    kind: str
    countries: list[str]
    price: MoneyOut
    transit_days: int


class PaymentMethodOut(Schema):  # validated from PaymentMethod rows (ninja's getter)
    code: str
    name: str
    kind: str
    is_prepaid: bool
