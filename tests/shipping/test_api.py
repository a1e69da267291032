"""The shipping API's contract: create a label (201), errors as {"code", "message", "details"}, the
label and batch PDFs, handover, the carrier webhook (signature checked, no token), manifests, cash
reconciliation, carriers and pickup points."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from orderloop.inventory.models import StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders.models import Order
from orderloop.shipping import domain
from orderloop.shipping.models import Shipment
from tests.orders.helpers import address

from .conftest import WEBHOOK_SECRET
from .fake_carriers import np_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


def test_label_handover_manifest_and_cash_over_the_api(packed: Any, api_client: Any, make_staff: Any) -> None:
    make_staff("Courier", username="kostya")
    warehouse = api_client("Warehouse")
    manager = api_client("Manager")
    order, parcel = packed()

    created = warehouse.post("/api/v1/shipments", {"parcel": parcel.pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "label_created" and body["service"] == "own_courier.door"
    assert body["cod_amount"] == str(order.total_amount) and body["currency"] == "UAH"

    again = warehouse.post("/api/v1/shipments", {"parcel": parcel.pk}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "parcel_already_shipped"
    missing = warehouse.post("/api/v1/shipments", {"parcel": 999999}, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["details"]["parcel"]
    bad = warehouse.post("/api/v1/shipments", {"parcel": "x"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"

    label = warehouse.get(body["label_url"])
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")

    no_courier = warehouse.post(
        f"/api/v1/shipments/{body['id']}/hand-over", {}, content_type="application/json"
    )
    assert no_courier.status_code == 422 and no_courier.json()["code"] == "courier_required"
    handed = warehouse.post(
        f"/api/v1/shipments/{body['id']}/hand-over", {"courier": "kostya"}, content_type="application/json"
    )
    assert handed.status_code == 200 and handed.json()["status"] == "handed_over"
    twice = warehouse.post(
        f"/api/v1/shipments/{body['id']}/hand-over", {"courier": "kostya"}, content_type="application/json"
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_handed_over"
    cancel = warehouse.post(
        f"/api/v1/shipments/{body['id']}/cancel", {"reason": "late"}, content_type="application/json"
    )
    assert cancel.status_code == 409 and cancel.json()["code"] == "invalid_shipment_transition"

    moved = warehouse.post(
        f"/api/v1/shipments/{body['id']}/route-position", {"position": 1}, content_type="application/json"
    )
    assert moved.status_code == 200
    out_of_range = warehouse.post(
        f"/api/v1/shipments/{body['id']}/route-position", {"position": 0}, content_type="application/json"
    )
    assert out_of_range.status_code == 422 and out_of_range.json()["details"]["position"]

    [manifest] = warehouse.get("/api/v1/manifests").json()
    assert manifest["parcels"] == 1 and manifest["carrier"] == "own_courier"
    assert warehouse.get(manifest["pdf_url"]).content.startswith(b"%PDF")

    delivered = manager.post(
        f"/api/v1/shipments/{body['id']}/delivered",
        {"cash_collected": str(order.total_amount)},
        content_type="application/json",
    )
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    [day] = manager.get("/api/v1/cod/reconciliation").json()
    assert day["courier"] == "kostya" and day["expected"] == str(order.total_amount) and not day["reconciled"]
    handed_in = manager.post(
        "/api/v1/cod/handovers",
        {"courier": "kostya", "date": day["date"], "currency": "UAH", "amount": str(order.total_amount)},
        content_type="application/json",
    )
    assert handed_in.status_code == 201 and handed_in.json()["reconciled"] is True
    listed = manager.get("/api/v1/shipments?status=delivered").json()
    assert listed["count"] == 1 and listed["items"][0]["order"] == order.number


def test_webhook_endpoint_checks_the_signature(packed: Any, api_client: Any, fake_np: Any) -> None:
    fake_np.warehouses = [np_warehouse("wh-1", "1")]
    manager = api_client("Manager")
    imported = manager.post(
        "/api/v1/shipping/pickup-points/import",
        {"carrier": "nova_poshta", "country": "UA"},
        content_type="application/json",
    )
    assert imported.status_code == 200 and imported.json()["created"] == 1
    [point] = manager.get("/api/v1/shipping/pickup-points?carrier=nova_poshta&city=Київ").json()["items"]
    order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point["label"], postal_code=""),
    )
    created = (
        api_client("Warehouse")
        .post("/api/v1/shipments", {"parcel": parcel.pk}, content_type="application/json")
        .json()
    )
    assert created["pickup_point"] == point["id"]
    number = created["tracking_number"]

    body = json.dumps(
        {
            "data": [
                {
                    "Number": number,
                    "StatusCode": "7",
                    "Status": "Прибув",
                    "TrackingUpdateDate": "2026-12-04 10:00:00",
                }
            ]
        }
    ).encode()
    anonymous = Client()
    refused = anonymous.post(
        "/api/v1/shipping/webhooks/nova_poshta",
        body,
        content_type="application/json",
        HTTP_X_ORDERLOOP_SIGNATURE="sha256=00",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "webhook_signature_invalid"
    ok = anonymous.post(
        "/api/v1/shipping/webhooks/nova_poshta",
        body,
        content_type="application/json",
        HTTP_X_ORDERLOOP_SIGNATURE=domain.sign(WEBHOOK_SECRET, body),
    )
    assert ok.status_code == 200 and ok.json()["applied"] == 1
    # At the branch before anyone scanned it out: it was handed over, its stock left with it.
    assert Shipment.objects.get(pk=created["id"]).status == "ready_for_pickup"
    assert StockMovement.objects.filter(reason="shipment", reference=f"order {order.number}").exists()
    assert ledger_mismatches() == [] and Order.objects.get(pk=order.pk).status == "ready_for_pickup"
    garbage = b"not json"
    broken = anonymous.post(
        "/api/v1/shipping/webhooks/nova_poshta",
        garbage,
        content_type="application/json",
        HTTP_X_ORDERLOOP_SIGNATURE=domain.sign(WEBHOOK_SECRET, garbage),
    )
    assert broken.status_code == 422 and broken.json()["code"] == "webhook_payload_invalid"
    unknown = anonymous.post("/api/v1/shipping/webhooks/dhl", body, content_type="application/json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "carrier_not_found"

    carriers = {c["code"]: c for c in manager.get("/api/v1/shipping/carriers").json()}
    assert carriers["nova_poshta"]["configured"] and "nova_poshta.warehouse" in [
        s["key"] for s in carriers["nova_poshta"]["services"]
    ]
    rates = {
        r["service"]: r
        for r in api_client("Warehouse").get(f"/api/v1/shipping/rates?parcel={parcel.pk}").json()
    }
    assert (
        rates["nova_poshta.warehouse"]["cost"] == "80.00"
        and rates["nova_poshta.warehouse"]["estimated_delivery"] == "2026-12-05"
    )


def test_batch_labels_for_a_wave(shop: Any, ready_order: Any, carriers: Any, api_client: Any) -> None:
    from orderloop.fulfillment.models import Wave
    from tests.shipping.conftest import pack_order

    pack_order(ready_order(("TEE", 1)))
    wave = Wave.objects.get()
    client = api_client("Warehouse")
    result = client.post("/api/v1/shipments/batch", {"wave": wave.pk}, content_type="application/json").json()
    assert len(result["shipments"]) == 1 and result["failed"] == []
    pdf = client.get(result["labels_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
