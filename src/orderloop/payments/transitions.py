"""Payment and refund rows through core's StateMachine: every status they reach appends one domain event
(payments/event_types.py) in the writing transaction, the order row locked by the caller.

A row created in a status (a pending card payment, cash collected, a refund awaiting confirmation) gets
the event of that status with `from` "".
"""

from __future__ import annotations

from typing import Any

from orderloop.core import events
from orderloop.core.statemachine import StateMachine
from orderloop.orders.models import Order

from . import domain
from .errors import InvalidPaymentTransition
from .models import Payment, Refund

PAYMENTS = StateMachine(
    subject="payment", transitions=domain.PAYMENT_TRANSITIONS, error=InvalidPaymentTransition
)
REFUNDS = StateMachine(subject="refund", transitions=domain.REFUND_TRANSITIONS)

# What a status move may change alongside (StateMachine.move saves these with the status).
PAYMENT_FIELDS = ("captured_amount", "failure_message", "provider_reference", "updated_at")
REFUND_FIELDS = (
    "provider_reference",
    "failure_message",
    "confirmed_by",
    "confirmed_at",
    "updated_at",
)


def payment_data(payment: Payment, order: Order) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "method_kind": payment.method_kind,
        "provider": payment.provider,
        "provider_reference": payment.provider_reference,
        "amount": events.money(payment.amount, payment.currency),
        "captured": events.money(payment.captured_amount, payment.currency),
        "failure_message": payment.failure_message,
    }


def refund_data(refund: Refund, order: Order, *, provider: str) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "payment_id": refund.payment_id,
        "provider": provider,
        "amount": events.money(refund.amount, refund.currency),
        "reason": refund.reason,
        "provider_reference": refund.provider_reference,
        "failure_message": refund.failure_message,
    }


def payment_created(payment: Payment, order: Order, *, actor: Any) -> None:
    events.record(
        f"payment.{payment.status}",
        payment.pk,
        {"from": "", "to": payment.status, **payment_data(payment, order)},
        actor=actor,
        sequence=1,
    )


def payment_move(payment: Payment, to: str, order: Order, *, actor: Any) -> None:
    """Move a locked payment (its other changed fields are saved with it) and record the event."""
    PAYMENTS.move(
        payment,
        to,
        actor=actor,
        data=payment_data(payment, order),
        update_fields=PAYMENT_FIELDS,
    )


def refund_created(refund: Refund, order: Order, *, provider: str, actor: Any) -> None:
    events.record(
        f"refund.{refund.status}",
        refund.pk,
        {"from": "", "to": refund.status, **refund_data(refund, order, provider=provider)},
        actor=actor,
        sequence=1,
    )


def refund_move(refund: Refund, to: str, order: Order, *, provider: str, actor: Any) -> None:
    """Move a locked refund (its other changed fields are saved with it) and record the event."""
    REFUNDS.move(
        refund,
        to,
        actor=actor,
        data=refund_data(refund, order, provider=provider),
        update_fields=REFUND_FIELDS,
    )
