"""The payments area's event types (the catalogue: core/events.py, docs/events.md).

One type per status a payment or a refund row can reach, recorded when the row is created in that status
(`from` is then "") or moves to it: `payment.captured` is the money taken (a card captured by the
provider, cash collected at the door, a bank transfer marked by staff or matched on a statement),
`refund.pending` a refund waiting for staff to confirm it (a bank transfer to make), `refund.succeeded`
the money back with the customer.
"""

from __future__ import annotations

from orderloop.core.events import Payload, TransitionPayload, define

from .models import PaymentStatus, RefundStatus


class Money(Payload):
    amount: str  # a decimal string: money never travels as a float
    currency: str


class PaymentChanged(TransitionPayload):
    order_id: int
    order_number: str
    method_kind: str  # card, cod, bank_transfer, prepayment
    provider: str  # stripe, cash, bank, bank_statement
    provider_reference: str = ""
    amount: Money
    captured: Money
    failure_message: str = ""


class RefundChanged(TransitionPayload):
    order_id: int
    order_number: str
    payment_id: int
    provider: str  # of the payment the money goes back through
    amount: Money
    reason: str = ""
    provider_reference: str = ""
    failure_message: str = ""


PAYMENT_MEANINGS = {
    PaymentStatus.PENDING: "A card payment was started: the provider has not answered yet.",
    PaymentStatus.AUTHORIZED: "The card payment is authorized (held); it still has to be captured.",
    PaymentStatus.CAPTURED: (
        "The money is taken: a card captured, cash collected at delivery, a bank transfer marked received "
        "or matched on a bank statement (`captured`)."
    ),
    PaymentStatus.FAILED: "The card payment failed (`failure_message`); the customer may try again.",
    PaymentStatus.CANCELLED: "The payment was cancelled before any money was taken.",
}

REFUND_MEANINGS = {
    RefundStatus.PENDING: (
        "A refund is due and awaits staff: a bank transfer to make, or a card refund to confirm."
    ),
    RefundStatus.PROCESSING: "The refund was confirmed and goes (or went) to the provider.",
    RefundStatus.SUCCEEDED: "The money reached the customer (the provider or staff confirmed it).",
    RefundStatus.FAILED: "The provider refused the refund (`failure_message`).",
    RefundStatus.CANCELLED: "A refund that awaited confirmation was dropped.",
}

for _payment_status in PaymentStatus:
    define(
        f"payment.{_payment_status.value}",
        subject="payment",
        payload=PaymentChanged,
        description=PAYMENT_MEANINGS[_payment_status],
    )

for _refund_status in RefundStatus:
    define(
        f"refund.{_refund_status.value}",
        subject="refund",
        payload=RefundChanged,
        description=REFUND_MEANINGS[_refund_status],
    )
