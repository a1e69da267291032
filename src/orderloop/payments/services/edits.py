"""After an order edit: the difference is due (a payment request with a link) or owed (refunds)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.orders.services import Actor

from .. import selectors
from ..models import OrderPaymentState, PaymentRequest, PaymentRequestStatus, Refund
from .common import _lock_order, _sync
from .refunds import _plan_refunds


@dataclass
class Reconciliation:
    state: OrderPaymentState
    request: PaymentRequest | None = None
    refunds: list[Refund] = field(default_factory=list)
    payment_url: str = ""


def payment_reconcile_after_edit(*, order_id: int, actor: Actor) -> Reconciliation:
    """After the order's total changed: the customer owes the difference (an open PaymentRequest with a
    signed payment link; an earlier open request is replaced) or is owed it (pending refunds staff
    confirm). The payment state and, where the table allows, the order's status follow.

    Call it after the edit's transaction (or inside it: it joins it)."""
    with transaction.atomic():
        order = _lock_order(order_id)
        state = _sync(order, actor=actor, reason="order_edited")
        difference = selectors.edit_difference(order, total=order.total_amount)
        PaymentRequest.objects.filter(order=order, status=PaymentRequestStatus.OPEN).update(
            status=PaymentRequestStatus.CANCELLED, closed_at=timezone.now()
        )
        result = Reconciliation(state=state)
        if difference.due > 0:
            result.request = PaymentRequest.objects.create(
                order=order,
                amount=difference.due,
                currency=order.currency,
                reason="order_edited",
                created_by_id=_actor_id(actor),
            )
        if difference.refund > 0:
            result.refunds = _plan_refunds(
                order, amount=difference.refund, reason=_("Order edited"), actor=actor, confirm=False
            )
    if result.request is not None:
        result.payment_url = selectors.payment_request_url(result.request)
    return result
