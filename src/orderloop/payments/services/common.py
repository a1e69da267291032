"""What the payments services share: the order lock, the payment state recomputed inside each write, a payment's status applied."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money, MoneyError
from orderloop.orders import locks as order_locks
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order, OrderStatus
from orderloop.orders.services import Actor, order_transition

from .. import domain, selectors
from ..adapters.base import ProviderPayment
from ..errors import NothingDue, PaymentNotFound
from ..models import OrderPaymentState, Payment, PaymentRequest, PaymentRequestStatus, PaymentStatus
from ..transitions import payment_move

logger = logging.getLogger(__name__)


ZERO = Decimal("0")


CLOSED_ORDER = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUSED, OrderStatus.RETURNED})


def _amount(value: object, currency: str, *, field_name: str = "amount") -> Decimal:
    try:
        money = Money.of(value, currency)
    except MoneyError:
        raise InvalidInput(details={field_name: _("Not a decimal amount.")}) from None
    if money.amount <= 0:
        raise InvalidInput(details={field_name: _("Must be greater than zero.")})
    return money.amount


def _lock_order(order_id: int) -> Order:
    order = order_locks.order_for_update(order_id)
    if order is None:
        raise OrderNotFound()
    return order


def _state_row(order: Order) -> OrderPaymentState:
    """The order's state row (created on first use; the order lock keeps that to one row)."""
    state = OrderPaymentState.objects.select_for_update().filter(order=order).first()
    if state is None:
        state = OrderPaymentState.objects.create(
            order=order,
            currency=order.currency,
            total_amount=order.total_amount,
            payment_reference=domain.payment_reference(order.number),
        )
    return state


def _sync(order: Order, *, actor: Actor, reason: str) -> OrderPaymentState:
    """Recompute and store the payment state of a locked order, then move the order where its table
    allows. Returns the stored state."""
    state = _state_row(order)
    sums = selectors.payment_sums(order)
    prepayment = selectors.prepayment_for(order)
    new_state = domain.payment_state(sums)
    state.state = new_state
    state.currency = order.currency
    state.total_amount = sums.total
    state.authorized_amount = sums.authorized
    state.captured_amount = sums.captured
    state.refunded_amount = sums.refunded
    state.prepayment_amount = prepayment
    state.save()
    kind = order.payment_method.kind
    for status in domain.order_moves(order_status=order.status, state=new_state, kind=kind):
        order = order_transition(order_id=order.pk, to=status, actor=actor, reason=reason[:255])
    if domain.amount_due_now(kind=kind, sums=sums, prepayment=prepayment) <= 0 or sums.outstanding <= 0:
        PaymentRequest.objects.filter(order=order, status=PaymentRequestStatus.OPEN).update(
            status=PaymentRequestStatus.PAID, closed_at=timezone.now()
        )
    return state


def payment_state_sync(
    *, order_id: int, actor: Actor, reason: str = "payment_state_sync"
) -> OrderPaymentState:
    """Recompute the order's payment state (e.g. after the order was confirmed or its total changed)."""
    with transaction.atomic():
        order = _lock_order(order_id)
        return _sync(order, actor=actor, reason=reason)


def _set_status(payment: Payment, result: ProviderPayment, order: Order, *, actor: Actor) -> bool:
    """Apply a provider's view to a locked payment; a stale or impossible move is ignored (logged)."""
    if not domain.payment_can_move(payment.status, result.status):
        logger.info("payment %s: ignoring %s → %s", payment.pk, payment.status, result.status)
        return False
    changed = payment.status != result.status
    if result.status == PaymentStatus.CAPTURED:
        captured = result.captured_amount or payment.amount
        payment.captured_amount = min(captured, payment.amount)
        changed = True
    if result.failure_message and result.status == PaymentStatus.FAILED:
        payment.failure_message = result.failure_message[:500]
    if not payment.provider_reference and result.reference:
        payment.provider_reference = result.reference
        changed = True
    if payment.status != result.status:
        payment_move(payment, result.status, order, actor=actor)
    elif changed:
        payment.save()
    return changed


def _payment_apply(payment_id: int, result: ProviderPayment, *, actor: Actor, reason: str) -> Payment:
    with transaction.atomic():
        order_id = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise PaymentNotFound()
        order = _lock_order(order_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        _set_status(payment, result, order, actor=actor)
        _sync(order, actor=actor, reason=reason)
        return payment


def _check_open(order: Order) -> None:
    if order.status in CLOSED_ORDER or order.status in {OrderStatus.COMPLETED}:
        raise NothingDue(_("The order is closed."), details={"status": order.status})
