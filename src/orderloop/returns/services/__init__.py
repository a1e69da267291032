"""Every write of the returns area, one module per concern (policies, opening, approval, receipt,
inspection, refunds, exchanges, sla; common: the locks and what they share), all re-exported here.

Each service is one `transaction.atomic`: it locks the order row first (orders/locks.py), then the
return row (returns/locks.py), and moves the return through core's StateMachine (returns/transitions.py:
the table of domain.RETURN_TRANSITIONS, the domain event `return.<status>` and a ReturnEvent row: who,
when, from → to, why). Stock moves through inventory.services (a ledger row each), money through
payments.services, the order's status through orders.services.order_transition. The customer's emails
are notifications' reactions to the return's events (notifications/reactions/returns.py).

Outside systems are never called inside a transaction (DESIGN.md §4): the return label comes from the
shipping port after the approving transaction committed (`return_label_create`, also queued as a task),
and card refunds are sent to Stripe after the refunding transaction committed (`return_refund_send`,
also queued by payments as `send_refund`).
"""

from __future__ import annotations

from .approval import (
    _parcel,
    return_approve,
    return_close,
    return_label_create,
    return_mark_in_transit,
    return_reject,
    return_tracking_refresh,
)
from .common import MAX_NOTE, ZERO, S
from .exchanges import ExchangeItem, return_exchange, return_exchange_request
from .inspection import InspectionInput, quarantine_warehouse, return_inspect
from .opening import LineInput, return_open, return_open_for_refused
from .policies import PolicyInput, policy_save
from .receipt import return_add_note, return_receive, return_receive_scan
from .refunds import (
    credit_note_number,
    return_bank_refund_confirm,
    return_refund,
    return_refund_request,
    return_refund_send,
    return_refunds_moved,
    return_set_bank_details,
)
from .sla import (
    BATCH,
    SLA_MESSAGE,
    SLA_NOTIFICATION_KIND,
    SlaReport,
    return_mark_refund_overdue,
    returns_check_refund_sla,
)

__all__ = [
    "BATCH",
    "MAX_NOTE",
    "SLA_MESSAGE",
    "SLA_NOTIFICATION_KIND",
    "ZERO",
    "ExchangeItem",
    "InspectionInput",
    "LineInput",
    "PolicyInput",
    "S",
    "SlaReport",
    "_parcel",
    "credit_note_number",
    "policy_save",
    "quarantine_warehouse",
    "return_add_note",
    "return_approve",
    "return_bank_refund_confirm",
    "return_close",
    "return_exchange",
    "return_exchange_request",
    "return_inspect",
    "return_label_create",
    "return_mark_in_transit",
    "return_mark_refund_overdue",
    "return_open",
    "return_open_for_refused",
    "return_receive",
    "return_receive_scan",
    "return_refund",
    "return_refund_request",
    "return_refund_send",
    "return_refunds_moved",
    "return_reject",
    "return_set_bank_details",
    "return_tracking_refresh",
    "returns_check_refund_sla",
]
