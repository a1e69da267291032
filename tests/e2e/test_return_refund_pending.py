"""Issue 16 in a real browser (Chromium), in English and in Arabic (right to left): a customer who paid
cash on delivery returns 1 of 2 units from the follow-the-order page. The return form asks for the IBAN
(an invalid one is a form error; so is a PNG whose header claims 30000×30000 pixels — issue 17 — never a
server error). The manager receives, inspects and refunds it by bank transfer to the IBAN the customer
gave: until the transfer is confirmed the return is "refund pending", the shop page says the refund is on
its way and the order keeps its status; after the confirmation the return is refunded, the "refunded"
email is queued, and the order is partially returned, its page listing the unit that came back.

Set ORDERLOOP_SHOTS_DIR to keep a screenshot of every step (the walk-through's pictures)."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.notifications.models import CustomerMessage
from orderloop.orders.models import Order
from orderloop.returns.models import ReturnRequest
from orderloop.storefront.selectors import tracking_token
from tests.conftest import run_tasks
from tests.e2e.test_return_journey import PASSWORD
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.orders.helpers import address, customer, place
from tests.returns.conftest import deliver
from tests.returns.test_settlement import bomb_png

pytestmark = pytest.mark.django_db(transaction=True)

IBAN = "UA21 3223 1300 0002 6007 2335 6600 1"
SHOTS = os.environ.get("ORDERLOOP_SHOTS_DIR", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _staff_page(browser: Any, live_server: Any, username: str, language: str) -> Any:
    context = browser.new_context(base_url=live_server.url, locale=language)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def _cod_order(language: str) -> Order:
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(
        handle="linen-tee", name="Linen tee", name_translations={"ar": "قميص كتان", "uk": "Лляна футболка"}
    )
    variant = Variant.objects.create(
        product=product, sku="TEE-M", price_amount=Decimal("450.00"), currency="UAH", attributes={"size": "M"}
    )
    stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)
    order = place(
        ("TEE-M", 2),
        channel="web",
        payment_method_code="cod",
        customer=customer(name="Olena Shevchenko", email="olena@example.com", language=language),
        shipping_address=address(),
    )
    return deliver(order)  # the courier collected 1,020.00 in cash


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_cod_return_refunded_by_transfer_is_pending_until_confirmed_and_the_order_partially_returned(
    browser: Any,
    live_server: Any,
    settings: Any,
    methods: None,  # noqa: F811
    make_staff: Any,
    language: str,
) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "SITE_URL": live_server.url, "FREE_GIFT": {}}
    make_staff("Manager", username="chef", password=PASSWORD)
    order = _cod_order(language)
    with translation.override(language):
        partially_returned = gettext("Partially returned")

    # --- The customer asks for the return ---------------------------------------------------------------
    context = browser.new_context(base_url=live_server.url, locale=language)
    context.set_default_timeout(15_000)
    shop = context.new_page()
    track_url = f"/shop/orders/{tracking_token(order.number)}/"
    shop.goto(track_url)
    expect(shop.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    shop.get_by_test_id("return-items").click()
    line = shop.locator('[data-testid="return-line"][data-sku="TEE-M"]')
    line.get_by_test_id("return-qty").select_option("1")
    line.get_by_test_id("return-reason").select_option("wrong_size")
    expect(shop.get_by_test_id("refund-account")).to_be_visible()  # cash on delivery: where to refund
    expect(shop.get_by_test_id("return-holder")).to_have_value("Olena Shevchenko")
    shop.get_by_test_id("return-iban").fill("UA21 3223 1300 0002 6007 2335 6600 2")  # one digit wrong
    shop.get_by_test_id("return-photos").set_input_files(
        files=[{"name": "huge.png", "mimeType": "image/png", "buffer": bomb_png()}]
    )
    _shot(shop, f"{language}-01-return-form")
    shop.get_by_test_id("return-submit").click()
    expect(shop.get_by_test_id("photos-error")).to_contain_text("huge.png")  # a form error, not a 500
    _shot(shop, f"{language}-02-photo-refused")
    shop.get_by_test_id("return-submit").click()  # the photo input is empty again after the refusal
    expect(shop.get_by_test_id("iban-error")).to_be_visible()
    expect(shop.get_by_test_id("return-iban")).to_have_attribute("aria-invalid", "true")
    _shot(shop, f"{language}-03-iban-refused")
    assert not ReturnRequest.objects.exists()
    shop.get_by_test_id("return-iban").fill(IBAN)
    shop.get_by_test_id("return-submit").click()
    expect(shop.get_by_test_id("return-status")).to_have_attribute("data-status", "approved")
    rma = ReturnRequest.objects.get(order=order)
    assert rma.bank_iban == IBAN.replace(" ", "") and rma.lines.get().quantity == 1
    _shot(shop, f"{language}-04-return-approved")

    # --- The manager receives, inspects and refunds by bank transfer -----------------------------------
    staff = _staff_page(browser, live_server, "chef", language)
    staff.goto(f"/returns/{rma.number}/")
    warehouses = staff.get_by_test_id("receive-warehouse").locator("option")
    expect(warehouses).to_have_count(1)  # one warehouse, listed once
    staff.get_by_test_id("receive").click()
    expect(staff.get_by_test_id("rma-status")).to_have_attribute("data-status", "received")
    staff.locator('[data-testid="inspect-line"][data-sku="TEE-M"]').get_by_test_id("grade").select_option(
        "as_new"
    )
    staff.get_by_test_id("inspect-submit").click()
    expect(staff.get_by_test_id("bank-iban")).to_have_value(IBAN)  # the customer's account, no phone call
    staff.get_by_test_id("refund").click()
    expect(staff.get_by_test_id("rma-status")).to_have_attribute("data-status", "refund_pending")
    expect(staff.get_by_test_id("refund-row")).to_have_attribute("data-status", "pending")
    expect(staff.get_by_test_id("bank-confirm")).to_be_visible()
    _shot(staff, f"{language}-05-staff-refund-pending")

    # --- Before the transfer is confirmed: on its way, the order unchanged, no "refunded" email ----------
    shop.reload()
    expect(shop.get_by_test_id("return-status")).to_have_attribute("data-status", "refund_pending")
    expect(shop.get_by_test_id("return-refund")).to_contain_text("450")
    _shot(shop, f"{language}-06-shop-return-refund-pending")
    shop.goto(track_url)
    expect(shop.get_by_test_id("return-link-status")).to_have_attribute("data-status", "refund_pending")
    _shot(shop, f"{language}-07-shop-order-refund-pending")
    assert Order.objects.get(pk=order.pk).status == "return_requested"
    assert not CustomerMessage.objects.filter(event_key=f"return:{rma.pk}:refund_sent").exists()

    # --- The transfer is made -----------------------------------------------------------------------------
    staff.locator("#bank-reference").fill("OUT-2026-118")
    staff.get_by_test_id("bank-confirm").click()
    expect(staff.get_by_test_id("rma-status")).to_have_attribute("data-status", "refunded")
    expect(staff.get_by_test_id("refund-row")).to_have_attribute("data-status", "succeeded")
    _shot(staff, f"{language}-08-staff-refunded")
    staff.context.close()

    shop.goto(track_url)
    expect(shop.get_by_test_id("status-title")).to_have_text(partially_returned)  # not "Returned"
    expect(shop.get_by_test_id("return-link-status")).to_have_attribute("data-status", "refunded")
    came_back = shop.get_by_test_id("returned-items").locator("li")
    expect(came_back).to_have_count(1)
    expect(came_back).to_have_attribute("data-quantity", "1")
    expect(shop.get_by_test_id("return-items")).to_be_visible()  # the other unit may still come back
    _shot(shop, f"{language}-09-shop-order-partially-returned")
    shop.get_by_test_id("return-link").click()
    expect(shop.get_by_test_id("return-status")).to_have_attribute("data-status", "refunded")
    _shot(shop, f"{language}-10-shop-return-refunded")
    context.close()

    assert Order.objects.get(pk=order.pk).status == "partially_returned"
    run_tasks()  # notifications answer `return.refunded` (and only that one)
    assert CustomerMessage.objects.filter(event_key=f"return:{rma.pk}:refund_sent").count() == 1
