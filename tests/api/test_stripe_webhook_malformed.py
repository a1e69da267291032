"""A webhook correctly signed with the shop's Stripe secret but whose body is not an event as Stripe
sends it is refused with 400 `webhook_payload_invalid` and changes nothing. It was a 500, which Stripe
reads as our failure and retries for days."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from django.test import Client

from orderloop.payments.models import WebhookEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/stripe/webhook"
SECRET = "whsec_malformed_tests"


@pytest.fixture(autouse=True)
def webhook_secret(settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "STRIPE_WEBHOOK_SECRET": SECRET}


def post_signed(body: str) -> Any:
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    return Client().post(
        URL, data=body, content_type="application/json", headers={"Stripe-Signature": header}
    )


def intent_event(**intent: Any) -> dict[str, Any]:
    return {
        "id": "evt_malformed_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "currency": "uah", **intent}},
    }


MALFORMED = {
    "a list": [],
    "a string": "payment_intent.succeeded",
    "data not an object": {"id": "evt_1", "type": "payment_intent.succeeded", "data": "pi_1"},
    "object not an object": {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": [1]}},
    "amount not a number": intent_event(amount="lots"),
    "amount too large": intent_event(amount=10**20),
    "metadata not an object": intent_event(amount=100, metadata="payment 7"),
    "currency not a code": intent_event(amount=100, currency={"code": "uah"}),
    "refund amount not a number": {
        "id": "evt_2",
        "type": "charge.refunded",
        "data": {"object": {"currency": "uah", "refunds": {"data": [{"id": "re_1", "amount": "x"}]}}},
    },
    "refunds not a list": {
        "id": "evt_3",
        "type": "charge.refunded",
        "data": {"object": {"currency": "uah", "refunds": {"data": "re_1"}}},
    },
    "no event id": {"type": "payment_intent.succeeded", "data": {"object": {}}},
    "event id too long": {**intent_event(amount=100), "id": "evt_" + "x" * 300},
    "type too long": {**intent_event(amount=100), "type": "payment_intent." + "x" * 200},
}


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_signed_malformed_event_is_a_400_and_changes_nothing(payload: Any) -> None:
    response = post_signed(json.dumps(payload))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "webhook_payload_invalid"
    assert set(body) == {"code", "message", "details"}
    assert not WebhookEvent.objects.exists()


def test_a_signed_body_that_is_not_json_is_a_400() -> None:
    response = post_signed("event=payment_intent.succeeded")
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_payload_invalid"


def test_a_bad_signature_is_still_invalid_signature() -> None:
    body = json.dumps(intent_event(amount=100))
    header = stripe.WebhookSignature.generate_signature_header(body, "whsec_someone_else")
    response = Client().post(
        URL, data=body, content_type="application/json", headers={"Stripe-Signature": header}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"


def test_a_well_formed_event_for_an_unknown_intent_is_still_accepted() -> None:
    response = post_signed(json.dumps(intent_event(amount=100, status="succeeded")))
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "outcome": "ignored_unknown"}
    assert WebhookEvent.objects.get().event_id == "evt_malformed_1"
