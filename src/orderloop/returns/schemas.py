"""Request (In) and response (Out) shapes of the returns API. Money travels as strings with a currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from orderloop.core.shapes import InSchema, MoneyOut

from .models import ReturnStatus


def _status() -> Any:
    """A return's status, published with every value it can take (`refund_pending` included)."""
    return Field(..., json_schema_extra={"enum": list(ReturnStatus.values)})


class ReturnLineIn(InSchema):
    sku: str = Field(..., min_length=1, max_length=64, description="The order line's SKU.")
    quantity: int = Field(..., ge=1, le=10_000)
    reason: str = Field(
        ...,
        description="wrong_size, damaged, not_as_described, changed_mind, wrong_item, late_delivery, other",
    )


class ReturnIn(InSchema):
    order: str = Field(..., min_length=1, max_length=20, description="The order number.")
    lines: list[ReturnLineIn] = Field(..., min_length=1, max_length=100)
    method: str = Field(..., description="drop_off, courier_pickup or post")
    note: str = Field("", max_length=2000)
    bank_iban: str = Field(
        "",
        max_length=64,
        description="The account a refund by bank transfer (cash on delivery) goes to; an invalid IBAN "
        "is a 422 `bank_details_invalid`. May also be given later (`bank-details`, or with the refund).",
    )
    bank_holder: str = Field("", max_length=200, description="The account holder (with `bank_iban`).")


class BankDetailsIn(InSchema):
    bank_iban: str = Field(..., min_length=1, max_length=64)
    bank_holder: str = Field(..., min_length=1, max_length=200)


class ReturnReasonIn(InSchema):
    reason: str = Field(..., min_length=1, max_length=255)


class TransitIn(InSchema):
    tracking_ref: str = Field("", max_length=100)


class ReceiveIn(InSchema):
    warehouse: str = Field(
        "", max_length=20, description="Where it arrived (default: where it shipped from)."
    )


class ReturnScanIn(ReceiveIn):
    code: str = Field(
        ..., min_length=1, max_length=100, description="The RMA barcode or return tracking number."
    )


class InspectionItemIn(InSchema):
    line_id: int
    quantity: int = Field(..., ge=1, le=10_000)
    grade: str = Field(..., description="as_new, good, damaged or missing")
    disposition: str = Field("", description="restock, quarantine, write_off or none; empty: by grade")
    refund: bool | None = Field(None, description="Refund these units (default: unless missing).")
    note: str = Field("", max_length=255)


class InspectIn(InSchema):
    items: list[InspectionItemIn] = Field(..., min_length=1, max_length=500)


class ReturnRefundIn(InSchema):
    deduction: str = Field("0", max_length=20, description="Taken off the refund (a decimal string).")
    deduction_reason: str = Field("", max_length=255)
    bank_iban: str = Field("", max_length=50, description="For a refund by bank transfer (cash on delivery).")
    bank_holder: str = Field("", max_length=200)


class BankConfirmIn(InSchema):
    reference: str = Field(..., min_length=1, max_length=255)


class ExchangeItemIn(InSchema):
    sku: str = Field(..., min_length=1, max_length=64)
    quantity: int = Field(..., ge=1, le=10_000)


class ExchangeIn(InSchema):
    items: list[ExchangeItemIn] = Field(..., min_length=1, max_length=100)


class ReturnLineOut(Schema):
    id: int
    sku: str
    name: str
    quantity: int
    reason: str
    refunded_quantity: int
    refunded: MoneyOut
    inspections: list[dict[str, object]]


class ReturnEventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    actor: str | None
    reason: str
    data: dict[str, object]
    created_at: datetime


class RefundRowOut(Schema):
    id: int
    status: str
    amount: MoneyOut
    provider_reference: str


class ReturnOut(Schema):
    number: str
    order: str
    status: str = _status()
    method: str
    opened_via: str
    created_at: datetime
    warehouse: str | None
    tracking_ref: str
    carrier: str
    label_url: str | None
    received_at: datetime | None
    refund_due_at: datetime | None
    refund_overdue: bool
    allowed_next: list[str]
    lines: list[ReturnLineOut]
    goods: MoneyOut
    delivery: MoneyOut
    return_shipping_fee: MoneyOut
    deduction: MoneyOut
    refund: MoneyOut
    refunds: list[RefundRowOut]
    bank_iban: str
    bank_holder: str
    exchange_order: str | None
    credit_note: str | None
    credit_note_url: str | None
    rejection_reason: str
    events: list[ReturnEventOut]


class ReturnSummaryOut(Schema):
    number: str
    order: str
    status: str = _status()
    method: str
    created_at: datetime
    refund_due_at: datetime | None
    refund_overdue: bool
    refund: MoneyOut


class ReturnPageOut(Schema):
    items: list[ReturnSummaryOut]
    next_cursor: str | None


class QuoteOut(Schema):
    goods: MoneyOut
    delivery: MoneyOut
    return_shipping_fee: MoneyOut
    cap: MoneyOut
    due: MoneyOut


class PolicyIn(InSchema):
    window_days: int = Field(..., ge=1, le=3650)
    conditions: list[str] = Field(default_factory=list)
    non_returnable_categories: list[str] = Field(default_factory=list, description="Category slugs.")
    return_shipping_paid_by: str = Field("shop", description="shop or customer")
    return_shipping_fee: str = Field("0", max_length=20)
    refund_delivery: str = Field("full_return", description="never, full_return or always")
    methods: list[str] = Field(default_factory=lambda: ["drop_off", "courier_pickup", "post"])
    refund_due_days: int = Field(14, ge=1, le=60)
    auto_approve: bool = True
    notes: dict[str, str] = Field(default_factory=dict, description="{language: text} on the policy page.")


class PolicyOut(Schema):
    country: str
    window_days: int
    legal_minimum: int
    conditions: list[str]
    non_returnable_categories: list[str]
    return_shipping_paid_by: str
    return_shipping_fee: str
    refund_delivery: str
    methods: list[str]
    refund_due_days: int
    auto_approve: bool
    notes: dict[str, str]


class ReturnRateOut(Schema):
    key: int | None
    label: str
    units_sold: int
    units_returned: int
    rate: str = Field(..., description="Returned per delivered unit, 0–1 as a decimal string.")
    reasons: dict[str, int]
