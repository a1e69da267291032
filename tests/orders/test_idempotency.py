"""Idempotency-Key on POST /api/v1/orders: replay, reuse with another body, refused requests."""

from __future__ import annotations

import json

import pytest

from orderloop.core.idempotency import fingerprint
from orderloop.core.models import IdempotencyKey
from orderloop.inventory.models import StockLevel
from orderloop.orders.models import Order

from .helpers import payload

pytestmark = pytest.mark.usefixtures("methods")

URL = "/api/v1/orders"


def post(client, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(URL, data=json.dumps(body), content_type="application/json", headers=headers)


def test_fingerprint_ignores_key_order_and_whitespace():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint(json.loads('{ "b": [1, 2],  "a": 1 }'))
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_same_key_and_body_returns_the_first_answer(api_client, stocked):
    stocked("TEE", 5)
    client = api_client("Manager")
    first = post(client, payload(("TEE", 1)), key="k-1")
    again = post(client, payload(("TEE", 1)), key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"] == f"/api/v1/orders/{first.json()['number']}"
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert StockLevel.objects.get().reserved == 1


def test_same_key_with_another_body_is_409(api_client, stocked):
    stocked("TEE", 5)
    client = api_client("Manager")
    assert post(client, payload(("TEE", 1)), key="k-2").status_code == 201
    response = post(client, payload(("TEE", 2)), key="k-2")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_keys_are_per_user_and_requests_without_keys_are_not_deduplicated(api_client, stocked):
    stocked("TEE", 5)
    assert post(api_client("Manager"), payload(("TEE", 1)), key="shared").status_code == 201
    assert post(api_client("Admin"), payload(("TEE", 1)), key="shared").status_code == 201
    client = api_client("Manager")
    assert post(client, payload(("TEE", 1))).status_code == 201
    assert post(client, payload(("TEE", 1))).status_code == 201
    assert Order.objects.count() == 4


def test_a_refused_request_leaves_no_key_and_can_be_retried(api_client, stocked):
    variant = stocked("TEE", 1)
    client = api_client("Manager")
    assert post(client, payload(("TEE", 2)), key="k-3").status_code == 409
    assert not IdempotencyKey.objects.exists()
    from orderloop.inventory.services import stock_adjust

    stock_adjust(variant=variant, warehouse=StockLevel.objects.get().warehouse, delta=1, actor=None)
    assert post(client, payload(("TEE", 2)), key="k-3").status_code == 201


def test_a_malformed_key_is_422(api_client, stocked):
    stocked("TEE", 5)
    response = post(api_client("Manager"), payload(("TEE", 1)), key="x" * 300)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["details"]
