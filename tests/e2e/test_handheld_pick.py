"""The handheld pick screen on a phone-sized scanner (412 × 915, as a Zebra TC-series or a mid-range
Android phone): it fits the width with no sideways scrolling, the header takes one short line, and
picking goes unit by unit — one scan confirms one unit, the quantity key confirms a counted bulk."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from orderloop.fulfillment import services
from orderloop.fulfillment.models import PickList, PickTask
from tests.fulfillment.conftest import Shop, boxes, methods, ready_order, shop  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

HANDHELD = {"width": 412, "height": 915}


@pytest.fixture
def handheld(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport=HANDHELD, locale="en-US", has_touch=True)
    context.set_default_timeout(10_000)
    context.base_url = live_server.url
    yield context
    context.close()


def sign_in(context: Any, language: str) -> Any:
    base_url = context.base_url
    context.add_cookies([{"name": "orderloop_language", "value": language, "url": base_url}])
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", "picker")
    page.fill("#id_password", "pick-pass-1")
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login/" not in url)
    assert page.evaluate("document.documentElement.lang") == language
    return page


def scan(page: Any, code: str) -> None:
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-scanner')")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def picked(sku: str) -> int:
    return sum(PickTask.objects.filter(variant__sku=sku).values_list("quantity_picked", flat=True))


@pytest.fixture
def pick_list(shop: Shop, ready_order: Any, make_staff: Any) -> PickList:  # noqa: F811
    make_staff("Warehouse", username="picker", password="pick-pass-1")
    product = shop.variants["TEE"].product
    product.name_translations = {
        "uk": "Футболка оверсайз з органічної бавовни «Карпатські вершини» з довгим рукавом",
        "ar": "قميص قطني عضوي واسع بأكمام طويلة مع تطريز قمم الكاربات",
    }
    product.save(update_fields=["name_translations"])
    ready_order(("TEE", 2), ("JEANS", 1), ("SOCKS", 1))
    ready_order(("TEE", 2), ("SOCKS", 4))
    wave = services.wave_release(method="batch", warehouse_code="kyiv", batch_size=2, actor=None)
    return wave.pick_lists.get()


@pytest.mark.parametrize("language", ["en", "uk", "ar"])
def test_the_pick_screen_fits_a_412_px_handheld(handheld: Any, pick_list: PickList, language: str) -> None:
    page = sign_in(handheld, language)
    page.goto(f"/fulfillment/pick/{pick_list.pk}/")
    expect(page.locator(".pick-now")).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= 0.1 * HANDHELD["height"], f"the header takes {header['height']} px"
    for selector in ("#id_code", "#pick-scan-form button[type=submit]", "#pick-rows", "[data-quantity-key]"):
        box = page.locator(selector).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= HANDHELD["width"], selector
    # The menu folds behind one button on the handheld, and opens over the page with every job's pages.
    menu = page.locator(".mainnav .menubar")
    expect(menu).to_be_hidden()
    page.click(".menu-toggle")
    expect(menu).to_be_visible()
    expect(page.locator(".menu-toggle")).to_have_attribute("aria-expanded", "true")
    page.locator('.mainnav details[data-menu="warehouse"] > summary').click()
    expect(
        page.locator('.mainnav details[data-menu="warehouse"] a[href="/fulfillment/pick/"]')
    ).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= HANDHELD["width"]


def test_one_scan_confirms_one_unit_and_the_quantity_key_a_count(
    handheld: Any,
    pick_list: PickList,
    shop: Shop,  # noqa: F811
) -> None:
    page = sign_in(handheld, "en")
    page.goto(f"/fulfillment/pick/{pick_list.pk}/")
    current = page.locator(".pick-now")
    expect(current).to_have_attribute("data-current-sku", "TEE")
    expect(current.locator(".pick-qty")).to_have_text("4")

    scan(page, shop.variants["TEE"].barcode)
    expect(page.locator('[data-scan-outcome="accepted"]')).to_contain_text("Picked 1 × TEE")
    expect(current.locator(".pick-qty")).to_have_text("3")
    assert picked("TEE") == 1

    # The quantity key: the button (or F3, or "*"), the count, Enter, then one scan for all three. (Once
    # the scan's answer has settled: htmx puts the focus back on the autofocus scan field after a swap.)
    expect(page.locator("#id_code")).to_be_focused()
    page.click("[data-quantity-key]")
    expect(page.locator("#id_quantity")).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    scan(page, shop.variants["TEE"].barcode)
    expect(page.locator('[data-scan-outcome="accepted"]')).to_contain_text("Picked 3 × TEE")
    assert picked("TEE") == 4
    # The count is used once: the next scan is one unit again.
    expect(page.locator("#id_quantity")).to_have_value("")
    expect(current).to_have_attribute("data-current-sku", "JEANS")
    scan(page, "B-01-01-01")  # the bin's label counts as one unit too
    expect(page.locator('[data-scan-outcome="accepted"]')).to_contain_text("Picked 1 × JEANS")
    assert picked("JEANS") == 1

    # More than the row asks for is refused and changes nothing.
    expect(page.locator("#id_code")).to_be_focused()
    page.keyboard.press("F3")
    expect(page.locator("#id_quantity")).to_be_focused()
    page.keyboard.type("99")
    page.keyboard.press("Enter")
    page.locator("#id_code").fill(shop.variants["SOCKS"].barcode)
    page.locator("#pick-scan-form button[type=submit]").click()
    expect(page.locator('[data-scan-outcome="refused"]')).to_contain_text("between 1 and 5")
    assert picked("SOCKS") == 0
