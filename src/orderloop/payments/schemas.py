"""Request (In) and response (Out) shapes of the payments API. Money travels as strings with a currency."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Any

from ninja import Field, Schema

from orderloop.core.shapes import InSchema, MoneyOut


class AmountIn(InSchema):
    amount: str = Field(
        ..., max_length=20, description="A decimal string, e.g. `129.90`.", examples=["129.90"]
    )


class TransferIn(AmountIn):
    reference: str = Field("", max_length=255, description="The bank's transaction reference.")


class PaymentRefundIn(AmountIn):
    reason: str = Field(..., min_length=1, max_length=255)


class RefundConfirmIn(InSchema):
    reference: str = Field("", max_length=255, description="For a bank refund: the transfer's reference.")


class CaptureIn(InSchema):
    amount: str | None = Field(None, max_length=20, description="Default: all of the authorized amount.")


class PaymentOut(Schema):
    id: int
    method_kind: str
    provider: str
    provider_reference: str
    status: str
    amount: MoneyOut
    captured: MoneyOut
    failure_message: str
    created_at: datetime


class RefundOut(Schema):
    id: int
    payment_id: int
    status: str
    amount: MoneyOut
    provider_reference: str
    reason: str
    failure_message: str
    confirmed_by: str | None
    created_at: datetime


class InvoiceOut(Schema):
    number: str
    order: str
    payment_reference: str
    issued_at: datetime
    due_date: Date
    amount_due: MoneyOut
    total: MoneyOut
    pdf_url: str


class PaymentRequestOut(Schema):
    amount: MoneyOut
    status: str
    url: str
    created_at: datetime


class PaymentsOut(Schema):
    order: str
    payment_method: str
    payment_kind: str
    state: str = Field(
        ..., description="unpaid, authorized, partially_paid, paid, partially_refunded, refunded"
    )
    total: MoneyOut
    paid: MoneyOut = Field(..., description="Captured minus refunded.")
    refunded: MoneyOut
    due_now: MoneyOut = Field(..., description="What to pay before delivery (card or transfer).")
    outstanding: MoneyOut = Field(..., description="Total minus paid (incl. what is collected on delivery).")
    prepayment: MoneyOut | None
    payment_reference: str
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    invoice: InvoiceOut | None
    payment_request: PaymentRequestOut | None


class IntentOut(Schema):
    payment_id: int
    intent_id: str
    client_secret: str
    status: str
    amount: MoneyOut


class StripeWebhookOut(Schema):
    received: bool
    outcome: str


class StatementRowOut(Schema):
    line: int
    date: str
    amount: str
    currency: str
    reference: str
    transaction_id: str
    order: str
    outcome: str = Field(
        ...,
        description=(
            "matched, no_reference, unknown_reference, amount_mismatch, currency_mismatch, duplicate, "
            "not_incoming, bad_amount"
        ),
    )
    expected: str | None = None


class StatementImportOut(Schema):
    id: int
    file_name: str
    rows_total: int
    rows_matched: int
    rows_unmatched: int
    rows: list[StatementRowOut]


def dump(schema: Schema) -> dict[str, Any]:
    return schema.model_dump(mode="json")
