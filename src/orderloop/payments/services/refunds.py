"""Refunds: requested (committed before any provider call), sent, confirmed by staff or cancelled."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.orders.models import Order
from orderloop.orders.services import Actor

from .. import domain, tasks
from ..adapters import provider_for
from ..errors import AmountTooLarge, ProviderDeclined, RefundNotFound, RefundNotPending
from ..models import Payment, PaymentStatus, Refund, RefundStatus
from ..transitions import refund_created, refund_move
from .common import ZERO, _amount, _lock_order, _sync


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
