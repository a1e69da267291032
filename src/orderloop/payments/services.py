"""Every write of the payments area.

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

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money, MoneyError
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.core.sequences import next_in_sequence
from orderloop.orders import locks as order_locks
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order, OrderStatus, PaymentKind
from orderloop.orders.services import Actor, order_transition

from . import domain, selectors, tasks
from .adapters import provider_for
from .adapters.base import ProviderEvent, ProviderPayment
from .adapters.stripe_card import StripeCardProvider
from .errors import (
    AmountTooLarge,
    InvalidPaymentTransition,
    NothingDue,
    PaymentNotFound,
    ProviderDeclined,
    RefundNotFound,
    RefundNotPending,
    StatementInvalid,
    WrongPaymentMethod,
)
from .models import (
    BankStatementImport,
    Invoice,
    InvoiceCounter,
    OrderPaymentState,
    Payment,
    PaymentRequest,
    PaymentRequestStatus,
    PaymentStatus,
    Provider,
    Refund,
    RefundStatus,
    WebhookEvent,
    WebhookOutcome,
)
from .transitions import payment_created, payment_move, refund_created, refund_move

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


# --- Card (Stripe) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardIntent:
    payment: Payment
    client_secret: str


def _check_open(order: Order) -> None:
    if order.status in CLOSED_ORDER or order.status in {OrderStatus.COMPLETED}:
        raise NothingDue(_("The order is closed."), details={"status": order.status})


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


# --- Webhooks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    outcome: str  # a WebhookOutcome value, or "ignored_replay"
    event_id: str
    message: str = ""


REPLAY = "ignored_replay"


def stripe_webhook_receive(*, payload: bytes, headers: Mapping[str, str]) -> WebhookResult:
    """Verify (WebhookSignatureInvalid → 400, nothing written), log the event once per id, apply it.

    A replayed event id only counts the delivery; an event for an intent we do not know is logged and
    ignored (it may belong to another system on the same Stripe account).
    """
    event = StripeCardProvider().parse_webhook(payload=payload, headers=headers)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = WebhookEvent.objects.create(
                    provider=Provider.STRIPE, event_id=event.event_id, type=event.type, payload=event.payload
                )
        except IntegrityError:
            WebhookEvent.objects.filter(provider=Provider.STRIPE, event_id=event.event_id).update(
                deliveries=F("deliveries") + 1, last_received_at=timezone.now()
            )
            logger.info("stripe webhook %s (%s) replayed: ignored", event.event_id, event.type)
            return WebhookResult(outcome=REPLAY, event_id=event.event_id)
        outcome, message, payment = _apply_event(event)
        row.outcome = outcome
        row.message = message[:500]
        row.payment = payment
        row.processed_at = timezone.now()
        row.save(update_fields=["outcome", "message", "payment", "processed_at"])
        if outcome != WebhookOutcome.PROCESSED:
            logger.info("stripe webhook %s (%s): %s %s", event.event_id, event.type, outcome, message)
        return WebhookResult(outcome=outcome, event_id=event.event_id, message=message)


def _payment_for_event(event: ProviderEvent) -> Payment | None:
    payment = Payment.objects.filter(
        provider=Provider.STRIPE, provider_reference=event.payment_reference
    ).first()
    local_id = event.payment.local_id if event.payment else ""
    if payment is None and local_id.isdigit() and event.payment_reference:
        # The intent's answer was not recorded yet (crash between steps 2 and 3): adopt it by its metadata.
        payment = Payment.objects.filter(
            pk=int(local_id), provider=Provider.STRIPE, provider_reference=""
        ).first()
    return payment


def _apply_event(event: ProviderEvent) -> tuple[str, str, Payment | None]:
    if event.kind == "other":
        return WebhookOutcome.IGNORED_TYPE, event.type, None
    found = _payment_for_event(event) if event.payment_reference else None
    if found is None:
        return WebhookOutcome.IGNORED_UNKNOWN, f"unknown payment intent {event.payment_reference}", None
    order = _lock_order(found.order_id)
    payment = Payment.objects.select_for_update().get(pk=found.pk)
    message = ""
    if event.kind == "payment" and event.payment is not None:
        before = payment.status
        if not _set_status(payment, event.payment, order, actor=None) and before != event.payment.status:
            message = f"stale: payment is {before}"
    else:
        message = _apply_charge_refunds(payment, event, order)
    _sync(order, actor=None, reason=f"stripe:{event.type}")
    return WebhookOutcome.PROCESSED, message, payment


def _apply_charge_refunds(payment: Payment, event: ProviderEvent, order: Order) -> str:
    refunds = list(Refund.objects.select_for_update().filter(payment=payment).order_by("id"))
    by_reference = {r.provider_reference: r for r in refunds if r.provider_reference}
    by_id = {str(r.pk): r for r in refunds}
    notes: list[str] = []
    if event.refunds:
        for line in event.refunds:
            refund = by_reference.get(line.reference) or (
                by_id.get(line.local_id) if line.local_id in by_id else None
            )
            if refund is not None:
                if not refund.provider_reference:
                    refund.provider_reference = line.reference
                if refund.status != line.status and domain.refund_can_move(refund.status, line.status):
                    refund_move(refund, line.status, order, provider=payment.provider, actor=None)
                else:
                    refund.save()
            elif line.status == RefundStatus.SUCCEEDED:
                created = Refund.objects.create(
                    order_id=payment.order_id,
                    payment=payment,
                    amount=line.amount,
                    currency=payment.currency,
                    provider_reference=line.reference,
                    status=RefundStatus.SUCCEEDED,
                    reason="refunded in Stripe",
                    confirmed_at=timezone.now(),
                )
                refund_created(created, order, provider=payment.provider, actor=None)
                notes.append(f"new refund {line.reference}")
        return "; ".join(notes)
    # Without the refund list: what Stripe says was refunded closes our processing refunds in order.
    done = sum((r.amount for r in refunds if r.status == RefundStatus.SUCCEEDED), ZERO)
    for refund in refunds:
        if refund.status == RefundStatus.PROCESSING and done + refund.amount <= event.amount_refunded:
            refund_move(refund, RefundStatus.SUCCEEDED, order, provider=payment.provider, actor=None)
            done += refund.amount
    if event.amount_refunded > done:
        charge_id = str((event.payload.get("data") or {}).get("object", {}).get("id") or "charge")
        created = Refund.objects.create(
            order_id=payment.order_id,
            payment=payment,
            amount=event.amount_refunded - done,
            currency=payment.currency,
            provider_reference=f"{charge_id}:{event.amount_refunded}",
            status=RefundStatus.SUCCEEDED,
            reason="refunded in Stripe",
            confirmed_at=timezone.now(),
        )
        refund_created(created, order, provider=payment.provider, actor=None)
        notes.append("refund made in Stripe recorded")
    return "; ".join(notes)


# --- Cash on delivery and bank transfers ---------------------------------------------------------------


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


# --- Refunds ------------------------------------------------------------------------------------------


def _plan_refunds(order: Order, *, amount: Decimal, reason: str, actor: Actor, confirm: bool) -> list[Refund]:
    """Refund rows for `amount` over the locked order's captured payments (card first)."""
    payments = list(
        Payment.objects.select_for_update().filter(order=order, status=PaymentStatus.CAPTURED).order_by("id")
    )
    held: dict[int, Decimal] = {}
    for refund in Refund.objects.filter(order=order, status__in=domain.OPEN_OR_DONE_REFUNDS):
        held[refund.payment_id] = held.get(refund.payment_id, ZERO) + refund.amount
    refundable = [
        domain.Refundable(
            payment_id=p.pk,
            remaining=p.captured_amount - held.get(p.pk, ZERO),
            automatic=provider_for(p.provider).refunds_automatically,
        )
        for p in payments
    ]
    try:
        parts = domain.split_refund(amount, refundable)
    except ValueError:
        total = sum((r.remaining for r in refundable), ZERO)
        raise AmountTooLarge(details={"amount": str(max(total, ZERO))}) from None
    automatic = {r.payment_id for r in refundable if r.automatic}
    providers = {p.pk: p.provider for p in payments}
    now = timezone.now()
    rows = []
    for payment_id, part in parts:
        sent = confirm and payment_id in automatic
        rows.append(
            Refund.objects.create(
                order=order,
                payment_id=payment_id,
                amount=part,
                currency=order.currency,
                status=RefundStatus.PROCESSING if sent else RefundStatus.PENDING,
                reason=reason[:255],
                requested_by_id=_actor_id(actor),
                confirmed_by_id=_actor_id(actor) if sent else None,
                confirmed_at=now if sent else None,
            )
        )
        refund_created(rows[-1], order, provider=providers[payment_id], actor=actor)
        if sent:  # the outbox: sent after commit by the caller, or by the task should the caller die
            enqueue_with_transaction(tasks.send_refund, refund_id=rows[-1].pk)
    return rows


