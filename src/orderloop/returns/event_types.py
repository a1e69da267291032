"""The returns area's event types (the catalogue: core/events.py, docs/events.md).

One type per status a return request reaches (`return.requested` when it is opened, then
`return.approved`, `return.refunded`, …), plus the facts between statuses a consumer may wait for: the
return label issued and the refund found overdue. The readable timeline of a return stays its
ReturnEvent rows; these are what other areas and outside systems consume.
"""

from __future__ import annotations

from orderloop.core.events import Payload, TransitionPayload, define

from .models import ReturnStatus


class Money(Payload):
    amount: str  # a decimal string: money never travels as a float
    currency: str


class ReturnedUnits(Payload):
    sku: str
    quantity: int
    reason: str


class InspectedUnits(Payload):
    sku: str
    quantity: int
    grade: str
    disposition: str
    refund: bool


class ReturnChanged(TransitionPayload):
    number: str  # the RMA number the customer sees
    order_id: int
    order_number: str
    reason: str = ""
    tracking_ref: str = ""


class ReturnRequested(ReturnChanged):
    channel: str
    method: str
    lines: list[ReturnedUnits]


class ReturnInspected(ReturnChanged):
    items: list[InspectedUnits]


class ReturnRefundPending(ReturnChanged):
    refund: Money
    refund_ids: list[int]  # the payments area's refund rows (their `refund.*` events follow)
    by_transfer: bool


class ReturnRefunded(ReturnChanged):
    refund: Money


class ReturnExchanged(ReturnChanged):
    replacement_order: str
    credit: Money  # the returned units' value paying the replacement
    refund: Money  # what was left over and goes back
    due: Money  # what the replacement costs beyond it


class ReturnLabelIssued(Payload):
    number: str
    order_id: int
    order_number: str
    tracking_ref: str
    carrier: str


class ReturnRefundOverdue(Payload):
    number: str
    order_id: int
    order_number: str
    due_at: str  # ISO 8601


S = ReturnStatus
MEANINGS: dict[str, tuple[type[ReturnChanged], str]] = {
    S.REQUESTED: (ReturnRequested, "A return was opened (its lines, channel and method)."),
    S.APPROVED: (ReturnChanged, "The return was approved: the customer may send it."),
    S.REJECTED: (ReturnChanged, "The return was rejected (`reason` tells the customer why)."),
    S.IN_TRANSIT: (ReturnChanged, "The customer sent the parcel back (`tracking_ref` when known)."),
    S.RECEIVED: (ReturnChanged, "The parcel arrived at the warehouse: the refund deadline starts."),
    S.INSPECTED: (ReturnInspected, "Every unit was graded and booked back to stock (`items`)."),
    S.REFUND_PENDING: (
        ReturnRefundPending,
        "The refund is decided and requested (`refund`); the money has not reached the customer yet.",
    ),
    S.REFUNDED: (ReturnRefunded, "Every refund of the return reached the customer."),
    S.EXCHANGED: (ReturnExchanged, "The return was settled with a replacement order."),
    S.CLOSED: (ReturnChanged, "The return was withdrawn, or closed with nothing owed."),
}

for _status in ReturnStatus:
    _payload, _description = MEANINGS[_status]
    define(f"return.{_status.value}", subject="return", payload=_payload, description=_description)

define(
    "return.label_issued",
    subject="return",
    payload=ReturnLabelIssued,
    description="The return label (tracking reference and carrier) was issued to the customer.",
)
define(
    "return.refund_overdue",
    subject="return",
    payload=ReturnRefundOverdue,
    description="The return's refund passed its due date without reaching the customer.",
)
