"""Card payments through the real `stripe` SDK against the local fake Stripe server, and webhooks signed
with the SDK's own signing code. Transactional tests: the adapter refuses to call Stripe inside a
database transaction, and these tests prove the services never do."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from orderloop.orders.models import OrderEvent, OrderStatus
from orderloop.payments import services
from orderloop.payments.errors import ProviderError
from orderloop.payments.models import (
    OrderPaymentState,
    Payment,
    PaymentState,
    PaymentStatus,
    Refund,
    RefundStatus,
    WebhookEvent,
    WebhookOutcome,
)

from .conftest import event, post_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_intent_is_created_in_minor_units_with_an_idempotency_key(fake_stripe, make_order):
    order = make_order("card")
    intent = services.card_intent_create(order_id=order.pk, actor=None)

    (call,) = fake_stripe.calls("POST", "/v1/payment_intents")
    assert call.params["amount"] == "22000"  # 220.00 UAH
    assert call.params["currency"] == "uah"
    assert call.params["capture_method"] == "automatic"
    assert call.params["metadata[order_number]"] == order.number
    assert call.params["metadata[payment_id]"] == str(intent.payment.pk)
    assert call.headers["Idempotency-Key"] == f"orderloop-payment-{intent.payment.pk}"
    assert intent.client_secret.startswith(intent.payment.provider_reference + "_secret_")
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.provider_reference) == (
        PaymentStatus.PENDING,
        Decimal("220.00"),
        intent.payment.provider_reference,
    )


def test_asking_again_reuses_the_open_intent(fake_stripe, make_order):
    order = make_order("card")
    first = services.card_intent_create(order_id=order.pk, actor=None)
    second = services.card_intent_create(order_id=order.pk, actor=None)
    assert first.payment.pk == second.payment.pk
    assert first.client_secret == second.client_secret
    assert len(fake_stripe.calls("POST", "/v1/payment_intents")) == 1
    assert len(fake_stripe.calls("GET", "/v1/payment_intents/")) == 1


def test_succeeded_webhook_marks_the_order_paid_through_the_transition(fake_stripe, make_order):
    order = make_order("card")
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    confirmed = fake_stripe.confirm(intent.payment.provider_reference)

    response = post_webhook(Client(), event("payment_intent.succeeded", confirmed, event_id="evt_ok_1"))

    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "outcome": "processed"}
    payment = Payment.objects.get()
    assert (payment.status, payment.captured_amount) == (PaymentStatus.CAPTURED, Decimal("220.00"))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    move = OrderEvent.objects.get(order=order, to_status=OrderStatus.PAID)
    assert (move.from_status, move.reason) == (OrderStatus.NEW, "stripe:payment_intent.succeeded")
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.PAID
    logged = WebhookEvent.objects.get(event_id="evt_ok_1")
    assert (logged.outcome, logged.payment_id, logged.type) == (
        WebhookOutcome.PROCESSED,
        payment.pk,
        "payment_intent.succeeded",
    )
    assert logged.processed_at is not None


def test_bad_signature_is_400_and_changes_nothing(fake_stripe, make_order):
    order = make_order("card")
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    confirmed = fake_stripe.confirm(intent.payment.provider_reference)
    payload = event("payment_intent.succeeded", confirmed, event_id="evt_forged")

    forged = post_webhook(Client(), payload, secret="whsec_someone_else")
    garbage = post_webhook(Client(), payload, signature="t=1,v1=deadbeef")
    missing = post_webhook(Client(), payload, signature="")

    for response in (forged, garbage, missing):
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.PENDING
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW


def test_tampered_body_with_a_valid_old_signature_is_refused(fake_stripe, make_order):
    order = make_order("card")
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    confirmed = fake_stripe.confirm(intent.payment.provider_reference)
    from .fake_stripe import sign

    genuine = json.dumps(event("payment_intent.payment_failed", confirmed, event_id="evt_x"))
    header = sign(genuine, "whsec_test_secret")
    tampered = genuine.replace("payment_intent.payment_failed", "payment_intent.succeeded")
    response = Client().post(
        "/api/v1/payments/stripe/webhook",
        data=tampered,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    assert response.status_code == 400
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_replayed_event_is_ignored_and_counted(fake_stripe, make_order):
    order = make_order("card")
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    payload = event(
        "payment_intent.succeeded",
        fake_stripe.confirm(intent.payment.provider_reference),
        event_id="evt_replay",
    )
    assert post_webhook(Client(), payload).json()["outcome"] == "processed"
    events_before = OrderEvent.objects.count()

    again = post_webhook(Client(), payload)

    assert again.status_code == 200
    assert again.json()["outcome"] == "ignored_replay"
    logged = WebhookEvent.objects.get(event_id="evt_replay")
    assert logged.deliveries == 2
    assert OrderEvent.objects.count() == events_before
    assert Payment.objects.count() == 1


def test_event_for_an_unknown_intent_is_ignored_and_logged(fake_stripe, make_order):
    order = make_order("card")
    stranger = {
        "id": "pi_not_ours",
        "object": "payment_intent",
        "amount": 5000,
        "amount_received": 5000,
        "currency": "uah",
        "status": "succeeded",
        "metadata": {},
    }
    response = post_webhook(Client(), event("payment_intent.succeeded", stranger, event_id="evt_stranger"))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored_unknown"
    logged = WebhookEvent.objects.get(event_id="evt_stranger")
    assert logged.outcome == WebhookOutcome.IGNORED_UNKNOWN
    assert "pi_not_ours" in logged.message
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW


def test_unhandled_event_type_is_logged_as_ignored(fake_stripe):
    response = post_webhook(Client(), event("customer.created", {"id": "cus_1"}, event_id="evt_cus"))
    assert response.json()["outcome"] == "ignored_type"
    assert WebhookEvent.objects.get(event_id="evt_cus").outcome == WebhookOutcome.IGNORED_TYPE


def test_failed_payment_then_success_on_the_same_intent(fake_stripe, make_order):
    order = make_order("card", confirm=True)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    reference = intent.payment.provider_reference

    failed = fake_stripe.confirm(reference, "failed")
    post_webhook(Client(), event("payment_intent.payment_failed", failed, event_id="evt_f"))
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    assert "insufficient funds" in payment.failure_message
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT

    # The customer tries another card: the same payment row (and intent) is reused, then succeeds.
    again = services.card_intent_create(order_id=order.pk, actor=None)
    assert again.payment.pk == payment.pk
    post_webhook(
        Client(), event("payment_intent.succeeded", fake_stripe.confirm(reference), event_id="evt_s")
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_stale_failure_after_success_does_not_undo_the_payment(fake_stripe, make_order):
    order = make_order("card")
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    reference = intent.payment.provider_reference
    post_webhook(
        Client(), event("payment_intent.succeeded", fake_stripe.confirm(reference), event_id="evt_1")
    )
    late = {**fake_stripe.intents[reference], "status": "requires_payment_method"}
    response = post_webhook(Client(), event("payment_intent.payment_failed", late, event_id="evt_2"))
    assert response.status_code == 200
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert "stale" in WebhookEvent.objects.get(event_id="evt_2").message


def test_manual_capture_authorizes_then_capture_pays(fake_stripe, make_order, settings):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "STRIPE_CAPTURE_METHOD": "manual"}
    order = make_order("card", confirm=True)
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    assert fake_stripe.calls("POST", "/v1/payment_intents")[0].params["capture_method"] == "manual"
    reference = intent.payment.provider_reference

    authorized = fake_stripe.confirm(reference)
    post_webhook(Client(), event("payment_intent.amount_capturable_updated", authorized, event_id="evt_a"))
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.AUTHORIZED
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT  # authorized money is not paid yet

    captured = services.payment_capture(payment_id=payment.pk, actor=None)
    assert captured.status == PaymentStatus.CAPTURED
    (call,) = fake_stripe.calls("POST", f"/v1/payment_intents/{reference}/capture")
    assert call.headers["Idempotency-Key"] == f"orderloop-capture-{payment.pk}"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    # The succeeded webhook that follows the capture changes nothing more.
    post_webhook(
        Client(), event("payment_intent.succeeded", fake_stripe.intents[reference], event_id="evt_after")
    )
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def _paid_card_order(fake_stripe, make_order):
    order = make_order("card")
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    reference = intent.payment.provider_reference
    post_webhook(
        Client(),
        event("payment_intent.succeeded", fake_stripe.confirm(reference), event_id=f"evt_{reference}"),
    )
    return order, reference


def test_card_refunds_partial_then_full(fake_stripe, make_order):
    order, reference = _paid_card_order(fake_stripe, make_order)

    (partial,) = services.refund_create(order_id=order.pk, amount="20.00", reason="Damaged box", actor=None)
    assert partial.status == RefundStatus.SUCCEEDED
    assert partial.provider_reference.startswith("re_")
    (call,) = fake_stripe.calls("POST", "/v1/refunds")
    assert (call.params["payment_intent"], call.params["amount"]) == (reference, "2000")
    assert call.headers["Idempotency-Key"] == f"orderloop-refund-{partial.pk}"
    assert call.params["metadata[refund_id]"] == str(partial.pk)
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.PARTIALLY_REFUNDED

    (rest,) = services.refund_create(order_id=order.pk, amount="200.00", reason="Cancelled", actor=None)
    assert rest.status == RefundStatus.SUCCEEDED
    state = OrderPaymentState.objects.get(order=order)
    assert (state.state, state.refunded_amount) == (PaymentState.REFUNDED, Decimal("220.00"))


def test_refund_over_what_was_paid_is_refused_without_calling_stripe(fake_stripe, make_order):
    from orderloop.payments.errors import AmountTooLarge

    order, _reference = _paid_card_order(fake_stripe, make_order)
    with pytest.raises(AmountTooLarge):
        services.refund_create(order_id=order.pk, amount="220.01", reason="x", actor=None)
    assert not fake_stripe.calls("POST", "/v1/refunds")
    assert not Refund.objects.exists()


def test_pending_refund_is_finished_by_the_charge_refunded_webhook(fake_stripe, make_order):
    order, reference = _paid_card_order(fake_stripe, make_order)
    fake_stripe.refund_status = "pending"
    (refund,) = services.refund_create(order_id=order.pk, amount="50.00", reason="Late", actor=None)
    assert refund.status == RefundStatus.PROCESSING
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.PAID

    fake_stripe.refunds[refund.provider_reference]["status"] = "succeeded"
    response = post_webhook(
        Client(), event("charge.refunded", fake_stripe.charge(reference), event_id="evt_r")
    )
    assert response.json()["outcome"] == "processed"
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.PARTIALLY_REFUNDED


def test_refund_made_in_the_stripe_dashboard_is_recorded_from_the_webhook(fake_stripe, make_order):
    order, reference = _paid_card_order(fake_stripe, make_order)
    fake_stripe.handle(
        "POST",
        "/v1/refunds",
        {"payment_intent": reference, "amount": "22000"},
        {"Authorization": "Bearer sk_dashboard"},
    )
    post_webhook(Client(), event("charge.refunded", fake_stripe.charge(reference), event_id="evt_dash"))
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.reason) == (
        RefundStatus.SUCCEEDED,
        Decimal("220.00"),
        "refunded in Stripe",
    )
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.REFUNDED


def test_stripe_down_leaves_a_pending_row_and_a_retry_creates_one_intent(fake_stripe, make_order):
    order = make_order("card")
    fake_stripe.fail_next.append((500, {"error": {"type": "api_error", "message": "boom"}}))
    with pytest.raises(ProviderError):
        services.card_intent_create(order_id=order.pk, actor=None)
    payment = Payment.objects.get()
    assert (payment.status, payment.provider_reference) == (PaymentStatus.PENDING, "")

    intent = services.card_intent_create(order_id=order.pk, actor=None)
    assert intent.payment.pk == payment.pk
    assert len(fake_stripe.intents) == 1


def test_stripe_is_never_called_inside_a_transaction(fake_stripe, make_order):
    order = make_order("card")
    with pytest.raises(RuntimeError, match="inside a database transaction"), transaction.atomic():
        services.card_intent_create(order_id=order.pk, actor=None)
    assert not fake_stripe.calls("POST", "/v1/payment_intents")


def test_prepayment_by_card_pays_the_share_then_cod_collects_the_rest(fake_stripe, make_order):
    order = make_order("prepayment", confirm=True)
    intent = services.card_intent_create(order_id=order.pk, actor=None)
    assert intent.payment.amount == Decimal("66.00")  # 30 % of 220.00
    assert fake_stripe.calls("POST", "/v1/payment_intents")[0].params["amount"] == "6600"
    post_webhook(
        Client(),
        event(
            "payment_intent.succeeded",
            fake_stripe.confirm(intent.payment.provider_reference),
            event_id="evt_pp",
        ),
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_PAID
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.PARTIALLY_PAID

    services.payment_record_cod_collected(order_id=order.pk, amount="154.00", actor=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert OrderPaymentState.objects.get(order=order).state == PaymentState.PAID
