"""Issue 4's journeys in a real browser (Chromium):

- a guest browses, adds two variants, closes and reopens the browser and still has the cart, checks
  out with cash on delivery in Ukrainian, receives the confirmation on a real SMTP server and opens
  its link to see the order;
- a customer pays by card through the fake Stripe server (its Stripe.js confirms in the browser, its
  webhook reaches our endpoint) and sees the order paid;
- an Arabic checkout is right-to-left, and its errors show next to the fields, in Arabic.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust
from orderloop.orders.models import Order
from orderloop.payments.models import Payment
from tests.conftest import run_tasks
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: F401  (the same browser flags)
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.payments.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK_SECRET = "whsec_e2e"


@pytest.fixture
def tees(methods: None, settings: Any, live_server: Any) -> dict[str, Variant]:  # noqa: F811
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "SITE_URL": live_server.url,
        "STRIPE_SECRET_KEY": "",
        "FREE_GIFT": {},
    }
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(
        handle="linen-tee", name="Linen tee", name_translations={"uk": "Лляна футболка", "ar": "قميص كتان"}
    )
    variants = {}
    for size in ("S", "M"):
        variants[size] = Variant.objects.create(
            product=product,
            sku=f"TEE-{size}",
            price_amount=Decimal("450.00"),
            currency="UAH",
            attributes={"size": size, "colour": "White"},
        )
        stock_adjust(variant=variants[size], warehouse=warehouse, delta=5, actor=None)
    return variants


def _add_variant(page: Any, size: str) -> None:
    """Choose the size on the product page's size picker (htmx shows that variant) and add it."""
    page.locator(f"input[name='attr-size'][value='{size}']").check()
    expect(page.get_by_test_id("availability")).to_contain_text(f"TEE-{size}")
    page.get_by_test_id("add-to-cart").click()
    page.wait_for_load_state()


def _fill_address(page: Any) -> None:
    page.fill("#id_email", "olena@example.com")
    page.fill("#id_phone", "050 123 45 67")
    page.fill("#id_name", "Olena Shevchenko")
    page.fill("#id_line1", "Khreshchatyk 1")
    page.fill("#id_city", "Kyiv")
    page.fill("#id_postal_code", "01001")


def test_guest_keeps_the_cart_over_a_browser_restart_and_checks_out_cod_in_ukrainian(
    browser: Any, live_server: Any, tees: dict[str, Variant], smtp_server: Any
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="uk-UA")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/shop/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    page.get_by_role("link", name=re.compile("Лляна футболка")).click()
    _add_variant(page, "S")
    _add_variant(page, "M")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")

    # Close the browser: what survives is what a browser keeps on disk, the cookies with an expiry.
    kept = [cookie for cookie in context.storage_state()["cookies"] if cookie["expires"] > 0]
    context.close()
    context = browser.new_context(
        base_url=live_server.url, locale="uk-UA", storage_state={"cookies": kept, "origins": []}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/shop/cart/")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)

    page.get_by_test_id("to-checkout").click()
    _fill_address(page)
    page.get_by_label(re.compile("Накладений платіж|Оплата при отриманні", re.I)).check()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_test_id("thank-you")).to_be_visible()
    order = Order.objects.get()
    assert (order.channel, order.payment_method.code, order.customer_language) == ("web", "cod", "uk")
    assert order.lines.count() == 2 and ledger_mismatches() == []

    run_tasks()  # the task worker sends the confirmation
    (email,) = smtp_server.messages
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert order.number in email["Subject"] and "Лляна футболка" in text
    link = re.search(r"(http://\S+/shop/orders/\S+/)", text)
    assert link is not None
    fresh = browser.new_context(locale="uk-UA")  # no cookies: the signed link alone opens it
    other = fresh.new_page()
    other.goto(link.group(1))
    expect(other.locator("h1")).to_contain_text(order.number)
    expect(other.get_by_test_id("status-title")).to_be_visible()
    fresh.close()
    context.close()


def test_card_payment_through_the_fake_stripe_marks_the_order_paid_after_the_webhook(
    browser: Any, live_server: Any, tees: dict[str, Variant], settings: Any
) -> None:
    stripe = FakeStripe(
        webhook_url=f"{live_server.url}/api/v1/payments/stripe/webhook", webhook_secret=WEBHOOK_SECRET
    )
    stripe.start()
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "STRIPE_SECRET_KEY": "sk_test_e2e",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_e2e",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe.url,
        "STRIPE_JS_URL": f"{stripe.url}/v3/",
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }
    try:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/shop/p/linen-tee/")
        _add_variant(page, "S")
        page.goto("/shop/checkout/")
        _fill_address(page)
        page.locator("input[name=payment_method][value=card]").check()
        page.get_by_test_id("place-order").click()

        page.wait_for_url(re.compile(r"/pay/$"))
        page.get_by_test_id("card-number").fill("4242 4242 4242 4242")
        page.get_by_test_id("card-submit").click()
        page.wait_for_url(re.compile(r"/shop/orders/[^/]+/$"))
        expect(page.get_by_test_id("status-title")).to_have_text("Payment received", timeout=15_000)

        order = Order.objects.get()
        assert order.status == "paid"
        payment = Payment.objects.get(order=order)
        assert payment.status == "captured" and payment.captured_amount == order.total_amount
        assert stripe.webhooks_sent == [{"type": "payment_intent.succeeded", "status": 200}]
        context.close()
    finally:
        stripe.stop()


def test_arabic_checkout_is_right_to_left_with_errors_next_to_the_fields(
    browser: Any, live_server: Any, tees: dict[str, Variant]
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="ar")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/shop/p/linen-tee/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _add_variant(page, "S")
    page.goto("/shop/checkout/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.querySelector('#checkout-form')).direction") == "rtl"
    page.fill("#id_email", "layla@example.com")
    page.fill("#id_phone", "050 123 45 67")
    page.fill("#id_name", "Layla")
    page.get_by_test_id("place-order").click()  # no street, city or postal code
    error = page.locator('[data-field="city"] .form-error')
    expect(error).to_be_visible()
    assert re.search(r"[\u0600-\u06FF]", error.inner_text())  # written in Arabic
    assert not Order.objects.exists()
    context.close()
