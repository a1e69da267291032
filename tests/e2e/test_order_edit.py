"""Issue 16: a manager edits an order in the back office, in a real browser: from the order card to the
edit page, a live preview of the stock and payment difference while typing, then saving a new quantity,
address and delivery method; an order in the warehouse offers no edit."""

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
from orderloop.orders.models import Channel, EventKind, Order, OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db(transaction=True)

SEED = import_module("orderloop.orders.migrations.0002_seed_delivery_and_payment_methods")
SKU = "LIN-BREEZE-WHITE-L"


@pytest.fixture
def order(make_staff: Any) -> Order:
    """A confirmed cash-on-delivery order of 2 shirts (stock 6 in Kyiv), courier to the door."""
    SEED.seed(apps, None)
    make_staff("Manager", username="olha", password="edit-pass-1")
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(handle="linen-shirt-breeze", name="Linen shirt Breeze")
    variant = Variant.objects.create(
        product=product, sku=SKU, price_amount=Decimal("1299.00"), currency="UAH", attributes={"size": "L"}
    )
    stock_adjust(variant=variant, warehouse=warehouse, delta=6, actor=None)
    placed = services.order_place(
        channel=Channel.PHONE,
        customer=CustomerData(name="Olena Shevchenko", phone="+380501234567", email="", language="uk"),
        shipping_address=AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 1"),
        delivery_method_code="door_delivery",
        payment_method_code="cod",
        lines=[LineData(sku=SKU, quantity=2)],
        actor=None,
    )
    services.order_confirm(order_id=placed.pk, actor=None)
    return Order.objects.get(pk=placed.pk)


def test_manager_edits_quantity_address_and_delivery_with_a_preview(
    page: Any, login: Any, order: Order
) -> None:
    login("olha", "edit-pass-1")
    page.goto(f"/orders/{order.number}/")
    page.click("#edit-order")
    page.wait_for_url(f"**/orders/{order.number}/edit/")
    expect(page.locator("#preview-hint")).to_be_visible()

    # Typing a quantity shows what saving will do, before anything is saved.
    page.fill("#id_qty_1", "3")
    change = page.locator(f'#preview-stock tr.stock-change[data-sku="{SKU}"]')
    expect(change).to_have_attribute("data-reserved", "1")
    expect(change).to_contain_text("reserve 1 more unit")
    expect(change).to_contain_text("4 → 3")
    expect(page.locator('#preview-totals tr[data-total="total"]')).to_contain_text("+UAH\u00a01,299.00")
    expect(page.locator("#payment-outcome")).to_contain_text("Cash on delivery")
    assert StockLevel.objects.get(variant__sku=SKU).reserved == 2  # nothing written yet

    # Too many: the preview says saving would be refused, and why.
    page.fill("#id_qty_1", "9")
    expect(page.locator("#preview-errors")).to_contain_text("Not enough stock: 7 requested, 4 available.")

    # A new address and the express courier; the preview follows each change.
    page.fill("#id_qty_1", "3")
    page.fill("#id_city", "Lviv")
    page.fill("#id_postal_code", "79008")
    page.fill("#id_line1", "Rynok Square 10")
    page.select_option("#id_delivery_method", "express")
    expect(page.locator("#preview-changes")).to_contain_text("Rynok Square 10, 79008 Lviv, UA")
    expect(page.locator("#preview-changes")).to_contain_text("Courier to the door → Express courier")
    expect(page.locator('#preview-totals tr[data-total="delivery"]')).to_contain_text("+UAH\u00a0130.00")
    page.fill("#id_reason", "customer called")
    page.click("#save-edit")

    page.wait_for_url(re.compile(rf"/orders/{order.number}/$"))
    expect(page.locator(".messages")).to_contain_text("Order changed.")
    expect(page.locator("#delivery")).to_contain_text("Rynok Square 10")
    expect(page.locator("#delivery")).to_contain_text("Express courier")
    expect(page.locator(f'tr.order-line[data-sku="{SKU}"] .reserved')).to_contain_text("kyiv: 3")
    expect(page.locator("#order-total")).to_have_text("UAH\u00a04,147.00")
    event = OrderEvent.objects.filter(order=order, kind=EventKind.EDIT).get()
    assert event.reason == "customer called" and event.actor.get_username() == "olha"
    assert ledger_mismatches() == []


def test_an_order_in_the_warehouse_has_no_edit_button_and_the_page_says_why(
    page: Any, login: Any, order: Order
) -> None:
    services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=None)
    login("olha", "edit-pass-1")
    page.goto(f"/orders/{order.number}/")
    expect(page.locator("#order-status")).to_contain_text("Picking")
    expect(page.locator("#edit-order")).to_have_count(0)
    response = page.goto(f"/orders/{order.number}/edit/")
    assert response is not None and response.status == 409
    expect(page.locator("#edit-refused")).to_contain_text("it can no longer be edited")
    expect(page.locator("#edit-form")).to_have_count(0)
