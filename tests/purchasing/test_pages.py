"""Back-office purchasing pages: replenishment with one click to drafts, suppliers and price lists (incl.
CSV import errors), reorder rules, purchase order actions, receiving by scanner without JavaScript, the
order card's expected date, and who may see what."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.catalog.models import Variant
from orderloop.core.services import staff_user_get_or_create
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders.models import OrderStatus
from orderloop.purchasing import selectors, services
from orderloop.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderStatus,
    Receipt,
    ReorderRule,
    Supplier,
    SupplierItem,
)
from tests.orders.helpers import place

pytestmark = pytest.mark.django_db


def login(role: str) -> Client:
    user, _ = staff_user_get_or_create(username=f"page-{role.lower()}", role=role)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def test_replenishment_page_shows_why_and_one_click_makes_drafts(
    roles: None, stocked: Callable[..., Variant], warehouse: Warehouse, priced: Callable[..., None]
) -> None:
    cap = stocked("CAP-P", 1)
    priced(cap, pack_size=5)
    services.reorder_rule_set(
        variant=cap, warehouse=warehouse, method="min_max", min_quantity=3, max_quantity=12, actor=None
    )
    manager = login("Manager")
    page = manager.get("/purchasing/replenishment/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-sku="CAP-P"' in html and "Linen &amp; Co" in html
    assert "min 3 / max 12" in html and "need 11 → order 15" in html
    key = f"{cap.pk}-{warehouse.pk}"
    created = manager.post("/purchasing/replenishment/order/", {"key": [key], f"quantity_{key}": "20"})
    po = PurchaseOrder.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/purchasing/orders/{po.number}/"
    assert list(po.lines.values_list("sku", "quantity_ordered")) == [("CAP-P", 20)]
    assert "Nothing to order right now." in manager.get("/purchasing/replenishment/").content.decode()


def test_supplier_pages_price_rows_and_csv_import(roles: None, make_variant: Callable[..., Variant]) -> None:
    make_variant("TEE-P1")
    make_variant("TEE-P2")
    manager = login("Manager")
    form = {
        "code": "nordic",
        "name": "Nordic Knit",
        "currency": "SEK",
        "language": "sv",
        "lead_time_days": "4",
        "min_order_quantity": "1",
        "pack_size": "1",
        "is_active": "on",
    }
    created = manager.post("/purchasing/suppliers/new/", form)
    assert created.status_code == 302 and created["Location"] == "/purchasing/suppliers/nordic/"
    again = manager.post("/purchasing/suppliers/new/", form)
    assert again.status_code == 400 and "already exists" in again.content.decode()
    bad_currency = manager.post("/purchasing/suppliers/new/", {**form, "code": "x", "currency": "ZZZ"})
    assert bad_currency.status_code == 400 and "ISO 4217" in bad_currency.content.decode()

    saved = manager.post(
        "/purchasing/suppliers/nordic/",
        {"action": "price", "price-sku": "TEE-P1", "price-price": "39.90", "price-pack_size": "6"},
    )
    assert saved.status_code == 302
    item = SupplierItem.objects.get(variant__sku="TEE-P1")
    assert (str(item.price_amount), item.currency, item.pack_size, item.is_preferred) == (
        "39.90",
        "SEK",
        6,
        True,
    )
    unknown = manager.post(
        "/purchasing/suppliers/nordic/", {"action": "price", "price-sku": "NOPE", "price-price": "1"}
    )
    assert unknown.status_code == 400
    assert "No product has this SKU." in unknown.content.decode()

    bad = SimpleUploadedFile("p.csv", b"sku,price\nTEE-P2,abc\nGHOST,1.00\n")
    refused = manager.post("/purchasing/suppliers/nordic/", {"action": "import", "import-file": bad})
    html = refused.content.decode()
    assert refused.status_code == 400 and 'id="import-errors"' in html
    assert "row 2.price" in html and "row 3.sku" in html
    good = SimpleUploadedFile("p.csv", b"sku,price,preferred\nTEE-P2,12.00,yes\n")
    imported = manager.post("/purchasing/suppliers/nordic/", {"action": "import", "import-file": good})
    assert imported.status_code == 302
    detail = manager.get("/purchasing/suppliers/nordic/").content.decode()
    assert 'data-sku="TEE-P2"' in detail and "Nordic Knit" in detail

    edited = manager.post(
        "/purchasing/suppliers/nordic/",
        {**{f"edit-{k}": v for k, v in form.items()}, "action": "edit", "edit-lead_time_days": "9"},
    )
    assert edited.status_code == 302
    assert Supplier.objects.get(code="nordic").lead_time_days == 9
    assert "Nordic Knit" in manager.get("/purchasing/suppliers/?q=nordic").content.decode()


def test_reorder_rule_page(roles: None, make_variant: Callable[..., Variant], warehouse: Warehouse) -> None:
    make_variant("RULE-1")
    manager = login("Manager")
    missing = manager.post(
        "/purchasing/rules/",
        {
            "sku": "RULE-1",
            "warehouse": "kyiv",
            "method": "min_max",
            "safety_stock": "0",
            "velocity_days": "28",
            "review_days": "14",
        },
    )
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    saved = manager.post(
        "/purchasing/rules/",
        {
            "sku": "RULE-1",
            "warehouse": "kyiv",
            "method": "reorder_point",
            "safety_stock": "4",
            "velocity_days": "28",
            "review_days": "14",
        },
    )
    assert saved.status_code == 302
    rule = ReorderRule.objects.get()
    assert (rule.method, rule.safety_stock) == ("reorder_point", 4)
    assert 'data-sku="RULE-1"' in manager.get("/purchasing/rules/").content.decode()
    assert manager.post(f"/purchasing/rules/{rule.pk}/delete/").status_code == 302
    assert not ReorderRule.objects.exists()


def test_purchase_order_pages_send_receive_without_script_and_close(
    roles: None,
    methods: None,
    stocked: Callable[..., Variant],
    warehouse: Warehouse,
    po_for: Callable[..., Any],
) -> None:
    linen = stocked("LINEN-PG", 0, backorder=True, barcode="4006381333931")
    waiting = place(("LINEN-PG", 1))
    po = po_for((linen, 3), send=False)
    manager = login("Manager")
    detail = manager.get(f"/purchasing/orders/{po.number}/").content.decode()
    assert 'id="action-send"' in detail and 'id="po-receive"' not in detail
    line = manager.post(
        f"/purchasing/orders/{po.number}/line/", {"line-sku": "LINEN-PG", "line-quantity": "4"}
    )
    assert line.status_code == 302 and po.lines.get().quantity_ordered == 4
    sent = manager.post(f"/purchasing/orders/{po.number}/send/", {})
    assert sent.status_code == 302
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.SENT
    # The waiting order's card says when the goods should come, from the purchase order.
    card = manager.get(f"/orders/{waiting.number}/").content.decode()
    assert f'data-po="{po.number}"' in card and "expected" in card
    assert manager.get(f"/purchasing/orders/{po.number}/pdf/")["Content-Type"] == "application/pdf"

    warehouse_staff = login("Warehouse")
    receive = warehouse_staff.get(f"/purchasing/orders/{po.number}/receive/")
    assert receive.status_code == 200
    html = receive.content.decode()
    assert 'id="scan"' in html and 'data-barcode="4006381333931"' in html
    key = re.search(r'name="client_key" value="([0-9a-f]+)"', html)
    assert key is not None
    field = f"qty_{po.lines.get().pk}"
    # No script: Enter in the scan field presses "Add scan", the server counts the unit.
    scanned = warehouse_staff.post(
        f"/purchasing/orders/{po.number}/receive/",
        {"client_key": key.group(1), "action": "scan", "scan": "4006381333931", field: "1"},
    )
    assert scanned.status_code == 200 and f'name="{field}" value="2"' in scanned.content.decode()
    stranger = warehouse_staff.post(
        f"/purchasing/orders/{po.number}/receive/",
        {"client_key": key.group(1), "action": "scan", "scan": "000", field: "2"},
    )
    assert stranger.status_code == 422 and "000 is not on this purchase order." in stranger.content.decode()
    body = {"client_key": key.group(1), "action": "receive", field: "2", "note": "DN-1"}
    received = warehouse_staff.post(f"/purchasing/orders/{po.number}/receive/", body)
    assert received.status_code == 302
    twice = warehouse_staff.post(f"/purchasing/orders/{po.number}/receive/", body)
    assert twice.status_code == 302 and Receipt.objects.count() == 1, "a double click receives once"
    assert StockLevel.objects.get(variant=linen, warehouse=warehouse).on_hand == 2
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.CONFIRMED
    detail = manager.get(f"/purchasing/orders/{po.number}/").content.decode()
    assert waiting.number in detail and 'id="action-close"' in detail

    closed = manager.post(f"/purchasing/orders/{po.number}/close/", {"close-reason": "rest sold out"})
    assert closed.status_code == 302
    detail = manager.get(f"/purchasing/orders/{po.number}/").content.decode()
    assert "2 short" in detail
    assert ledger_mismatches() == [] and selectors.incoming_mismatches() == []


def test_errors_show_on_the_page_not_as_a_500(
    roles: None, methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any]
) -> None:
    po = po_for((stocked("ERR-1", 0), 1), send=False)
    manager = login("Manager")
    no_reason = manager.post(f"/purchasing/orders/{po.number}/cancel/", {"cancel-reason": ""})
    assert no_reason.status_code == 400
    unknown = manager.post(
        f"/purchasing/orders/{po.number}/line/", {"line-sku": "NOPE", "line-quantity": "1"}
    )
    assert unknown.status_code == 422 and "No product has this SKU." in unknown.content.decode()
    services.purchase_order_cancel(po_id=po.pk, actor=None, reason="test")
    resend = manager.post(f"/purchasing/orders/{po.number}/send/", {})
    assert resend.status_code == 409 and 'id="action-error"' in resend.content.decode()
    assert manager.post(f"/purchasing/orders/{po.number}/bogus/", {}).status_code == 404
    assert manager.get("/purchasing/orders/PO-99999/").status_code == 404
    assert login("Warehouse").get(f"/purchasing/orders/{po.number}/receive/").status_code == 200


@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        ("Manager", "/purchasing/", 200),
        ("Warehouse", "/purchasing/", 200),
        ("Warehouse", "/purchasing/replenishment/", 403),
        ("Warehouse", "/purchasing/orders/new/", 403),
        ("Analyst", "/purchasing/replenishment/", 200),
        ("Support", "/purchasing/", 403),
        ("Courier", "/purchasing/suppliers/", 403),
    ],
)
def test_who_sees_purchasing(roles: None, role: str, path: str, expected: int) -> None:
    assert login(role).get(path).status_code == expected


def test_the_nav_links_purchasing_for_those_who_may(roles: None) -> None:
    assert 'href="/purchasing/"' in login("Warehouse").get("/").content.decode()
    assert 'href="/purchasing/"' not in login("Support").get("/").content.decode()


def test_manager_cannot_receive(
    roles: None, methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any]
) -> None:
    po = po_for((stocked("RCV-1", 0), 1))
    assert login("Manager").get(f"/purchasing/orders/{po.number}/receive/").status_code == 403
    assert not Supplier.objects.filter(is_active=False).exists()


def test_serving_backorders_from_stock_on_hand_from_the_page(
    roles: None, methods: None, stocked: Callable[..., Variant], warehouse: Warehouse
) -> None:
    from orderloop.inventory.services import stock_adjust

    linen = stocked("LINEN-SV", 0, backorder=True)
    waiting = place(("LINEN-SV", 1))
    stock_adjust(variant=linen, warehouse=warehouse, delta=1, actor=None, note="found in returns")
    manager = login("Manager")
    page = manager.get("/purchasing/replenishment/").content.decode()
    assert 'id="serve-backorders"' in page and f'data-order="{waiting.number}"' in page
    assert login("Warehouse").post("/purchasing/replenishment/serve/").status_code == 403
    served = manager.post("/purchasing/replenishment/serve/")
    assert served.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.CONFIRMED
    assert "No order waits for stock." in manager.get("/purchasing/replenishment/").content.decode()
