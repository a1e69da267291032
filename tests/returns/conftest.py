"""Fixtures of the returns tests: delivered orders (placed, walked through the statuses with
order_transition, their units taken out of stock at handover, paid), and the fake Stripe server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from orderloop.catalog.models import Category, Variant
from orderloop.orders import locks as order_locks
from orderloop.orders import services as order_services
from orderloop.orders.models import Order, OrderEvent, OrderStatus
from orderloop.orders.shipout import order_lines_ship_out
from orderloop.payments import services as payment_services
from orderloop.payments.models import Payment
from tests.orders.conftest import methods, stocked  # noqa: F401  (fixtures)
from tests.orders.helpers import place
from tests.payments.fake_stripe import FakeStripe

S = OrderStatus
NEXT = {
    S.NEW: S.CONFIRMED,
    S.CONFIRMED: S.PICKING,
    S.PAID: S.PICKING,
    S.PICKING: S.PACKED,
    S.PACKED: S.SHIPPED,
    S.SHIPPED: S.DELIVERED,
}


def ship(order: Order, *, until: str = S.SHIPPED) -> Order:
    """Walk the order to `until` (shipped units leave stock at the handover)."""
    order = Order.objects.get(pk=order.pk)
    if order.risk_flags and order.risk_reviewed_at is None:
        # Test data: repeated orders from one phone are flagged as duplicates; a manager waved them on.
        Order.objects.filter(pk=order.pk).update(risk_reviewed_at=timezone.now())
        order = Order.objects.get(pk=order.pk)
    while order.status != until:
        to = NEXT[order.status]
        order = order_services.order_transition(order_id=order.pk, to=to, actor=None)
        if to == S.SHIPPED:
            with transaction.atomic():
                order_lines_ship_out(order=order_locks.order_for_update(order.pk), actor=None)
    return order


def deliver(order: Order, *, days_ago: int = 0) -> Order:
    order = ship(order, until=S.DELIVERED)
    if order.payment_method.kind == "cod":
        payment_services.payment_record_cod_collected(
            order_id=order.pk, amount=str(order.total_amount), actor=None
        )
    if days_ago:
        OrderEvent.objects.filter(order=order, to_status=S.DELIVERED).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_WEBHOOK_SECRET": "whsec_test",
        "STRIPE_API_BASE": server.url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
        "FREE_GIFT": {},
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_gift(settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "FREE_GIFT": {}}


@pytest.fixture
def shop(methods: None, stocked: Callable[..., Variant]) -> dict[str, Variant]:  # noqa: F811
    """Two tees at 100.00 UAH (10 each) and a pair of earrings (hygiene: not returnable when configured)."""
    jewellery = Category.objects.create(name="Jewellery", slug="jewellery")
    variants = {
        "TEE-S": stocked("TEE-S", 10, price="100.00"),
        "TEE-M": stocked("TEE-M", 10, price="100.00"),
        "EAR-1": stocked("EAR-1", 10, price="300.00"),
    }
    variants["EAR-1"].product.category = jewellery
    variants["EAR-1"].product.save(update_fields=["category"])
    return variants


@pytest.fixture
def delivered(shop: dict[str, Variant]) -> Callable[..., Order]:
    """A delivered order of (sku, quantity) lines, paid by `method` ("cod" collected at the door,
    "bank_transfer" transferred before picking). Door delivery costs 120.00."""

    def make(*lines: tuple[str, int], method: str = "cod", days_ago: int = 0, **overrides: Any) -> Order:
        overrides.setdefault("channel", "phone")
        order = place(*(lines or (("TEE-S", 2),)), payment_method_code=method, **overrides)
        if method == "bank_transfer":
            payment_services.payment_record_transfer(
                order_id=order.pk, amount=str(order.total_amount), actor=None
            )
        return deliver(order, days_ago=days_ago)

    return make


@pytest.fixture
def card_delivered(shop: dict[str, Variant], fake_stripe: FakeStripe) -> Callable[..., Order]:
    """A delivered order paid by card through the fake Stripe."""

    def make(*lines: tuple[str, int], **overrides: Any) -> Order:
        overrides.setdefault("channel", "phone")
        order = place(*(lines or (("TEE-S", 2),)), payment_method_code="card", **overrides)
        intent = payment_services.card_intent_create(order_id=order.pk, actor=None)
        fake_stripe.confirm(intent.payment.provider_reference)
        payment_services.card_payment_refresh(payment_id=intent.payment.pk)
        assert Payment.objects.get(pk=intent.payment.pk).status == "captured"
        return deliver(order)

    return make
