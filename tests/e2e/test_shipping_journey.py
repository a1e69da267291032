"""Issue 7's journey in a real browser: a packed pickup-point parcel gets its Nova Poshta label at the
shipping desk (against the fake carrier server), is handed over by scanning the label, the carrier's
webhook says it arrived at the branch and then that it was collected, and the customer's
follow-the-order page shows the parcel delivered with its timeline and tracking link."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from orderloop.orders.models import Order
from orderloop.shipping import domain, services
from orderloop.shipping.models import PickupPoint, Shipment
from orderloop.storefront.selectors import tracking_url
from tests.fulfillment.conftest import Shop, boxes, ready_order, shop  # noqa: F401  (fixtures)
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.orders.helpers import address
from tests.shipping.conftest import WEBHOOK_SECRET, carriers, fake_np, pack_order  # noqa: F401  (fixtures)
from tests.shipping.fake_carriers import np_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


def scan(page: Any, code: str) -> None:
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-scanner')")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def carrier_webhook(live_server: Any, number: str, code: str, text: str, when: str) -> dict[str, Any]:
    body = json.dumps(
        {"data": [{"Number": number, "StatusCode": code, "Status": text, "TrackingUpdateDate": when}]}
    ).encode()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/shipping/webhooks/nova_poshta",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_packed_label_handover_webhook_delivered_on_the_customer_page(
    page: Any,
    login: Any,
    live_server: Any,
    shop: Shop,  # noqa: F811
    ready_order: Any,  # noqa: F811
    carriers: None,  # noqa: F811
    fake_np: Any,  # noqa: F811
    make_staff: Any,
) -> None:
    make_staff("Warehouse", username="wera", password="ship-pass-1")
    fake_np.warehouses = [np_warehouse("wh-ref-3", "3")]
    services.pickup_points_import(carrier_code="nova_poshta", country="UA", city="Київ")
    point = PickupPoint.objects.get()
    order = ready_order(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    parcel = pack_order(order)[0]

    # The desk: the packed parcel waits for its label.
    login("wera", "ship-pass-1")
    page.goto("/shipping/?warehouse=kyiv")
    row = page.locator(f'#to-label tr[data-parcel="{parcel.number}"]')
    expect(row).to_be_visible()
    row.get_by_role("button", name="Create label").click()
    page.wait_for_url(re.compile(r"/shipping/shipments/\d+/$"))
    shipment = Shipment.objects.get(parcel=parcel)
    expect(page.get_by_test_id("tracking-number")).to_have_text(shipment.tracking_number)
    expect(page.get_by_test_id("shipment-status")).to_have_text("Label created")
    label = page.request.get(page.get_by_test_id("label-link").get_attribute("href"))
    assert (
        label.ok and label.headers["content-type"] == "application/pdf" and label.body().startswith(b"%PDF")
    )
    assert (
        fake_np.calls("InternetDocument.save")[0].body["methodProperties"]["RecipientAddress"] == "wh-ref-3"
    )

    # Handover: scan the label at the desk.
    page.goto("/shipping/")
    expect(page.locator(f'#to-hand-over tr[data-shipment="{shipment.pk}"]')).to_be_visible()
    scan(page, shipment.tracking_number)
    expect(page.locator(".messages")).to_contain_text(f"Handed over: {shipment.tracking_number}")
    expect(page.locator(f'#to-hand-over tr[data-shipment="{shipment.pk}"]')).to_have_count(0)
    assert Order.objects.get(pk=order.pk).status == "shipped"

    # The carrier's webhook: at the branch, then collected.
    assert (
        carrier_webhook(
            live_server, shipment.tracking_number, "7", "Прибув на відділення", "2026-12-04 10:00:00"
        )["applied"]
        == 1
    )
    assert (
        carrier_webhook(
            live_server, shipment.tracking_number, "9", "Відправлення отримано", "2026-12-04 17:30:00"
        )["applied"]
        == 1
    )

    # The customer's page.
    page.goto(urlsplit(tracking_url(order)).path)
    shipments = page.get_by_test_id("shipments")
    expect(shipments.get_by_test_id("shipment-status")).to_have_text("Delivered")
    expect(shipments.get_by_test_id("tracking-number")).to_have_text(shipment.tracking_number)
    expect(shipments.get_by_test_id("tracking-link")).to_have_attribute(
        "href", re.compile(shipment.tracking_number)
    )
    timeline = shipments.get_by_test_id("shipment-timeline")
    for step in ("Label created", "Handed to the carrier", "Ready for pickup", "Delivered"):
        expect(timeline).to_contain_text(step)
    expect(page.get_by_test_id("status-title")).to_contain_text(re.compile("eliver", re.I))
    assert Order.objects.get(pk=order.pk).status == "delivered"
