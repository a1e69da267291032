"""Issue 8's journey in a real browser (Chromium): a customer whose card-paid order was delivered asks
for a return in Swedish through the return portal (a photo attached), prints the label; the warehouse
receives the parcel by scanning the RMA barcode and inspects it; the manager refunds it to the card, and
the refund reaches the fake Stripe server.

The customer's pages are in Swedish: the portal's button reads "Hitta min beställning" and the
approved return "Godkänd".
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust
from orderloop.orders.models import Order
from orderloop.payments import services as payment_services
from orderloop.returns.models import ReturnRequest
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: F401  (the same browser flags)
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.orders.helpers import address, customer, place
from tests.payments.fake_stripe import FakeStripe
from tests.returns.conftest import deliver

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass!"


@pytest.fixture
def stripe(settings: Any, live_server: Any) -> Any:
    server = FakeStripe().start()
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "SITE_URL": live_server.url,
        "STRIPE_SECRET_KEY": "sk_test_e2e",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_e2e",
        "STRIPE_WEBHOOK_SECRET": "whsec_e2e",
        "STRIPE_API_BASE": server.url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
        "FREE_GIFT": {},
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def card_order(methods: None, stripe: FakeStripe) -> Order:  # noqa: F811
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(
        handle="linen-tee", name="Linen tee", name_translations={"sv": "Linnetröja"}
    )
    variant = Variant.objects.create(
        product=product, sku="TEE-M", price_amount=Decimal("450.00"), currency="UAH", attributes={"size": "M"}
    )
    stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)
    order = place(
        ("TEE-M", 2),
        channel="web",
        payment_method_code="card",
        customer=customer(name="Astrid Lind", email="astrid@example.se", language="sv"),
        shipping_address=address(),
    )
    intent = payment_services.card_intent_create(order_id=order.pk, actor=None)
    stripe.confirm(intent.payment.provider_reference)
    payment_services.card_payment_refresh(payment_id=intent.payment.pk)
    return deliver(order)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "orange").save(buffer, format="PNG")
    return buffer.getvalue()


def _staff_page(browser: Any, live_server: Any, username: str) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def test_a_customer_returns_in_swedish_staff_receive_and_inspect_and_the_card_refund_reaches_stripe(
    browser: Any, live_server: Any, card_order: Order, stripe: FakeStripe, make_staff: Any
) -> None:
    make_staff("Warehouse", username="lager", password=PASSWORD)
    make_staff("Manager", username="chef", password=PASSWORD)
    assert StockLevel.objects.get(variant__sku="TEE-M").on_hand == 3  # two units left with the parcel

    # --- The customer, in Swedish ------------------------------------------------------------------
    context = browser.new_context(base_url=live_server.url, locale="sv-SE")
    context.set_default_timeout(15_000)
    shop = context.new_page()
    shop.goto("/shop/")
    expect(shop.locator("html")).to_have_attribute("lang", "sv")
    shop.get_by_test_id("return-portal-link").click()
    shop.fill("#portal-number", card_order.number)
    shop.fill("#portal-contact", "astrid@example.se")
    expect(shop.get_by_test_id("portal-find")).to_have_text("Hitta min beställning")
    shop.get_by_test_id("portal-find").click()
    expect(shop.get_by_test_id("return-form")).to_be_visible()
    expect(shop.locator("html")).to_have_attribute("lang", "sv")
    line = shop.locator('[data-testid="return-line"][data-sku="TEE-M"]')
    expect(line).to_contain_text("Linnetröja")  # the product's Swedish name
    line.get_by_test_id("return-qty").select_option("1")
    line.get_by_test_id("return-reason").select_option("wrong_size")
    shop.get_by_test_id("method-post").check()
    shop.get_by_test_id("return-photos").set_input_files(
        files=[{"name": "tröja.png", "mimeType": "image/png", "buffer": _png()}]
    )
    shop.get_by_test_id("return-submit").click()
    expect(shop.get_by_test_id("return-status")).to_have_attribute("data-status", "approved")
    expect(shop.get_by_test_id("return-status-title")).to_contain_text("Godkänd")
    rma = ReturnRequest.objects.get(order=card_order)
    expect(shop.locator("h1")).to_contain_text(rma.number)
    expect(shop.get_by_test_id("return-tracking")).to_have_text(rma.number)
    label = shop.request.get(shop.get_by_test_id("return-label").get_attribute("href"))
    assert label.body().startswith(b"%PDF")
    assert (rma.opened_via, rma.lines.get().reason, rma.photos.count()) == ("portal", "wrong_size", 1)
    context.close()

    # --- The warehouse scans the parcel and inspects it ----------------------------------------------
    warehouse = _staff_page(browser, live_server, "lager")
    warehouse.goto("/returns/")
    warehouse.get_by_test_id("receive-scan").fill(rma.number)
    warehouse.get_by_test_id("receive-scan").press("Enter")
    expect(warehouse.get_by_test_id("rma-status")).to_have_attribute("data-status", "received")
    row = warehouse.locator('[data-testid="inspect-line"][data-sku="TEE-M"]')
    row.get_by_test_id("grade").select_option("as_new")
    warehouse.get_by_test_id("inspect-submit").click()
    expect(warehouse.get_by_test_id("rma-status")).to_have_attribute("data-status", "inspected")
    expect(warehouse.locator('[data-testid="inspection"]')).to_have_attribute("data-disposition", "restock")
    expect(warehouse.get_by_test_id("refund")).to_have_count(0)  # the warehouse does not refund
    assert StockLevel.objects.get(variant__sku="TEE-M").on_hand == 4
    warehouse.context.close()

    # --- The manager refunds it to the card ------------------------------------------------------------
    manager = _staff_page(browser, live_server, "chef")
    manager.goto(f"/returns/{rma.number}/")
    expect(manager.get_by_test_id("refund-quote")).to_have_attribute("data-due", "450.00")
    manager.get_by_test_id("refund").click()
    expect(manager.get_by_test_id("rma-status")).to_have_attribute("data-status", "refunded")
    expect(manager.get_by_test_id("refund-row")).to_have_attribute("data-status", "succeeded")
    (call,) = stripe.calls("POST", "/v1/refunds")
    assert call.params["amount"] == "45000"
    assert call.params["payment_intent"] == card_order.payments.get().provider_reference
    expect(manager.get_by_test_id("credit-note-pdf")).to_be_visible()
    manager.context.close()

    rma.refresh_from_db()
    assert rma.status == "refunded" and rma.refund_amount == Decimal("450.00")
    assert Order.objects.get(pk=card_order.pk).status == "partially_returned"  # 1 of the 2 units came back
    assert ledger_mismatches() == []
