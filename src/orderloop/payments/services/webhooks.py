"""Stripe's webhooks: verified, logged once per event id, applied to payments and refunds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from orderloop.orders.models import Order

from .. import domain
from ..adapters.base import ProviderEvent
from ..adapters.stripe_card import StripeCardProvider
from ..models import Payment, Provider, Refund, RefundStatus, WebhookEvent, WebhookOutcome
from ..transitions import refund_created, refund_move
from .common import ZERO, _lock_order, _set_status, _sync, logger


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
