"""The fulfilment API: contracts, refusals as 4xx JSON, roles."""

from __future__ import annotations

import json

import pytest

from orderloop.fulfillment.models import ScanRecord
from orderloop.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def warehouse_api(api_client, shop):
    return api_client("Warehouse")


def test_queue_release_pick_and_pack_over_the_api(warehouse_api, shop, ready_order):
    express = ready_order(("TEE", 1), ("SOCKS", 1), priority="express")
    normal = ready_order(("TEE", 1))
    queue = warehouse_api.get("/api/v1/fulfillment/queue?warehouse=kyiv").json()
    assert queue["count"] == 2
    assert [item["number"] for item in queue["items"]] == [express.number, normal.number]
    assert queue["items"][0]["units_to_pick"] == 2

    response = post(warehouse_api, "/api/v1/waves", {"warehouse": "kyiv", "method": "batch", "batch_size": 2})
    assert response.status_code == 201, response.content
    wave = response.json()
    assert (wave["method"], wave["status"], wave["order_count"]) == ("batch", "released", 2)
    assert [t["order"] for t in wave["totes"]] == [express.number, normal.number]
    [summary] = wave["pick_lists"]
    assert summary["units"] == 3
    assert warehouse_api.get(summary["pdf_url"]).content.startswith(b"%PDF")

    pick_list = warehouse_api.get(f"/api/v1/pick-lists/{summary['id']}").json()
    assert [(row["bin"], row["sku"], row["quantity"]) for row in pick_list["rows"]] == [
        ("A-01-01-01", "TEE", 2),
        ("C-01-01-01", "SOCKS", 1),
    ]
    refused = post(warehouse_api, f"/api/v1/pick-lists/{summary['id']}/picks", {"code": "NOT-HERE"})
    assert refused.status_code == 409 and refused.json()["code"] == "wrong_pick_scan"
    for row in pick_list["rows"]:
        picked = post(warehouse_api, f"/api/v1/pick-lists/{summary['id']}/picks", {"code": row["bin"]})
        assert picked.status_code == 200, picked.content
    assert picked.json()["pick_list_status"] == "done"

    opened = post(warehouse_api, "/api/v1/parcels", {"order": express.number, "warehouse": "kyiv"})
    assert opened.status_code == 201
    parcel = opened.json()
    assert (
        post(warehouse_api, "/api/v1/parcels", {"order": express.number, "warehouse": "kyiv"}).status_code
        == 200
    )
    wrong = post(
        warehouse_api, f"/api/v1/parcels/{parcel['id']}/scans", {"code": shop.variants["BOOTS"].barcode}
    )
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "wrong_item" and wrong.json()["details"]["expected"] == ["TEE", "SOCKS"]
    for sku in ("TEE", "SOCKS"):
        scan = post(
            warehouse_api, f"/api/v1/parcels/{parcel['id']}/scans", {"code": shop.variants[sku].barcode}
        )
        assert scan.status_code == 200 and scan.json()["accepted"]
    again = post(
        warehouse_api, f"/api/v1/parcels/{parcel['id']}/scans", {"code": shop.variants["TEE"].barcode}
    )
    assert again.json()["code"] == "too_many"
    packed = post(warehouse_api, f"/api/v1/parcels/{parcel['id']}/pack", {"box": "s", "weight_g": 450})
    assert packed.status_code == 200
    body = packed.json()
    assert (body["status"], body["box"], body["weight_g"], body["suggested_box"]) == ("packed", "s", 450, "s")
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [("TEE", 1), ("SOCKS", 1)]
    assert Order.objects.get(pk=express.pk).status == OrderStatus.PACKED
    assert warehouse_api.get(body["packing_slip_url"]).content.startswith(b"%PDF")

    # Shipping's view: packed parcels.
    listed = warehouse_api.get("/api/v1/parcels?status=packed").json()
    assert [p["number"] for p in listed["items"]] == [f"{express.number}-1"]
    accuracy = warehouse_api.get("/api/v1/fulfillment/pick-accuracy?warehouse=kyiv").json()
    assert accuracy == {
        "accepted_units": 2,
        "wrong_items": 1,
        "too_many": 1,
        "unknown_codes": 0,
        "mispicks": 1,
        "accuracy": "0.6667",
    }
    assert ScanRecord.objects.filter(stage="pack").count() == 4


