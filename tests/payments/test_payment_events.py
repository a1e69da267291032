"""Every status a payment or refund reaches is a domain event written with the change (payment.*,
refund.*): the type, `from` → `to`, the money as decimal strings, the order, and who did it; nothing for
a refused change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from orderloop.core import events
from orderloop.core.models import DomainEvent
from orderloop.payments import services
from orderloop.payments.errors import InvalidPaymentTransition, RefundNotPending
from orderloop.payments.models import Payment, PaymentStatus, Refund, RefundStatus

from .conftest import event, post_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def _card_intent(fake_stripe: Any, make_order: Callable[..., Any]) -> str:
    order = make_order("card", confirm=True)
    return services.card_intent_create(order_id=order.pk, actor=None).payment.provider_reference


def _webhook(kind: str, intent: dict[str, Any], event_id: str) -> None:
    assert post_webhook(Client(), event(kind, intent, event_id=event_id)).status_code == 200


def _paid_by_card(fake_stripe: Any, make_order: Callable[..., Any]) -> Any:
    reference = _card_intent(fake_stripe, make_order)
    _webhook("payment_intent.succeeded", fake_stripe.confirm(reference), "evt_paid")
    return Payment.objects.get(provider_reference=reference).order


def _paid_by_transfer(make_order: Callable[..., Any], staff: Any) -> Any:
    order = make_order("bank_transfer", confirm=True)
    services.payment_record_transfer(order_id=order.pk, amount="220.00", reference="IN-1", actor=staff)
    return order


# Each scenario makes its subject reach one status and returns (subject type, id, expected `from`).


def _pending(fake_stripe, make_order, staff, settings):
    payment = services.card_payment_start(order_id=make_order("card", confirm=True).pk, actor=staff)
    return "payment", payment.pk, ""


def _authorized(fake_stripe, make_order, staff, settings):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "STRIPE_CAPTURE_METHOD": "manual"}
    reference = _card_intent(fake_stripe, make_order)
    _webhook("payment_intent.amount_capturable_updated", fake_stripe.confirm(reference), "evt_a")
    return "payment", Payment.objects.get(provider_reference=reference).pk, "pending"


def _captured(fake_stripe, make_order, staff, settings):
    order = _paid_by_transfer(make_order, staff)  # staff saw the transfer: created captured
    return "payment", order.payments.get().pk, ""


def _failed(fake_stripe, make_order, staff, settings):
    reference = _card_intent(fake_stripe, make_order)
    _webhook("payment_intent.payment_failed", fake_stripe.confirm(reference, "failed"), "evt_f")
    return "payment", Payment.objects.get(provider_reference=reference).pk, "pending"


def _cancelled(fake_stripe, make_order, staff, settings):
    reference = _card_intent(fake_stripe, make_order)
    _webhook("payment_intent.canceled", {**fake_stripe.intents[reference], "status": "canceled"}, "evt_c")
    return "payment", Payment.objects.get(provider_reference=reference).pk, "pending"


def _refund_pending(fake_stripe, make_order, staff, settings):
    order = _paid_by_transfer(make_order, staff)
    (refund,) = services.refund_request(order_id=order.pk, amount="20.00", reason="Damaged box", actor=staff)
    return "refund", refund.pk, ""


def _refund_processing(fake_stripe, make_order, staff, settings):
    order = _paid_by_card(fake_stripe, make_order)
    fake_stripe.refund_status = "pending"  # Stripe took it, the bank has not paid it yet
    (refund,) = services.refund_create(order_id=order.pk, amount="20.00", reason="Late", actor=staff)
    return "refund", refund.pk, ""


def _refund_succeeded(fake_stripe, make_order, staff, settings):
    order = _paid_by_transfer(make_order, staff)
    (refund,) = services.refund_request(order_id=order.pk, amount="20.00", reason="Damaged box", actor=staff)
    services.refund_confirm(refund_id=refund.pk, actor=staff, reference="OUT-7")
    return "refund", refund.pk, "pending"


def _refund_failed(fake_stripe, make_order, staff, settings):
    order = _paid_by_card(fake_stripe, make_order)
    fake_stripe.refund_status = "failed"
    (refund,) = services.refund_create(order_id=order.pk, amount="20.00", reason="Late", actor=staff)
    return "refund", refund.pk, "processing"


def _refund_cancelled(fake_stripe, make_order, staff, settings):
    order = _paid_by_transfer(make_order, staff)
    (refund,) = services.refund_request(
        order_id=order.pk, amount="20.00", reason="Kept as credit", actor=staff
    )
    services.refund_cancel(refund_id=refund.pk, actor=staff)
    return "refund", refund.pk, "pending"


SCENARIOS = {
    "payment.pending": _pending,
    "payment.authorized": _authorized,
    "payment.captured": _captured,
    "payment.failed": _failed,
    "payment.cancelled": _cancelled,
    "refund.pending": _refund_pending,
    "refund.processing": _refund_processing,
    "refund.succeeded": _refund_succeeded,
    "refund.failed": _refund_failed,
    "refund.cancelled": _refund_cancelled,
}


def test_every_payment_and_refund_type_has_a_scenario() -> None:
    declared = {name for name in events.catalogue() if name.split(".")[0] in {"payment", "refund"}}
    assert declared == set(SCENARIOS)


@pytest.mark.parametrize("event_type", sorted(SCENARIOS))
def test_the_status_change_is_an_event(event_type, fake_stripe, make_order, make_staff, settings) -> None:
    staff = make_staff("Manager")
    subject_type, subject_id, from_status = SCENARIOS[event_type](fake_stripe, make_order, staff, settings)
    status = event_type.split(".")[1]
    row = (
        (Payment if subject_type == "payment" else Refund).objects.select_related("order").get(pk=subject_id)
    )
    assert row.status == status
    last = events.events_of(subject_type, subject_id)[-1]
    assert last.type == event_type
    assert (last.data["from"], last.data["to"]) == (from_status, status)
    assert last.data["order_number"] == row.order.number and last.data["order_id"] == row.order_id
    assert last.data["amount"] == {"amount": str(row.amount), "currency": row.currency}
    # The staff member who did it, or the system for the provider's answers and webhooks.
    by_provider = from_status != "" and event_type not in {"refund.succeeded", "refund.cancelled"}
    if by_provider or event_type in {"payment.authorized", "payment.failed", "payment.cancelled"}:
        assert (last.actor_kind, last.actor_id) == ("system", None)
    else:
        assert (last.actor_kind, last.actor_id) == ("staff", staff.pk)


def test_a_failed_payment_names_the_reason(fake_stripe, make_order) -> None:
    reference = _card_intent(fake_stripe, make_order)
    _webhook("payment_intent.payment_failed", fake_stripe.confirm(reference, "failed"), "evt_f")
    (failed,) = DomainEvent.objects.filter(type="payment.failed")
    assert "insufficient funds" in failed.data["failure_message"]


def test_a_refused_change_writes_no_event(fake_stripe, make_order, make_staff) -> None:
    staff = make_staff("Manager")
    order = _paid_by_transfer(make_order, staff)
    (refund,) = services.refund_request(order_id=order.pk, amount="20.00", reason="Damaged box", actor=staff)
    services.refund_cancel(refund_id=refund.pk, actor=staff)
    before = DomainEvent.objects.count()
    with pytest.raises(RefundNotPending):
        services.refund_confirm(refund_id=refund.pk, actor=staff)
    with pytest.raises(InvalidPaymentTransition):
        services.payment_capture(payment_id=order.payments.get().pk, actor=staff)
    assert DomainEvent.objects.count() == before
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.CANCELLED
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
