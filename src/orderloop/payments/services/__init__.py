"""Every write of the payments area, one module per concern (cards, webhooks, offline, refunds, edits,
invoices, statements; common: the order lock and the payment state), all re-exported here.

Each service locks the order row first (orders/locks.py; then payment and refund rows), writes payment
rows, recomputes the order's payment state with `domain.payment_state` and moves the order through
`orders.services.order_transition` where the order's table allows (`domain.order_moves`).

Every status a payment or refund row reaches appends its domain event in the same transaction
(payments/transitions.py, through core's StateMachine). Other areas react to those events instead of
being called from here: the returns area consumes `refund.succeeded` (a return is `refunded` only once
its money has moved).

Calls to a provider never happen inside a transaction (DESIGN.md §4). A card payment is three steps:
(1) write a pending Payment and commit; (2) call Stripe with an idempotency key made of the row id;
(3) record the answer in a new transaction. A crash between (2) and (3) leaves a pending row whose
retry (same key) returns the same intent; the webhook records the outcome in any case.
"""

from __future__ import annotations

from .cards import (
    CardIntent,
    card_intent_create,
    card_payment_open,
    card_payment_refresh,
    card_payment_start,
    payment_capture,
)
from .common import CLOSED_ORDER, ZERO, payment_state_sync
from .edits import Reconciliation, payment_reconcile_after_edit
from .invoices import INVOICED_KINDS, invoice_issue
from .offline import payment_record_cod_collected, payment_record_transfer
from .refunds import refund_cancel, refund_confirm, refund_create, refund_request, refund_send
from .statements import bank_statement_import
from .webhooks import REPLAY, WebhookResult, stripe_webhook_receive

__all__ = [
    "CLOSED_ORDER",
    "INVOICED_KINDS",
    "REPLAY",
    "ZERO",
    "CardIntent",
    "Reconciliation",
    "WebhookResult",
    "bank_statement_import",
    "card_intent_create",
    "card_payment_open",
    "card_payment_refresh",
    "card_payment_start",
    "invoice_issue",
    "payment_capture",
    "payment_reconcile_after_edit",
    "payment_record_cod_collected",
    "payment_record_transfer",
    "payment_state_sync",
    "refund_cancel",
    "refund_confirm",
    "refund_create",
    "refund_request",
    "refund_send",
    "stripe_webhook_receive",
]
