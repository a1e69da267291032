"""Issue 2's journey in a real browser: log in, switch to Arabic (RTL), create a product, adjust its stock
and watch the live stock page change without reloading it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from orderloop.catalog.domain import ean13_with_check_digit
from orderloop.catalog.models import Variant
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.selectors import ledger_mismatches

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(make_staff: Any) -> Any:
    return make_staff("Admin", username="boss", password="journey-pass-1")


def test_login_rtl_create_product_adjust_stock_live_page(
    page: Any, login: Any, admin: Any, settings: Any
) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "STOCK_PAGE_POLL_SECONDS": 1}
    Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", priority=1)
    login("boss", "journey-pass-1")

    # Arabic: the whole page turns right-to-left; back to English afterwards.
    page.select_option("#language-select", "ar")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    page.select_option("#language-select", "en")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    # A product with one variant, made through the back-office form.
    barcode = ean13_with_check_digit("482000000123")
    page.goto("/catalog/new/")
    page.fill("#id_name", "Linen shirt Breeze")
    page.fill("#id_variants-0-sku", "LIN-BREEZE-WHITE-L")
    page.fill("#id_variants-0-barcode", barcode)
    page.fill("#id_variants-0-attributes", "size=L; colour=White")
    page.fill("#id_variants-0-price", "1299.00")
    page.fill("#id_variants-0-currency", "UAH")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_contain_text("Linen shirt Breeze")
    variant = Variant.objects.get(sku="LIN-BREEZE-WHITE-L")
    assert variant.barcode == barcode and variant.attributes == {"size": "L", "colour": "White"}

    # The live stock page, filtered to the new SKU, is open while stock arrives in another tab.
    page.goto("/stock/?q=LIN-BREEZE-WHITE-L")
    row = page.locator('tr[data-sku="LIN-BREEZE-WHITE-L"][data-warehouse="kyiv"]')
    expect(row).to_have_count(0)

    other = page.context.new_page()
    other.goto("/stock/adjust/?sku=LIN-BREEZE-WHITE-L&warehouse=kyiv")
    other.fill("#id_sku", barcode)  # a scanner types the barcode
    other.select_option("#id_warehouse", "kyiv")
    other.fill("#id_quantity", "7")
    other.select_option("#id_reason", "receipt")
    other.locator("#adjust-form button[type=submit]").click()
    other.wait_for_load_state()

    expect(row.locator(".on-hand")).to_have_text("7", timeout=8_000)
    expect(row.locator(".available")).to_contain_text("7")

    # Taking stock out is reflected too; the low-stock badge appears at the threshold.
    other.goto("/stock/adjust/?sku=LIN-BREEZE-WHITE-L&warehouse=kyiv")
    other.fill("#id_sku", "LIN-BREEZE-WHITE-L")
    other.select_option("#id_warehouse", "kyiv")
    other.fill("#id_quantity", "-4")
    other.select_option("#id_reason", "adjustment")
    other.locator("#adjust-form button[type=submit]").click()
    other.wait_for_load_state()
    expect(row.locator(".on-hand")).to_have_text("3", timeout=8_000)
    expect(row).to_have_class(re.compile(r"\blow\b"))

    stock = StockLevel.objects.get(variant=variant, warehouse__code="kyiv")
    assert (stock.on_hand, stock.reserved) == (3, 0)
    assert ledger_mismatches() == []