def test_short_pick_over_the_api(warehouse_api, shop, ready_order):
    ready_order(("CAP", 1))
    wave = post(warehouse_api, "/api/v1/waves", {"warehouse": "kyiv", "method": "single"}).json()
    list_id = wave["pick_lists"][0]["id"]
    [row] = warehouse_api.get(f"/api/v1/pick-lists/{list_id}").json()["rows"]
    too_many_found = post(
        warehouse_api, f"/api/v1/pick-lists/{list_id}/shorts", {"stock_id": row["stock_id"], "found": 1}
    )
    assert too_many_found.status_code == 422 and "found" in too_many_found.json()["details"]
    short = post(
        warehouse_api, f"/api/v1/pick-lists/{list_id}/shorts", {"stock_id": row["stock_id"], "found": 0}
    )
    assert short.status_code == 200
    assert short.json() == {
        "found": 0,
        "short": 1,
        "reallocated": [{"warehouse": "lviv", "quantity": 1}],
        "backordered": 0,
        "pick_list_status": "done",
    }


def test_refusals_are_json_with_stable_codes(warehouse_api, shop, ready_order):
    assert (
        post(warehouse_api, "/api/v1/waves", {"warehouse": "kyiv", "method": "single"}).json()["code"]
        == "nothing_to_pick"
    )
    bad = post(warehouse_api, "/api/v1/waves", {"warehouse": "nowhere", "method": "teleport"})
    assert bad.status_code == 422 and set(bad.json()["details"]) == {"warehouse", "method"}
    assert post(warehouse_api, "/api/v1/waves", {"warehouse": "kyiv"}).status_code == 422
    assert warehouse_api.get("/api/v1/waves/999").json()["code"] == "wave_not_found"
    assert warehouse_api.get("/api/v1/pick-lists/999").status_code == 404
    assert (
        post(warehouse_api, "/api/v1/parcels/999/scans", {"code": "X"}).json()["code"] == "parcel_not_found"
    )
    order = ready_order(("TEE", 1))
    not_picking = post(warehouse_api, "/api/v1/parcels", {"order": order.number, "warehouse": "kyiv"})
    assert not_picking.status_code == 409 and not_picking.json()["code"] == "order_not_in_warehouse"
    assert (
        post(warehouse_api, "/api/v1/parcels", {"order": "nope", "warehouse": "kyiv"}).json()["code"]
        == "order_not_found"
    )
    assert warehouse_api.get("/api/v1/fulfillment/queue?warehouse=kyiv&limit=0").status_code == 422
    post(warehouse_api, "/api/v1/waves", {"warehouse": "kyiv", "method": "single"})
    picked = warehouse_api.get("/api/v1/waves").json()["items"][0]
    pick_list = warehouse_api.get(f"/api/v1/waves/{picked['id']}").json()["pick_lists"][0]
    for row in warehouse_api.get(f"/api/v1/pick-lists/{pick_list['id']}").json()["rows"]:
        post(warehouse_api, f"/api/v1/pick-lists/{pick_list['id']}/picks", {"code": row["barcode"]})
    parcel = post(warehouse_api, "/api/v1/parcels", {"order": order.number, "warehouse": "kyiv"}).json()
    empty = post(warehouse_api, f"/api/v1/parcels/{parcel['id']}/pack", {"box": "s", "weight_g": 100})
    assert empty.status_code == 409 and empty.json()["code"] == "parcel_empty"
    float_weight = post(
        warehouse_api, f"/api/v1/parcels/{parcel['id']}/pack", {"box": "s", "weight_g": "heavy"}
    )
    assert float_weight.status_code == 422
    cancelled = post(warehouse_api, f"/api/v1/parcels/{parcel['id']}/cancel", {"reason": "damaged box"})
    assert cancelled.json()["status"] == "cancelled"
    again = post(warehouse_api, f"/api/v1/parcels/{parcel['id']}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "invalid_parcel_transition"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("Warehouse", 200, 409),
        ("Manager", 200, 403),
        ("Analyst", 200, 403),
        ("Courier", 403, 403),
        ("Support", 403, 403),
    ],
)
def test_roles(api_client, shop, role, read, write):
    client = api_client(role)
    assert client.get("/api/v1/fulfillment/queue?warehouse=kyiv").status_code == read
    assert post(client, "/api/v1/waves", {"warehouse": "kyiv", "method": "single"}).status_code == write
