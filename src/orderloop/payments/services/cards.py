"""Card payments (Stripe) in three steps: a pending row committed, the provider called outside any transaction, its answer recorded."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.money import Money
from orderloop.orders.models import PaymentKind
from orderloop.orders.services import Actor

from .. import domain, selectors
from ..adapters import provider_for
from ..adapters.base import ProviderPayment
from ..adapters.stripe_card import StripeCardProvider
from ..errors import (
    AmountTooLarge,
    InvalidPaymentTransition,
    NothingDue,
    PaymentNotFound,
    ProviderDeclined,
    WrongPaymentMethod,
)
from ..models import Payment, PaymentStatus, Provider
from ..transitions import payment_created
from .common import _amount, _check_open, _lock_order, _payment_apply, _sync


@dataclass(frozen=True)
class CardIntent:
    payment: Payment
    client_secret: str


def card_payment_start(*, order_id: int, actor: Actor) -> Payment:
    """Step 1 of a card payment: a pending Payment for what is due now (committed before Stripe is called).

    An open intent for the same amount is reused, so reloading the checkout does not pile up intents.
    """
    with transaction.atomic():
        order = _lock_order(order_id)
        _check_open(order)
        _sync(order, actor=actor, reason="card_payment")
        sums = selectors.payment_sums(order)
        due = domain.amount_due_now(
            kind=order.payment_method.kind, sums=sums, prepayment=selectors.prepayment_for(order)
        )
        if order.payment_method.kind == PaymentKind.COD:
            raise WrongPaymentMethod(details={"payment_method": order.payment_method.code})
        if due <= 0:
            raise NothingDue(details={"state": domain.payment_state(sums)})
        existing = (
            Payment.objects.filter(
                order=order,
                provider=Provider.STRIPE,
                status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED],
                amount=due,
            )
            .order_by("-id")
            .first()
        )
        if existing is not None:
            return existing
        payment = Payment.objects.create(
            order=order,
            method_kind=PaymentKind.CARD,
            provider=Provider.STRIPE,
            amount=due,
            currency=order.currency,
            status=PaymentStatus.PENDING,
            recorded_by_id=_actor_id(actor),
        )
        payment_created(payment, order, actor=actor)
        return payment


def card_payment_open(*, payment_id: int) -> CardIntent:
    """Steps 2 and 3: create (or fetch) the PaymentIntent at Stripe, outside any transaction, then record
    its id and status. Returns the client secret the browser confirms the payment with."""
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment is None or payment.provider != Provider.STRIPE:
        raise PaymentNotFound()
    provider = StripeCardProvider()
    if payment.provider_reference:
        result = provider.retrieve(reference=payment.provider_reference)
    else:
        try:
            result = provider.authorize(
                amount=payment.money,
                order_number=payment.order.number,
                idempotency_key=f"orderloop-payment-{payment.pk}",
                metadata={"payment_id": str(payment.pk)},
            )
        except ProviderDeclined as exc:
            _payment_apply(
                payment.pk,
                ProviderPayment(
                    reference="",
                    status=PaymentStatus.FAILED,
                    amount=payment.amount,
                    failure_message=exc.message,
                ),
                actor=None,
                reason="card_declined",
            )
            raise
    payment = _payment_apply(payment.pk, result, actor=None, reason="card_payment")
    return CardIntent(payment=payment, client_secret=result.client_secret)


def card_payment_refresh(*, payment_id: int) -> Payment:
    """Ask Stripe for the intent's status and record it (a missed webhook; a pending payment's check)."""
    payment = Payment.objects.filter(pk=payment_id, provider=Provider.STRIPE).first()
    if payment is None:
        raise PaymentNotFound()
    if not payment.provider_reference:
        return payment
    result = StripeCardProvider().retrieve(reference=payment.provider_reference)
    return _payment_apply(payment.pk, result, actor=None, reason="card_payment_refresh")


def card_intent_create(*, order_id: int, actor: Actor) -> CardIntent:
    """A card PaymentIntent for what the order owes now (all of it; the prepayment of a prepayment order)."""
    payment = card_payment_start(order_id=order_id, actor=actor)
    return card_payment_open(payment_id=payment.pk)


def payment_capture(*, payment_id: int, actor: Actor, amount: object = None) -> Payment:
    """Take an authorized card payment (with `STRIPE_CAPTURE_METHOD = "manual"`), all or `amount` of it."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise PaymentNotFound()
    if payment.status != PaymentStatus.AUTHORIZED or payment.provider != Provider.STRIPE:
        raise InvalidPaymentTransition(details={"from": payment.status, "to": PaymentStatus.CAPTURED})
    money = None
    if amount is not None:
        value = _amount(amount, payment.currency)
        if value > payment.amount:
            raise AmountTooLarge(details={"amount": str(payment.amount)})
        money = Money.of(value, payment.currency)
    result = provider_for(payment.provider).capture(
        reference=payment.provider_reference, amount=money, idempotency_key=f"orderloop-capture-{payment.pk}"
    )
    return _payment_apply(payment.pk, result, actor=actor, reason="payment_captured")
