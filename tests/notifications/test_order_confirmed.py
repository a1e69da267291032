"""Issue 16: when the shop confirms an order, the customer gets an "order confirmed" email — queued in
the confirming transaction (the outbox), sent once by the task worker to a real SMTP server (aiosmtpd),
in the customer's language, text and HTML, with what they bought and the delivery promise."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from orderloop.notifications.models import CustomerMessage
from orderloop.notifications.tasks import send_customer_message
from orderloop.orders import services
from orderloop.orders.domain import PreferredDelivery
from orderloop.orders.models import Order
from orderloop.orders.promise import delivery_promise, promise_text
from tests.conftest import run_tasks
from tests.orders.conftest import methods, stocked  # noqa: F401  (fixtures)
from tests.orders.helpers import consume_events, customer, place

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRMED = "order_confirmed"


@pytest.fixture
def shop(methods: None, stocked: Any) -> None:  # noqa: F811
    stocked("TEE", 10, price="100.00")


def parts(message: Any) -> tuple[str, str]:
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def confirmed_mail(inbox: Any, order: Order) -> list[Any]:
    first = CustomerMessage.objects.get(order=order, kind="order_confirmation")
    return [m for m in inbox.messages if str(m["Subject"]).strip() != first.subject]


def test_confirming_a_phone_order_emails_the_customer_once_in_their_language(
    shop: None, smtp_server: Any, make_staff: Any
) -> None:
    day = timezone.localdate() + timedelta(days=9)
    order = place(
        ("TEE", 2),
        channel="phone",
        preferred_delivery=PreferredDelivery(date=day, time_from=time(9), time_to=time(12)),
    )
    run_tasks()  # the placement's own confirmation ("thank you for your order")
    assert len(smtp_server.messages) == 1
    assert not CustomerMessage.objects.filter(order=order, kind=CONFIRMED).exists()

    manager = Client()
    manager.force_login(make_staff("Manager", username="maria"))
    assert manager.post(f"/orders/{order.number}/confirm/", {}).status_code == 302
    consume_events()  # notifications react to `order.confirmed`
    message = CustomerMessage.objects.get(order=order, kind=CONFIRMED)
    assert message.sent_at is None and message.language == "uk"  # queued, in the customer's language

    run_tasks()
    (email,) = confirmed_mail(smtp_server, order)
    assert email["X-Envelope-To"] == "olena@example.com"
    assert str(email["Subject"]).strip() == f"Ваше замовлення {order.number} підтверджено"
    text, html = parts(email)
    promise = promise_text(delivery_promise(Order.objects.get(pk=order.pk)), "uk")
    html_text = re.sub(r"<[^>]+>", "", html)
    for part in (text, html_text):
        assert "2 × Product" in part and "200,00" in part and "320,00" in part  # goods and total (+120)
        assert promise in part and "09:00–12:00" in part  # the customer's day and hours
        assert "Khreshchatyk 1" in part
    assert "підтверджено" in text  # Ukrainian, not English

    # Sent once: running the worker or the task again sends nothing more.
    run_tasks()
    assert send_customer_message.call(message_id=message.pk) is False
    assert len(confirmed_mail(smtp_server, order)) == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.html_body


def test_a_prepaid_order_is_told_how_to_pay(shop: None, smtp_server: Any) -> None:
    order = place(
        ("TEE", 1), channel="phone", payment_method_code="bank_transfer", customer=customer(language="en")
    )
    services.order_confirm(order_id=order.pk, actor=None)
    assert Order.objects.get(pk=order.pk).status == "awaiting_payment"
    run_tasks()
    (email,) = confirmed_mail(smtp_server, order)
    text, _html = parts(email)
    assert str(email["Subject"]).strip() == f"Your order {order.number} is confirmed"
    assert "We send it as soon as your payment arrives." in text and "IBAN" in text


def test_a_rolled_back_confirmation_and_a_marketplace_order_send_nothing(
    shop: None, smtp_server: Any
) -> None:
    order = place(("TEE", 1), channel="phone")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.order_confirm(order_id=order.pk, actor=None)
        raise RuntimeError("the request failed after confirming")
    assert not CustomerMessage.objects.filter(kind=CONFIRMED).exists()

    marketplace = place(("TEE", 1), channel="marketplace", external_ref="MP-1")
    services.order_confirm(order_id=marketplace.pk, actor=None)
    run_tasks()
    assert not CustomerMessage.objects.filter(kind=CONFIRMED).exists()
    assert [str(m["Subject"]).strip() for m in smtp_server.messages] == [
        CustomerMessage.objects.get(order=order, kind="order_confirmation").subject
    ]
