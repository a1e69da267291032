"""POST /api/v1/payments/orders/{number}/intents against the fake Stripe server."""

from __future__ import annotations

import pytest

from orderloop.payments.models import Payment

pytestmark = pytest.mark.django_db(transaction=True)


def test_intent_endpoint_returns_the_client_secret_and_replays_by_key(api_client, fake_stripe, make_order):
    manager = api_client("Manager")
    order = make_order("card")
    url = f"/api/v1/payments/orders/{order.number}/intents"

    first = manager.post(url, headers={"Idempotency-Key": "intent-1"})
    again = manager.post(url, headers={"Idempotency-Key": "intent-1"})

    assert first.status_code == 201, first.json()
    data = first.json()
    assert data["amount"] == {"amount": "220.00", "currency": "UAH"}
    assert data["client_secret"].startswith(data["intent_id"] + "_secret_")
    assert data["status"] == "pending"
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == data
    assert len(fake_stripe.calls("POST", "/v1/payment_intents")) == 1
    assert Payment.objects.count() == 1


def test_stripe_unreachable_is_a_502(api_client, fake_stripe, make_order):
    manager = api_client("Manager")
    order = make_order("card")
    fake_stripe.fail_next.append((500, {"error": {"type": "api_error", "message": "down"}}))
    response = manager.post(f"/api/v1/payments/orders/{order.number}/intents")
    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error"
