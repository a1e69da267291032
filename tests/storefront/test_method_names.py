"""The shop speaks the customer's language for delivery and payment methods too (issue 16): the
checkout's options, the order page and the confirmation email show each method's name in that
language — the seeded translation, or what an Admin wrote on the back office."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client

from orderloop.notifications.emails import render_customer_email
from orderloop.orders import services as order_services
from orderloop.orders.models import Order

pytestmark = pytest.mark.django_db

NAMES = import_module("orderloop.orders.migrations.0007_translated_delivery_and_payment_method_names")


@pytest.fixture(autouse=True)
def named(shop) -> None:
    NAMES.translate_seeded(apps, None)
    order_services.delivery_method_rename(
        code="door_delivery",
        name="Courier to your door",
        name_translations={"uk": "Кур’єр Orderloop до ваших дверей", "ar": "مندوبنا حتى باب منزلك"},
        actor=None,
    )


def add(client: Client, variant) -> None:
    client.post("/shop/cart/add/", {"variant": variant.pk, "quantity": 1, "next": "/shop/cart/"})


@pytest.mark.parametrize(
    ("language", "door", "prepayment", "store"),
    [
        ("uk", "Кур’єр Orderloop до ваших дверей", "Передоплата", "Самовивіз із магазину"),
        ("ar", "مندوبنا حتى باب منزلك", "دفعة مقدمة", "الاستلام من المتجر"),
    ],
)
def test_checkout_offers_the_methods_in_the_customers_language(shop, language, door, prepayment, store):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    add(client, shop["S"])
    html = client.get("/shop/checkout/").content.decode()
    assert door in html and prepayment in html and store in html
    assert "Courier to your door" not in html and "Prepayment" not in html


def test_order_page_and_confirmation_email_name_the_methods_in_the_customers_language(shop, checkout_data):
    client = Client(HTTP_ACCEPT_LANGUAGE="uk")
    add(client, shop["S"])
    placed = client.post("/shop/checkout/", checkout_data())
    assert placed.status_code == 302
    page = client.get(placed["Location"]).content.decode()
    assert "Кур’єр Orderloop до ваших дверей" in page and "Накладений платіж" in page

    order = Order.objects.get()
    email = render_customer_email("order_confirmation", order, "uk")
    assert email is not None
    for body in (email.text, email.html):
        assert "Кур’єр Orderloop до ваших дверей" in body and "Накладений платіж" in body
    english = render_customer_email("order_confirmation", order, "en")
    assert english is not None and "Courier to your door" in english.text
