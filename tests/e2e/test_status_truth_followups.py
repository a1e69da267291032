"""Issue 16 after review, in a real browser: a held order offers no step the hold forbids and says why;
an edited order's promised day is worked out again and the card and the customer's page agree; a
completed order whose units all come back reads "Returned"; timelines show reasons in words, not codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.orders import services
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.models import Channel, Order
from orderloop.storefront.selectors import tracking_url

pytestmark = pytest.mark.django_db(transaction=True)

SEED = import_module("orderloop.orders.migrations.0002_seed_delivery_and_payment_methods")
SEED_KINDS = import_module("orderloop.orders.migrations.0004_checkout_pricing_and_promised_date")
SKU = "LIN-L"
# A Monday morning, before the warehouse's 14:00 cut-off.
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def monday() -> Iterator[None]:
    with time_machine.travel(MONDAY, tick=True):
        yield


@pytest.fixture
def shirt(make_staff: Any) -> Variant:
    """Methods with their transit days, six shirts in Kyiv (cut-off 14:00, one handling day), a manager."""
    SEED.seed(apps, None)  # transactional tests flush the seeded rows
    SEED_KINDS.set_seeded_delivery(apps, None)
    make_staff("Manager", username="olha", password="truth-pass-1")
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(handle="linen-shirt", name="Linen shirt")
    variant = Variant.objects.create(
        product=product, sku=SKU, price_amount=Decimal("1299.00"), currency="UAH"
    )
    stock_adjust(variant=variant, warehouse=warehouse, delta=6, actor=None)
    return variant


def place(**overrides: Any) -> Order:
    arguments: dict[str, Any] = {
        "channel": Channel.PHONE,
        "customer": CustomerData(name="Olena Shevchenko", phone="+380501234567", email="", language="uk"),
        "shipping_address": AddressData(
            country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 1"
        ),
        "delivery_method_code": "door_delivery",
        "payment_method_code": "cod",
        "lines": [LineData(sku=SKU, quantity=1)],
        "actor": None,
    }
    arguments.update(overrides)
    return services.order_place(**arguments)


def test_a_held_order_offers_no_confirmation_anywhere_and_says_why(
    page: Any, login: Any, shirt: Variant
) -> None:
    order = place()
    services.order_hold(order_id=order.pk, actor=None, reason="Address looks wrong")
    login("olha", "truth-pass-1")
    page.goto(f"/orders/{order.number}/")
    expect(page.locator("#action-confirm")).to_have_count(0)
    options = page.locator("#action-transition select option")
    expect(options).not_to_have_count(0)
    assert "confirmed" not in options.evaluate_all("els => els.map(e => e.value)")
    expect(page.locator("#hold-blocks")).to_contain_text("Address looks wrong")

    # Released: the confirmation is offered again, in both places.
    page.fill("#id_release-note", "checked")
    page.locator("#action-release button[type=submit]").click()
    expect(page.locator("#action-confirm")).to_be_visible()
    assert "confirmed" in page.locator("#action-transition select option").evaluate_all(
        "els => els.map(e => e.value)"
    )
    expect(page.locator("#hold-blocks")).to_have_count(0)


def test_changing_the_delivery_method_moves_the_promised_day_everywhere(
    monday: None, page: Any, login: Any, browser: Any, live_server: Any, shirt: Variant
) -> None:
    order = place()  # courier to the door: handed over Monday, two days on the way
    assert str(order.promised_date) == "2026-12-09"
    login("olha", "truth-pass-1")
    page.goto(f"/orders/{order.number}/")
    expect(page.locator("#promised-date")).to_contain_text("December 9, 2026")

    page.click("#edit-order")
    page.wait_for_url(f"**/orders/{order.number}/edit/")
    page.select_option("#id_delivery_method", "express")
    expect(page.locator("#preview-changes")).to_contain_text("Express courier")
    page.click("#save-edit")
    page.wait_for_url(re.compile(rf"/orders/{order.number}/$"))
    # One day on the way by express: Tuesday, on the card...
    expect(page.locator("#promised-date")).to_contain_text("December 8, 2026")
    order.refresh_from_db()
    assert str(order.promised_date) == "2026-12-08"

    # ...and on the customer's follow-the-order page.
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    try:
        customer = context.new_page()
        customer.goto(urlsplit(tracking_url(order)).path)
        expect(customer.get_by_test_id("promise")).to_contain_text("December 8, 2026")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "wave", "packed"),
    [
        ("uk-UA", "Хвиля збирання W1", "Усі посилки запаковано"),
        ("ar", "موجة الانتقاء W1", "تم تغليف جميع الطرود"),
        ("en-US", "Pick wave W1", "All parcels packed"),
    ],
)
def test_the_order_timeline_gives_reasons_in_words(
    browser: Any, live_server: Any, shirt: Variant, locale: str, wave: str, packed: str
) -> None:
    order = place()
    services.order_confirm(order_id=order.pk, actor=None)
    # What the warehouse's services record: the wave that took the order, then all parcels packed.
    services.order_transition(order_id=order.pk, to="picking", actor=None, reason="wave W1")
    services.order_transition(order_id=order.pk, to="packed", actor=None, reason="all_parcels_packed")
    context = browser.new_context(base_url=live_server.url, locale=locale)
    try:
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", "olha")
        page.fill("#id_password", "truth-pass-1")
        page.click("button[type=submit].primary")
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto(f"/orders/{order.number}/")
        reasons = page.locator("#timeline .event-reason")
        expect(reasons).to_have_count(2)
        assert reasons.all_inner_texts() == [wave, packed]
        # The stored codes stay codes (reports and the API read them).
        expect(reasons.nth(1)).to_have_attribute("data-code", "all_parcels_packed")
    finally:
        context.close()
