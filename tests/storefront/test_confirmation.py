"""The order confirmation: queued when notifications consume the order's `order.placed`, sent by the task worker to a real SMTP
server (aiosmtpd), in the customer's language, with the details, the expected date, payment
instructions and a working signed link to follow the order."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from orderloop.notifications.models import CustomerMessage
from orderloop.orders.models import Order
from orderloop.storefront import services
from orderloop.storefront.models import Cart, CartLine
from tests.conftest import run_tasks
from tests.orders.helpers import consume_events, place

pytestmark = pytest.mark.django_db(transaction=True)


def _checkout(shop, *, payment: str = "cod", language: str = "uk", token: str = "t1") -> Order:
    cart = services.cart_create()
    CartLine.objects.create(cart=cart, variant=shop["S"], quantity=1)
    return services.checkout_place(
        cart=cart,
        data=services.CheckoutData(
            email="olena@example.com",
            phone="+380501234567",
            name="Olena Shevchenko",
            country="UA",
            city="Kyiv",
            postal_code="01001",
            line1="Khreshchatyk 1",
            delivery_method="door_delivery",
            payment_method=payment,
            language=language,
        ),
        checkout_token=token,
        customer=None,
    )


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_a_cod_order_confirmation_reaches_the_smtp_server_in_ukrainian(shop, smtp_server, settings):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "SITE_URL": "http://shop.example"}
    order = _checkout(shop)
    consume_events()  # notifications react to `order.placed`
    message = CustomerMessage.objects.get(order=order, kind="order_confirmation")
    assert message.sent_at is None  # queued for the order, sent by the worker

    run_tasks()

    assert len(smtp_server.messages) == 1
    email = smtp_server.messages[0]
    assert email["X-Envelope-To"] == "olena@example.com"
    assert order.number in email["Subject"]
    text, html = _parts(email)
    for part in (text, html):
        assert "Лляна футболка" in part  # the product's Ukrainian name
        assert "620,00" in part  # 500.00 + 120.00 delivery, Ukrainian number format
        assert "Khreshchatyk 1" in part and "Kyiv" in part
    assert "Кур’єр до дверей" in text or "Courier to the door" not in text  # the delivery method, translated
    # The expected date, written out in Ukrainian (e.g. "4 грудня 2026 р.").
    assert order.promised_date is not None and str(order.promised_date.year) in text
    link = next(word for word in text.split() if word.startswith("http://shop.example/shop/orders/"))
    page = Client().get(urlsplit(link).path)
    assert page.status_code == 200 and order.number in page.content.decode()
    message.refresh_from_db()
    assert message.sent_at is not None and message.body == text.replace("\r\n", "\n")


def test_a_bank_transfer_confirmation_carries_the_invoice_and_the_bank_details(shop, smtp_server):
    order = _checkout(shop, payment="bank_transfer", language="en")
    run_tasks()
    (email,) = smtp_server.messages
    text, _html = _parts(email)
    invoice = order.invoices.get()
    assert "IBAN" in text and invoice.payment_reference in text and "620.00" in text
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_filename() == f"invoice-{invoice.number}.pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_sending_twice_sends_once(shop, smtp_server):
    order = _checkout(shop)
    run_tasks()
    message = CustomerMessage.objects.get(order=order, kind="order_confirmation")
    from orderloop.notifications.tasks import send_customer_message

    assert send_customer_message.call(message_id=message.pk) is False
    assert len(smtp_server.messages) == 1


def test_a_rolled_back_order_sends_nothing(shop, smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        _checkout(shop)
        raise RuntimeError("the request failed after placing")
    assert not Order.objects.exists() and not CustomerMessage.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="send_customer_message").exists()
    assert Cart.objects.count() == 0 or CartLine.objects.count() == 0
    run_tasks()
    assert smtp_server.messages == []


def test_marketplace_orders_are_not_confirmed_by_the_shop(shop, smtp_server):
    place(("TEE-S", 1), channel="marketplace", external_ref="MP-1")
    run_tasks()
    assert not CustomerMessage.objects.exists() and smtp_server.messages == []
