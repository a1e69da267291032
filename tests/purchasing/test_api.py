"""The purchasing API's contract: suppliers, price lists (incl. CSV import), reorder rules,
replenishment, purchase orders and receipts; errors as `{"code", "message", "details"}`; roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.catalog.models import Variant
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders.models import OrderStatus
from orderloop.purchasing import selectors
from orderloop.purchasing.models import PurchaseOrder, Receipt, SupplierItem
from tests.orders.helpers import place

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def manager(api_client: Callable[[str], Client]) -> Client:
    return api_client("Manager")


@pytest.fixture
def warehouse_staff(api_client: Callable[[str], Client]) -> Client:
    return api_client("Warehouse")


def _supplier(client: Client, **overrides: Any) -> Any:
    body = {"code": "linenco", "name": "Linen & Co", "currency": "EUR", "email": "orders@linen.example"}
    return client.post("/api/v1/suppliers", {**body, **overrides}, content_type=JSON)


def test_suppliers_create_list_change_and_errors(manager: Client, warehouse_staff: Client) -> None:
    created = _supplier(manager, lead_time_days=12, pack_size=6)
    assert created.status_code == 201, created.content
    assert created.json()["lead_time_days"] == 12 and created.json()["pack_size"] == 6
    duplicate = _supplier(manager, code="LINENCO")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_supplier"
    bad = _supplier(manager, code="other", currency="EURO", email="nope", pack_size=0)
    assert bad.status_code == 422
    assert set(bad.json()["details"]) == {"currency", "email", "pack_size"}
    floaty = _supplier(manager, code="float", lead_time_days=1.5)
    assert floaty.status_code == 422 and "lead_time_days" in floaty.json()["details"]

    listed = warehouse_staff.get("/api/v1/suppliers").json()
    assert [row["code"] for row in listed["items"]] == ["linenco"] and listed["next_cursor"] is None
    changed = manager.patch("/api/v1/suppliers/linenco", {"lead_time_days": 5}, content_type=JSON)
    assert changed.json()["lead_time_days"] == 5
    denied = warehouse_staff.patch("/api/v1/suppliers/linenco", {"name": "x"}, content_type=JSON)
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    missing = manager.get("/api/v1/suppliers/nobody")
    assert missing.status_code == 404 and missing.json()["code"] == "supplier_not_found"


def test_price_list_rows_and_csv_import_all_or_nothing(
    manager: Client, make_variant: Callable[..., Variant]
) -> None:
    make_variant("TEE-1")
    make_variant("TEE-2")
    _supplier(manager)
    row = manager.put(
        "/api/v1/suppliers/linenco/prices",
        {"sku": "TEE-1", "price": "4.50", "pack_size": 12},
        content_type=JSON,
    )
    assert row.status_code == 200, row.content
    assert row.json()["price"] == {"amount": "4.50", "currency": "EUR"}
    assert row.json()["pack_size"] == 12 and row.json()["preferred"] is True, (
        "the first supplier is preferred"
    )
    floaty = manager.put(
        "/api/v1/suppliers/linenco/prices", {"sku": "TEE-1", "price": 4.5}, content_type=JSON
    )
    assert floaty.status_code == 422

    bad = SimpleUploadedFile("prices.csv", b"sku;price;moq\nTEE-1;3,90;10\nNOPE;1.00;\nTEE-2;abc;\n")
    refused = manager.post("/api/v1/suppliers/linenco/prices/import", {"file": bad})
    assert refused.status_code == 422 and refused.json()["code"] == "price_list_invalid"
    assert set(refused.json()["details"]) == {"row 3.sku", "row 4.price"}
    assert SupplierItem.objects.get(variant__sku="TEE-1").price_amount == 450 / 100, "nothing was written"

    good = SimpleUploadedFile(
        "prices.csv", b"sku;price;moq;supplier_sku\nTEE-1;3,90;10;LC-1\nTEE-2;5.10;;LC-2\n"
    )
    imported = manager.post("/api/v1/suppliers/linenco/prices/import", {"file": good})
    assert imported.status_code == 201, imported.content
    assert imported.json() == {"rows": 2, "created": 1, "updated": 1}
    prices = {p["sku"]: p for p in manager.get("/api/v1/suppliers/linenco/prices").json()}
    assert prices["TEE-1"]["price"]["amount"] == "3.90" and prices["TEE-1"]["min_order_quantity"] == 10
    assert prices["TEE-2"]["supplier_sku"] == "LC-2"


def test_reorder_rules_replenishment_and_drafts(
    manager: Client, make_variant: Callable[..., Variant], warehouse: Warehouse
) -> None:
    make_variant("CAP-1")
    _supplier(manager, min_order_quantity=5)
    manager.put("/api/v1/suppliers/linenco/prices", {"sku": "CAP-1", "price": "2.00"}, content_type=JSON)
    bad = manager.put(
        "/api/v1/reorder-rules", {"sku": "CAP-1", "warehouse": "kyiv", "method": "min_max"}, content_type=JSON
    )
    assert bad.status_code == 422 and {"min_quantity", "max_quantity"} <= set(bad.json()["details"])
    rule = manager.put(
        "/api/v1/reorder-rules",
        {"sku": "CAP-1", "warehouse": "kyiv", "method": "min_max", "min_quantity": 2, "max_quantity": 8},
        content_type=JSON,
    )
    assert rule.status_code == 200, rule.content
    [suggestion] = manager.get("/api/v1/replenishment").json()
    assert suggestion["sku"] == "CAP-1" and suggestion["supplier"] == "linenco"
    assert (suggestion["position"], suggestion["raw_quantity"], suggestion["quantity"]) == (0, 8, 8)
    assert suggestion["reasons"]
    drafts = manager.post("/api/v1/replenishment/purchase-orders", {}, content_type=JSON)
    assert drafts.status_code == 201
    [po] = drafts.json()
    assert po["status"] == "draft" and po["lines"][0]["quantity_ordered"] == 8
    assert po["total"] == {"amount": "16.00", "currency": "EUR"}
    assert manager.get("/api/v1/replenishment").json() == []


def test_purchase_order_send_receive_with_idempotency_and_errors(
    manager: Client,
    warehouse_staff: Client,
    methods: None,
    stocked: Callable[..., Variant],
    warehouse: Warehouse,
) -> None:
    stocked("LINEN-A", 0, backorder=True, barcode="4006381333931")
    waiting = place(("LINEN-A", 2))
    _supplier(manager)
    manager.put("/api/v1/suppliers/linenco/prices", {"sku": "LINEN-A", "price": "7.00"}, content_type=JSON)
    body = {"supplier": "linenco", "warehouse": "kyiv", "lines": [{"sku": "LINEN-A", "quantity": 5}]}
    headers = {"HTTP_IDEMPOTENCY_KEY": "po-1"}
    first = manager.post("/api/v1/purchase-orders", body, content_type=JSON, **headers)
    again = manager.post("/api/v1/purchase-orders", body, content_type=JSON, **headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and PurchaseOrder.objects.count() == 1
    number = first.json()["number"]
    denied = warehouse_staff.post("/api/v1/purchase-orders", body, content_type=JSON)
    assert denied.status_code == 403

    early = warehouse_staff.post(
        f"/api/v1/purchase-orders/{number}/receipts", {"lines": [{"code": "LINEN-A"}]}, content_type=JSON
    )
    assert early.status_code == 409 and early.json()["code"] == "purchase_order_not_receivable"
    sent = manager.post(f"/api/v1/purchase-orders/{number}/send", content_type=JSON)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert sent.json()["allowed_next"] == ["partially_received", "received", "cancelled"]
    assert StockLevel.objects.get(variant__sku="LINEN-A").incoming == 5
    [need] = manager.get("/api/v1/replenishment/backorders").json()
    assert (need["order"], need["quantity"], need["purchase_order"], need["covered"]) == (
        waiting.number,
        2,
        number,
        True,
    )
    pdf = manager.get(sent.json()["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    stranger = warehouse_staff.post(
        f"/api/v1/purchase-orders/{number}/receipts", {"lines": [{"code": "9999"}]}, content_type=JSON
    )
    assert stranger.status_code == 422 and stranger.json()["code"] == "not_on_purchase_order"
    assert "lines.0.code" in stranger.json()["details"]
    manager_receives = manager.post(
        f"/api/v1/purchase-orders/{number}/receipts", {"lines": [{"code": "LINEN-A"}]}, content_type=JSON
    )
    assert manager_receives.status_code == 403, "the warehouse receives"

    scan = {
        "lines": [{"code": "4006381333931"}, {"code": "4006381333931"}, {"code": "LINEN-A", "quantity": 1}]
    }
    receipt_headers = {"HTTP_IDEMPOTENCY_KEY": "delivery-1"}
    received = warehouse_staff.post(
        f"/api/v1/purchase-orders/{number}/receipts", scan, content_type=JSON, **receipt_headers
    )
    assert received.status_code == 201, received.content
    assert received.json()["status"] == "partially_received"
    assert received.json()["lines"] == [{"sku": "LINEN-A", "quantity": 3, "over": 0}]
    assert received.json()["allocated"] == [{"order": waiting.number, "sku": "LINEN-A", "quantity": 2}]
    retried = warehouse_staff.post(
        f"/api/v1/purchase-orders/{number}/receipts", scan, content_type=JSON, **receipt_headers
    )
    assert retried.status_code == 201 and retried["Idempotent-Replayed"] == "true"
    assert Receipt.objects.count() == 1 and StockLevel.objects.get(variant__sku="LINEN-A").on_hand == 3
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.CONFIRMED

    no_reason = manager.post(f"/api/v1/purchase-orders/{number}/cancel", {"reason": ""}, content_type=JSON)
    assert no_reason.status_code == 422
    closed = manager.post(
        f"/api/v1/purchase-orders/{number}/close", {"reason": "rest sold out"}, content_type=JSON
    )
    assert closed.json()["status"] == "received"
    events = manager.get(f"/api/v1/purchase-orders/{number}/events").json()
    assert [e["to_status"] for e in events if e["to_status"]] == [
        "draft",
        "sent",
        "partially_received",
        "received",
    ]
    assert events[-1]["data"]["short"] == [{"sku": "LINEN-A", "ordered": 5, "received": 3, "short": 2}]
    assert [r["id"] for r in warehouse_staff.get(f"/api/v1/purchase-orders/{number}/receipts").json()] == [
        received.json()["id"]
    ]
    listed = manager.get("/api/v1/purchase-orders?status=received").json()
    assert [po["number"] for po in listed["items"]] == [number]
    assert ledger_mismatches() == [] and selectors.incoming_mismatches() == []


def test_draft_lines_can_change_until_sent(
    manager: Client, make_variant: Callable[..., Variant], warehouse: Warehouse
) -> None:
    make_variant("BAG-1")
    make_variant("BAG-2")
    _supplier(manager)
    manager.put("/api/v1/suppliers/linenco/prices", {"sku": "BAG-1", "price": "10.00"}, content_type=JSON)
    no_price = manager.post(
        "/api/v1/purchase-orders",
        {"supplier": "linenco", "warehouse": "kyiv", "lines": [{"sku": "BAG-2", "quantity": 1}]},
        content_type=JSON,
    )
    assert no_price.status_code == 422 and no_price.json()["code"] == "no_supplier_price"
    po = manager.post(
        "/api/v1/purchase-orders",
        {"supplier": "linenco", "warehouse": "kyiv", "lines": [{"sku": "BAG-1", "quantity": 2}]},
        content_type=JSON,
    ).json()
    number = po["number"]
    changed = manager.put(
        f"/api/v1/purchase-orders/{number}/lines",
        {"sku": "BAG-2", "quantity": 3, "unit_price": "1.50"},
        content_type=JSON,
    )
    assert changed.json()["total"]["amount"] == "24.50"
    removed = manager.put(
        f"/api/v1/purchase-orders/{number}/lines", {"sku": "BAG-1", "quantity": 0}, content_type=JSON
    )
    assert [line["sku"] for line in removed.json()["lines"]] == ["BAG-2"]
    manager.post(f"/api/v1/purchase-orders/{number}/send", content_type=JSON)
    locked = manager.put(
        f"/api/v1/purchase-orders/{number}/lines", {"sku": "BAG-2", "quantity": 9}, content_type=JSON
    )
    assert locked.status_code == 409 and locked.json()["code"] == "purchase_order_not_editable"


def test_price_rows_and_rules_can_be_removed(
    manager: Client, make_variant: Callable[..., Variant], warehouse: Warehouse
) -> None:
    make_variant("DEL-1")
    _supplier(manager)
    row = manager.put(
        "/api/v1/suppliers/linenco/prices", {"sku": "DEL-1", "price": "1.00"}, content_type=JSON
    ).json()
    assert manager.delete(f"/api/v1/suppliers/linenco/prices/{row['id']}").status_code == 204
    gone = manager.delete(f"/api/v1/suppliers/linenco/prices/{row['id']}")
    assert gone.status_code == 404 and gone.json()["code"] == "supplier_price_not_found"
    rule = manager.put(
        "/api/v1/reorder-rules",
        {"sku": "DEL-1", "warehouse": "kyiv", "method": "reorder_point", "safety_stock": 2},
        content_type=JSON,
    ).json()
    assert [r["sku"] for r in manager.get("/api/v1/reorder-rules").json()] == ["DEL-1"]
    assert manager.delete(f"/api/v1/reorder-rules/{rule['id']}").status_code == 204
    assert manager.delete(f"/api/v1/reorder-rules/{rule['id']}").json()["code"] == "reorder_rule_not_found"
    unknown = manager.put(
        "/api/v1/reorder-rules", {"sku": "NOPE", "warehouse": "kyiv", "method": "min_max"}, content_type=JSON
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "variant_not_found"