def refund_request(
    *, order_id: int, amount: object, reason: str, actor: Actor, confirm: bool = True
) -> list[Refund]:
    """Step 1 of a refund (committed before any provider call). Card money goes back through the provider
    when `confirm` (staff asked for it); other money is to be paid back by bank transfer: the refund waits
    for staff to confirm they did (`refund_confirm`)."""
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise InvalidInput(details={"reason": _("A reason is required.")})
    with transaction.atomic():
        order = _lock_order(order_id)
        value = _amount(amount, order.currency)
        rows = _plan_refunds(order, amount=value, reason=reason, actor=actor, confirm=confirm)
        _sync(order, actor=actor, reason="refund_requested")
        return rows


def refund_send(*, refund_id: int) -> Refund:
    """Step 2 and 3: send a confirmed card refund to the provider, then record its answer. Safe to repeat
    (the provider's idempotency key is the refund id); does nothing for a refund already sent."""
    refund = Refund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None:
        raise RefundNotFound()
    if refund.status != RefundStatus.PROCESSING or refund.provider_reference:
        return refund
    provider_code = refund.payment.provider
    provider = provider_for(provider_code)
    try:
        result = provider.refund(
            reference=refund.payment.provider_reference,
            amount=refund.money,
            idempotency_key=f"orderloop-refund-{refund.pk}",
            reason=refund.reason,
            metadata={"refund_id": str(refund.pk)},
        )
        status, reference, failure = result.status, result.reference, result.failure_message
    except ProviderDeclined as exc:
        status, reference, failure = RefundStatus.FAILED, "", exc.message
    with transaction.atomic():
        order = _lock_order(refund.order_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if reference and not refund.provider_reference:
            refund.provider_reference = reference
        refund.failure_message = (failure or "")[:500]
        if refund.status != status and domain.refund_can_move(refund.status, status):
            refund_move(refund, status, order, provider=provider_code, actor=None)
        else:
            refund.save()
        _sync(order, actor=None, reason="refund")
        return refund


def refund_create(*, order_id: int, amount: object, reason: str, actor: Actor) -> list[Refund]:
    """Refund money to the customer: card parts go to Stripe now, the rest waits as bank transfers to make."""
    rows = refund_request(order_id=order_id, amount=amount, reason=reason, actor=actor, confirm=True)
    return [refund_send(refund_id=row.pk) for row in rows]


def refund_confirm(*, refund_id: int, actor: Actor, reference: str = "") -> Refund:
    """Staff confirm a refund that awaits them: a card refund goes to the provider; a bank refund is marked
    paid (`reference`: the transfer's)."""
    with transaction.atomic():
        order_id = Refund.objects.filter(pk=refund_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise RefundNotFound()
        order = _lock_order(order_id)
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != RefundStatus.PENDING:
            raise RefundNotPending(details={"status": refund.status})
        automatic = provider_for(refund.payment.provider).refunds_automatically
        refund.confirmed_by_id = _actor_id(actor)
        refund.confirmed_at = timezone.now()
        if automatic:
            refund_move(refund, RefundStatus.PROCESSING, order, provider=refund.payment.provider, actor=actor)
            enqueue_with_transaction(tasks.send_refund, refund_id=refund.pk)
        else:
            refund.provider_reference = (reference or "").strip()[:255]
            refund_move(refund, RefundStatus.SUCCEEDED, order, provider=refund.payment.provider, actor=actor)
        _sync(order, actor=actor, reason="refund_confirmed")
    return refund_send(refund_id=refund_id) if automatic else refund


def refund_cancel(*, refund_id: int, actor: Actor) -> Refund:
    """Drop a refund that still awaits confirmation (e.g. the customer kept the difference as credit)."""
    with transaction.atomic():
        order_id = Refund.objects.filter(pk=refund_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise RefundNotFound()
        order = _lock_order(order_id)
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != RefundStatus.PENDING:
            raise RefundNotPending(details={"status": refund.status})
        refund.confirmed_by_id = _actor_id(actor)
        refund.confirmed_at = timezone.now()
        refund_move(refund, RefundStatus.CANCELLED, order, provider=refund.payment.provider, actor=actor)
        _sync(order, actor=actor, reason="refund_cancelled")
        return refund


# --- After an order edit ------------------------------------------------------------------------------


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


# --- Invoices -----------------------------------------------------------------------------------------


def _next_invoice_sequence(year: int) -> int:
    """The next sequence of the year without gaps, inside the issuing transaction (core/sequences.py)."""
    return next_in_sequence(InvoiceCounter, key_field="year", key=year)


INVOICED_KINDS = frozenset({PaymentKind.BANK_TRANSFER, PaymentKind.PREPAYMENT})


def invoice_issue(*, order_id: int, actor: Actor) -> Invoice:
    """The order's invoice for a bank transfer (issued once; asking again returns it). The amount due is
    what the customer must transfer now: everything, or the prepayment of a prepayment order."""
    with transaction.atomic():
        order = _lock_order(order_id)
        existing = Invoice.objects.filter(order=order).order_by("-id").first()
        if existing is not None:
            return existing
        if order.payment_method.kind not in INVOICED_KINDS:
            raise WrongPaymentMethod(details={"payment_method": order.payment_method.code})
        _check_open(order)
        state = _sync(order, actor=actor, reason="invoice_issued")
        sums = selectors.payment_sums(order)
        due = domain.amount_due_now(
            kind=order.payment_method.kind, sums=sums, prepayment=selectors.prepayment_for(order)
        )
        if due <= 0:
            raise NothingDue()
        now = timezone.now()
        year = timezone.localdate(now).year
        sequence = _next_invoice_sequence(year)
        lines: list[dict[str, Any]] = [
            {
                "position": line.position,
                "sku": line.sku,
                "name": line.name,
                "attributes": line.attributes,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price_amount),
                "total": str(line.unit_price_amount * line.quantity),
            }
            for line in order.lines.order_by("position")
        ]
        return Invoice.objects.create(
            number=domain.invoice_number(year, sequence),
            year=year,
            sequence=sequence,
            order=order,
            order_number=order.number,
            payment_reference=state.payment_reference,
            language=order.customer_language,
            issued_at=now,
            due_date=timezone.localdate(now)
            + timedelta(days=int(settings.ORDERLOOP.get("INVOICE_DUE_DAYS", 7))),
            currency=order.currency,
            subtotal_amount=order.subtotal_amount,
            discount_amount=order.discount_amount,
            delivery_amount=order.delivery_amount,
            total_amount=order.total_amount,
            amount_due=due,
            lines=lines,
            customer={
                "name": order.customer_name,
                "email": order.customer_email,
                "phone": order.customer_phone,
                "address": [
                    part
                    for part in (
                        order.ship_line1,
                        order.ship_line2,
                        " ".join(p for p in (order.ship_postal_code, order.ship_city) if p),
                        order.ship_region,
                        order.ship_country,
                    )
                    if part
                ],
            },
            seller=selectors.bank_details(),
            issued_by_id=_actor_id(actor),
        )


# --- Bank statements ----------------------------------------------------------------------------------


def _statement_row(row: domain.StatementRow, *, actor: Actor) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "line": row.line,
        "date": row.booked.isoformat() if row.booked else "",
        "amount": str(row.amount) if row.amount is not None else "",
        "currency": row.currency,
        "reference": row.text[:200],
        "transaction_id": row.transaction_id,
        "order": "",
        "outcome": "",
    }
    if row.error or row.amount is None:
        return {**entry, "outcome": "bad_amount"}
    if row.amount <= 0:
        return {**entry, "outcome": "not_incoming"}
    order_id = None
    for reference in domain.find_references(row.text):
        order_id = (
            OrderPaymentState.objects.filter(payment_reference=reference)
            .values_list("order_id", flat=True)
            .first()
            or Order.objects.filter(number=domain.reference_order_number(reference) or "")
            .values_list("id", flat=True)
            .first()
        )
        if order_id is not None:
            entry["reference"] = reference
            break
    if order_id is None:
        return {
            **entry,
            "outcome": "unknown_reference" if domain.find_references(row.text) else "no_reference",
        }
    try:
        with transaction.atomic():
            order = _lock_order(order_id)
            entry["order"] = order.number
            if Payment.objects.filter(
                provider=Provider.BANK_STATEMENT, provider_reference=row.transaction_id
            ).exists():
                return {**entry, "outcome": "duplicate"}
            if row.currency and row.currency != order.currency:
                return {**entry, "outcome": "currency_mismatch", "expected": order.currency}
            sums = selectors.payment_sums(order)
            due = domain.amount_due_now(
                kind=order.payment_method.kind, sums=sums, prepayment=selectors.prepayment_for(order)
            )
            amount = Money.of(row.amount, order.currency).amount
            if amount not in {due, sums.outstanding} or amount <= 0:
                return {**entry, "outcome": "amount_mismatch", "expected": str(due or sums.outstanding)}
            payment = _record_captured(
                order,
                kind=PaymentKind.BANK_TRANSFER,
                provider=Provider.BANK_STATEMENT,
                amount=amount,
                reference=row.transaction_id,
                actor=actor,
            )
            _sync(order, actor=actor, reason="bank_statement")
            return {**entry, "outcome": "matched", "payment": payment.pk}
    except IntegrityError:
        return {**entry, "outcome": "duplicate"}


def bank_statement_import(*, file_name: str, content: str, actor: Actor) -> BankStatementImport:
    """Record the transfers of a bank statement CSV that name a payment reference and pay what is due;
    every other row is reported (no reference, unknown reference, amount mismatch, duplicate, ...).
    Each matched row commits on its own, so importing the same statement again records nothing twice."""
    try:
        rows = domain.parse_statement(content)
    except domain.StatementError as exc:
        raise StatementInvalid(
            details={"file": _("Missing columns: %(columns)s.") % {"columns": str(exc)}}
        ) from None
    report = [_statement_row(row, actor=actor) for row in rows]
    matched = sum(1 for entry in report if entry["outcome"] == "matched")
    with transaction.atomic():
        return BankStatementImport.objects.create(
            file_name=(file_name or "statement.csv")[:255],
            uploaded_by_id=_actor_id(actor),
            rows_total=len(report),
            rows_matched=matched,
            rows_unmatched=len(report) - matched,
            report=report,
        )
