"""Issue 3's journey in a real browser: a manager enters a phone order (product search, customer autofill
from an earlier order), sees the card, confirms it, cancels it with a reason and sees the stock return."""

from __future__ import annotations

import re
from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust
from orderloop.orders import services
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.models import Channel, Order, OrderStatus

pytestmark = pytest.mark.django_db(transaction=True)

SEED = import_module("orderloop.orders.migrations.0002_seed_delivery_and_payment_methods")
SKU = "LIN-BREEZE-WHITE-L"


@pytest.fixture
def shop(make_staff: Any) -> Variant:
    """Methods, a warehouse with 6 shirts, a manager, and an earlier order by the customer (1 shirt)."""
    SEED.seed(apps, None)  # transactional tests flush the seeded rows
    make_staff("Manager", username="olha", password="phone-pass-1")
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(handle="linen-shirt-breeze", name="Linen shirt Breeze")
    variant = Variant.objects.create(
        product=product,
        sku=SKU,
        price_amount=Decimal("1299.00"),
        currency="UAH",
        attributes={"size": "L", "colour": "White"},
    )
    stock_adjust(variant=variant, warehouse=warehouse, delta=6, actor=None)
    services.order_place(
        channel=Channel.WEB,
        customer=CustomerData(
            name="Olena Shevchenko", phone="+380501234567", email="olena@example.com", language="uk"
        ),
        shipping_address=AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 1"),
        delivery_method_code="door_delivery",
        payment_method_code="cod",
        lines=[LineData(sku=SKU, quantity=1)],
        actor=None,
    )
    return variant


def available(variant: Variant) -> int:
    stock = StockLevel.objects.get(variant=variant, warehouse__code="kyiv")
    return stock.on_hand - stock.reserved


def test_phone_order_confirm_cancel_stock_returns(page: Any, login: Any, shop: Variant) -> None:
    before = available(shop)
    assert before == 5
    login("olha", "phone-pass-1")

    page.goto("/orders/new/")
    # Product search with live availability; "Add" puts a line on the order.
    page.fill("#product-q", "Linen shirt")
    result = page.locator(f'#product-results li[data-sku="{SKU}"]')
    expect(result).to_contain_text("kyiv 5")
    result.locator("button.add-line").click()
    line = page.locator(f'#lines-body tr.line-row[data-sku="{SKU}"]')
    expect(line).to_have_count(1)
    line.locator('input[name="line_quantity"]').fill("2")
    line.locator('input[name="line_note"]').fill("Gift wrap, please")

    # Customer autofill: the phone as the customer says it finds the earlier order.
    page.fill("#id_customer_phone", "050 123 45 67")
    match = page.locator("#customer-matches li").first
    expect(match).to_contain_text("Olena Shevchenko")
    match.locator("button.use-customer").click()
    expect(page.locator("#id_customer_name")).to_have_value("Olena Shevchenko")
    expect(page.locator("#id_customer_email")).to_have_value("olena@example.com")
    expect(page.locator("#id_line1")).to_have_value("Khreshchatyk 1")
    expect(page.locator("#id_postal_code")).to_have_value("01001")
    page.select_option("#id_delivery_method", "door_delivery")
    page.select_option("#id_payment_method", "cod")
    page.fill("#id_comment", "Call before delivery")
    page.click("#place-order")

    # The card: a phone order, stock reserved in Kyiv, the customer a repeat buyer.
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(channel=Channel.PHONE)
    expect(page.locator("h1")).to_contain_text(order.number)
    expect(page.locator("#order-status")).to_contain_text("New")
    expect(page.locator("#buyer")).to_contain_text("Repeat buyer")
    expect(page.locator("#customer")).to_contain_text("+380 50 123 4567")
    card_line = page.locator(f'tr.order-line[data-sku="{SKU}"]')
    expect(card_line).to_contain_text("size: L · colour: White")
    expect(card_line).to_contain_text("Gift wrap, please")
    expect(card_line.locator(".reserved")).to_contain_text("kyiv: 2")
    expect(card_line.locator(".available-now")).to_have_attribute("data-available", str(before - 2))
    assert available(shop) == before - 2

    # Confirm, then cancel with a reason: every reserved unit goes back.
    page.click("#action-confirm button[type=submit]")
    expect(page.locator("#order-status")).to_contain_text("Confirmed")
    page.click("#action-cancel button[type=submit]")  # no reason: the form will not send
    expect(page.locator("#order-status")).to_contain_text("Confirmed")
    page.fill("#id_cancel-reason", "Customer changed their mind")
    page.click("#action-cancel button[type=submit]")
    expect(page.locator("#order-status")).to_contain_text("Cancelled")
    expect(page.locator("#timeline")).to_contain_text("Customer changed their mind")
    expect(card_line.locator(".available-now")).to_have_attribute("data-available", str(before))
    expect(card_line.locator(".reserved")).to_contain_text("Nothing reserved")

    # The live stock page agrees.
    page.goto(f"/stock/?q={SKU}")
    stock_row = page.locator(f'tr[data-sku="{SKU}"][data-warehouse="kyiv"]')
    expect(stock_row.locator(".available")).to_contain_text(str(before))

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.created_by is not None
    assert available(shop) == before
    assert ledger_mismatches() == []
