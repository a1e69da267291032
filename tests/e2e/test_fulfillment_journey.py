"""Issue 6's journey in a real browser, with the keyboard and a "scanner" (a keyboard wedge: it types
the code into the focused field and presses Enter): the warehouse releases a batch of three orders,
picks the batch list by scanning bins and barcodes, then packs one order at the station — a wrong item
is scanned on purpose and refused with a signal — and closes its parcel in the suggested box."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from orderloop.fulfillment.models import Parcel, PickList, ScanRecord, Tote, Wave
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders.models import Order, OrderStatus
from tests.fulfillment.conftest import Shop, boxes, methods, ready_order, shop  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def journey(shop: Shop, ready_order: Any, make_staff: Any) -> tuple[Shop, list[Order]]:  # noqa: F811
    make_staff("Warehouse", username="wera", password="pick-pass-1")
    orders = [
        ready_order(("TEE", 1), ("SOCKS", 2)),
        ready_order(("TEE", 2), ("JEANS", 1)),
        ready_order(("HOODIE", 1), ("SOCKS", 1), priority="express"),
    ]
    return shop, orders


def scan(page: Any, code: str) -> None:
    """What a keyboard-wedge scanner does: type into whatever has the focus, then Enter."""
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-scanner')")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_pick_a_batch_of_three_and_pack_one_by_scanning(
    page: Any, login: Any, journey: tuple[Shop, list[Order]]
) -> None:
    warehouse_shop, orders = journey
    express = orders[2]
    login("wera", "pick-pass-1")

    # The queue: express first; release the three as one batch.
    page.goto("/fulfillment/?warehouse=kyiv")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-order", express.number)
    page.select_option("#id_method", "batch")
    page.fill("#id_max_orders", "3")
    page.fill("#id_batch_size", "3")
    page.click("#release-form button[type=submit]")
    page.wait_for_url(re.compile(r"/fulfillment/waves/\d+/$"))
    wave = Wave.objects.get()
    assert wave.order_count == 3
    pick_list = PickList.objects.get()
    expect(page.locator("#pick-lists tbody tr")).to_have_count(1)
    expect(page.locator("#totes tbody tr")).to_have_count(3)

    # The handheld: one row per bin in route order, the batch summed; scan the bin or the product.
    page.click(f'#pick-lists tr[data-pick-list="{pick_list.code}"] a:has-text("Pick")')
    expect(page.locator("#pick-rows tbody tr")).to_have_count(4)
    expected = [
        ("A-01-01-01", "TEE", 3),
        ("A-02-01-02", "HOODIE", 1),
        ("B-01-01-01", "JEANS", 1),
        ("C-01-01-01", "SOCKS", 3),
    ]
    for index, (bin_code, sku, quantity) in enumerate(expected):
        current = page.locator(".pick-now")
        expect(current).to_have_attribute("data-current-bin", bin_code)
        expect(current.locator(".pick-qty")).to_have_text(str(quantity))
        code = bin_code if index % 2 else warehouse_shop.variants[sku].barcode  # the bin label or the product
        if index % 2 and quantity > 1:
            # The quantity key ("*" on the handheld's keypad): the count, Enter, then one scan for all.
            page.wait_for_function(
                "document.activeElement && document.activeElement.hasAttribute('data-scanner')"
            )
            page.keyboard.type("*")
            expect(page.locator("#id_quantity")).to_be_focused()
            page.keyboard.type(str(quantity))
            page.keyboard.press("Enter")
            scan(page, code)
            expect(page.locator('[data-scan-outcome="accepted"]')).to_contain_text(
                f"Picked {quantity} × {sku}"
            )
            continue
        for left in range(quantity, 0, -1):  # one scan, one unit
            expect(current.locator(".pick-qty")).to_have_text(str(left))
            scan(page, code)
            expect(page.locator('[data-scan-outcome="accepted"]')).to_contain_text(f"Picked 1 × {sku}")
    expect(page.locator('[data-testid="pick-list-done"]')).to_be_visible()
    pick_list.refresh_from_db()
    assert pick_list.status == "done"

    # The packing station: scan the express order's tote.
    tote = Tote.objects.get(order=express)
    page.goto("/fulfillment/pack/")
    scan(page, tote.code)
    page.wait_for_url(f"**/fulfillment/pack/kyiv/{express.number}/")
    expect(page.locator("#pack-lines tbody tr")).to_have_count(2)

    # A wrong item on purpose: refused, loud and red, and recorded as a mis-pick.
    scan(page, warehouse_shop.variants["BOOTS"].barcode)
    refusal = page.locator('[data-scan-outcome="refused"]')
    expect(refusal).to_contain_text("Wrong item")
    expect(refusal).to_have_attribute("data-refusal", "wrong_item")
    expect(page.locator("body")).to_have_class(re.compile("flash-bad"))
    expect(page.locator('#pack-lines tr[data-sku="HOODIE"]')).to_have_attribute("data-to-pack", "1")

    scan(page, warehouse_shop.variants["HOODIE"].barcode)
    expect(page.locator('[data-scan-outcome="accepted"]')).to_contain_text("HOODIE packed")
    scan(page, warehouse_shop.variants["SOCKS"].barcode)
    expect(page.locator('#pack-lines tr[data-sku="SOCKS"]')).to_have_attribute("data-to-pack", "0")
    # One item too many: refused as well.
    scan(page, warehouse_shop.variants["SOCKS"].barcode)
    expect(page.locator('[data-scan-outcome="refused"]')).to_have_attribute("data-refusal", "too_many")

    # Close the parcel with the keyboard: the suggested box is preselected; Tab to the weight, Enter.
    expect(page.locator('[data-testid="box-suggestion"]')).to_contain_text("M")
    expect(page.locator("#id_box")).to_have_value("m")
    # Let the last scan's answer land first (htmx swaps the station and puts the focus back in the scan
    # field), then walk with Tab like a packer does.
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
        " && document.activeElement && document.activeElement.hasAttribute('data-scanner')"
    )
    page.wait_for_timeout(200)
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-scanner')")
    page.keyboard.press("Tab")  # the Add button
    page.keyboard.press("Tab")  # the box
    page.keyboard.press("Tab")  # the weight
    expect(page.locator("#id_weight_g")).to_be_focused()
    page.keyboard.type("1020")
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="order-packed"]')).to_be_visible()
    expect(page.locator('#parcels tr[data-status="packed"]')).to_have_count(1)

    express.refresh_from_db()
    assert express.status == OrderStatus.PACKED
    parcel = Parcel.objects.get(order=express)
    assert (parcel.box.code, parcel.weight_g) == ("m", 1020)
    assert sorted(parcel.lines.values_list("line__sku", "quantity")) == [("HOODIE", 1), ("SOCKS", 1)]
    assert list(
        ScanRecord.objects.filter(stage="pack")
        .exclude(outcome="accepted")
        .values_list("outcome", flat=True)
        .order_by("id")
    ) == [
        "wrong_item",
        "too_many",
    ]
    others = Order.objects.exclude(pk=express.pk)
    assert set(others.values_list("status", flat=True)) == {OrderStatus.PICKING}  # still to pack
    assert ledger_mismatches() == []
