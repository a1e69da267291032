"""Issue 5's journey in a real browser: an order waits for stock and its card shows the expected date from
the purchase order; the warehouse receives the purchase order with a keyboard-wedge scanner (a wrong
item is refused); the order gets its stock and becomes ready to pick, which a manager then starts."""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders import services as order_services
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.models import Channel, Order, OrderStatus
from orderloop.purchasing import selectors, services
from orderloop.purchasing.models import PurchaseOrder, PurchaseOrderStatus

pytestmark = pytest.mark.django_db(transaction=True)

SEED = import_module("orderloop.orders.migrations.0002_seed_delivery_and_payment_methods")
SKU = "LIN-BREEZE-SAND-M"
BARCODE = "4820000000017"
OTHER_BARCODE = "4820000000024"


@pytest.fixture
def shop(make_staff: Any) -> dict[str, Any]:
    """A backorderable shirt with no stock, an order waiting for 2 of them, and a sent purchase order for 3."""
    SEED.seed(apps, None)  # transactional tests flush the seeded rows
    make_staff("Warehouse", username="petro", password="scan-pass-1")
    make_staff("Manager", username="olha", password="phone-pass-1")
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(
        handle="linen-shirt-breeze", name="Linen shirt Breeze", allow_backorder=True
    )
    variant = Variant.objects.create(
        product=product,
        sku=SKU,
        barcode=BARCODE,
        price_amount=Decimal("1299.00"),
        currency="UAH",
        attributes={"size": "M", "colour": "Sand"},
    )
    order = order_services.order_place(
        channel=Channel.WEB,
        customer=CustomerData(name="Olena Shevchenko", phone="+380501234567", email="olena@example.com"),
        shipping_address=AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 1"),
        delivery_method_code="door_delivery",
        payment_method_code="cod",
        lines=[LineData(sku=SKU, quantity=2)],
        actor=None,
    )
    supplier = services.supplier_create(
        code="linenco", name="Linen & Co", currency="EUR", lead_time_days=5, actor=None
    )
    services.supplier_item_set(supplier=supplier, sku=SKU, price="12.40", actor=None)
    po = services.purchase_order_create(
        supplier=supplier, warehouse=warehouse, lines=[services.LineInput(sku=SKU, quantity=3)], actor=None
    )
    po = services.purchase_order_send(po_id=po.pk, actor=None)
    return {"order": order, "po": po, "variant": variant, "warehouse": warehouse}


def scan(page: Any, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    page.locator("#scan").focus()
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def test_receive_by_scanning_serves_the_backorder(page: Any, login: Any, shop: dict[str, Any]) -> None:
    order: Order = shop["order"]
    po: PurchaseOrder = shop["po"]
    assert order.status == OrderStatus.AWAITING_STOCK

    # The manager sees when the waiting order's goods should arrive.
    login("olha", "phone-pass-1")
    page.goto(f"/orders/{order.number}/")
    expect(page.locator("#order-status")).to_contain_text("Awaiting stock")
    arrival = page.locator(f'tr.order-line[data-sku="{SKU}"] .expected-arrival')
    expect(arrival).to_have_attribute("data-po", po.number)
    expect(arrival).to_contain_text(po.number)
    page.click("form[action='/logout/'] button")

    # The warehouse opens the purchase order from the list and scans the delivery.
    login("petro", "scan-pass-1")
    page.goto("/purchasing/")
    page.locator(f'tr[data-number="{po.number}"] a.button').click()
    expect(page.locator("h1")).to_contain_text(po.number)
    expect(page.locator("#scan")).to_be_focused()
    row = page.locator(f'tr.receive-row[data-sku="{SKU}"]')
    scan(page, BARCODE)
    expect(row.locator("input.qty")).to_have_value("1")
    expect(page.locator("#scan-feedback")).to_contain_text(SKU)
    scan(page, OTHER_BARCODE)  # not on this purchase order: refused, nothing counted
    expect(page.locator("#scan-feedback")).to_contain_text(f"{OTHER_BARCODE} is not on this purchase order.")
    expect(page.locator("#scan")).to_have_value("")
    scan(page, BARCODE)
    expect(row.locator("input.qty")).to_have_value("2")
    assert StockLevel.objects.get(variant=shop["variant"]).on_hand == 0, (
        "nothing is received before the click"
    )
    page.fill("#id_note", "Delivery note 4711")
    page.click("#receive-submit")

    page.wait_for_url(f"**/purchasing/orders/{po.number}/")
    expect(page.locator("#po-status")).to_contain_text("Partially received")
    expect(page.locator(".messages")).to_contain_text(f"Order {order.number} got 2 × {SKU}")
    expect(page.locator(f'tr.po-line[data-sku="{SKU}"]')).to_have_attribute("data-received", "2")

    # The order got its stock: confirmed (cash on delivery), nothing backordered — ready to pick.
    page.goto(f"/orders/{order.number}/")
    expect(page.locator("#order-status")).to_contain_text("Confirmed")
    card_line = page.locator(f'tr.order-line[data-sku="{SKU}"]')
    expect(card_line.locator(".reserved")).to_contain_text("kyiv: 2")
    expect(card_line.locator(".expected-arrival")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text(
        "The missing stock arrived"
    )  # the stored reason code, in words
    page.click("form[action='/logout/'] button")

    # A manager starts picking it: nothing blocks it any more.
    login("olha", "phone-pass-1")
    page.goto(f"/orders/{order.number}/")
    page.select_option("#id_transition-to", "picking")
    page.click("#action-transition button[type=submit]")
    expect(page.locator("#order-status")).to_contain_text("Picking")

    order.refresh_from_db()
    po.refresh_from_db()
    assert order.status == OrderStatus.PICKING
    assert po.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    stock = StockLevel.objects.get(variant=shop["variant"])
    assert (stock.on_hand, stock.reserved, stock.incoming) == (2, 2, 1)
    assert ledger_mismatches() == [] and selectors.incoming_mismatches() == []
