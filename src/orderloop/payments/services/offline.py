"""Money taken outside the card provider: cash collected on delivery, bank transfers marked by staff."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from orderloop.core.actors import actor_id as _actor_id
from orderloop.orders.models import Order, PaymentKind
from orderloop.orders.services import Actor

from .. import selectors
from ..errors import AmountTooLarge, NothingDue, WrongPaymentMethod
from ..models import Payment, PaymentStatus, Provider
from ..transitions import payment_created
from .common import _amount, _lock_order, _sync


def _record_captured(
    order: Order,
    *,
    kind: str,
    provider: str,
    amount: Decimal,
    reference: str,
    actor: Actor,
) -> Payment:
    payment = Payment.objects.create(
        order=order,
        method_kind=kind,
        provider=provider,
        provider_reference=reference[:255],
        amount=amount,
        captured_amount=amount,
        currency=order.currency,
        status=PaymentStatus.CAPTURED,
        recorded_by_id=_actor_id(actor),
    )
    payment_created(payment, order, actor=actor)
    return payment


def payment_record_cod_collected(*, order_id: int, amount: object, actor: Actor) -> Payment:
    """Cash collected at delivery by the courier or carrier: the rest of a COD or prepayment order."""
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.payment_method.kind not in {PaymentKind.COD, PaymentKind.PREPAYMENT}:
            raise WrongPaymentMethod(details={"payment_method": order.payment_method.code})
        value = _amount(amount, order.currency)
        outstanding = selectors.payment_sums(order).outstanding
        if outstanding <= 0:
            raise NothingDue()
        if value > outstanding:
            raise AmountTooLarge(details={"amount": str(outstanding)})
        payment = _record_captured(
            order, kind=PaymentKind.COD, provider=Provider.CASH, amount=value, reference="", actor=actor
        )
        _sync(order, actor=actor, reason="cod_collected")
        return payment


def payment_record_transfer(*, order_id: int, amount: object, reference: str = "", actor: Actor) -> Payment:
    """Staff saw the transfer on the shop's account (`reference`: the bank's or the customer's)."""
    with transaction.atomic():
        order = _lock_order(order_id)
        value = _amount(amount, order.currency)
        payment = _record_captured(
            order,
            kind=PaymentKind.BANK_TRANSFER,
            provider=Provider.BANK,
            amount=value,
            reference=(reference or "").strip(),
            actor=actor,
        )
        _sync(order, actor=actor, reason="transfer_received")
        return payment
