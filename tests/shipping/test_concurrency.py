"""Races against the real database with threads: two desks handing over the same parcel, a carrier
delivering the same webhook twice at once, two desks labelling one parcel — stock leaves once, an
event counts once, a parcel gets one shipment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderloop.inventory.models import StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.notifications.models import CustomerMessage
from orderloop.orders.models import Order
from orderloop.shipping import domain, services
from orderloop.shipping.models import Shipment, ShipmentEvent
from tests.conftest import run_tasks
from tests.fulfillment.test_concurrency import together
from tests.orders.helpers import address

from .conftest import WEBHOOK_SECRET
from .fake_carriers import np_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_desks_handing_over_one_parcel_take_its_stock_once(packed: Any, make_staff: Any) -> None:
    make_staff("Courier", username="kostya")
    order, parcel = packed(("TEE", 2))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    results = together(
        3,
        lambda i: (
            services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya").status
        ),
    )
    assert sorted(results) == ["already_handed_over", "already_handed_over", "handed_over"]
    assert StockMovement.objects.filter(reason="shipment").count() == 1
    assert ledger_mismatches() == []
    run_tasks()  # the customer's emails are a consumer of the shipment events
    assert CustomerMessage.objects.filter(order=order, kind="parcel_shipped").count() == 1


def test_two_desks_labelling_one_parcel_make_one_shipment(packed: Any) -> None:
    _order, parcel = packed(("TEE", 1))
    results = together(2, lambda i: services.shipment_create_and_book(parcel_id=parcel.pk, actor=None).status)
    assert sorted(results) == ["label_created", "parcel_already_shipped"]
    assert Shipment.objects.filter(parcel=parcel).count() == 1


def test_the_same_webhook_twice_at_once_counts_once(packed: Any, fake_np: Any) -> None:
    fake_np.warehouses = [np_warehouse("wh-1", "1")]
    services.pickup_points_import(carrier_code="nova_poshta", country="UA")
    from orderloop.shipping.models import PickupPoint

    point = PickupPoint.objects.get()
    order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    body = json.dumps(
        {
            "data": [
                {
                    "Number": shipment.tracking_number,
                    "StatusCode": "9",
                    "Status": "Отримано",
                    "TrackingUpdateDate": "2026-12-05 12:00:00",
                }
            ]
        }
    ).encode()
    headers = {"X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, body)}
    results = together(
        3,
        lambda i: (
            services.webhook_receive(carrier_code="nova_poshta", payload=body, headers=headers).recorded
        ),
    )
    assert sorted(results) == [0, 0, 1]
    assert ShipmentEvent.objects.filter(shipment=shipment, carrier_code="9").count() == 1
    assert Order.objects.get(pk=order.pk).status == "delivered"
    run_tasks()  # the customer's emails are a consumer of the shipment events
    assert CustomerMessage.objects.filter(order=order, kind="parcel_delivered").count() == 1
