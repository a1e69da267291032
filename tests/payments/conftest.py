"""Fixtures of the payments tests: seeded methods, stocked variants, orders per payment method, and a
fake Stripe server the real SDK talks to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from orderloop.orders import services as order_services
from orderloop.orders.models import Order
from tests.orders.conftest import methods, stocked  # noqa: F401  (fixtures)
from tests.orders.helpers import place

from .fake_stripe import FakeStripe, event, sign

WEBHOOK_SECRET = "whsec_test_secret"
WEBHOOK_URL = "/api/v1/payments/stripe/webhook"


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": server.url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_order(methods: None, stocked: Callable[..., Any]) -> Callable[..., Order]:  # noqa: F811
    """An order of one 100.00 UAH item + 120.00 door delivery = 220.00, paid by `method`."""
    counter = {"n": 0}

    def make(method: str = "cod", *, quantity: int = 1, confirm: bool = False, **overrides: Any) -> Order:
        counter["n"] += 1
        sku = f"PAY-{counter['n']}"
        stocked(sku, 50, price="100.00")
        # Entered by staff: the invoice is theirs to issue (web-shop orders get one at placement).
        overrides.setdefault("channel", "phone")
        order = place((sku, quantity), payment_method_code=method, **overrides)
        if confirm:
            order_services.order_confirm(order_id=order.pk, actor=None)
        return Order.objects.get(pk=order.pk)

    return make


def post_webhook(
    client: Client, payload: dict[str, Any], *, secret: str = WEBHOOK_SECRET, signature: str | None = None
):
    body = json.dumps(payload)
    header = signature if signature is not None else sign(body, secret)
    return client.post(
        WEBHOOK_URL, data=body, content_type="application/json", headers={"Stripe-Signature": header}
    )


__all__ = ["event", "post_webhook"]
