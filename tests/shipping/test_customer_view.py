"""What the customer sees of their parcels: the follow-the-order page's shipments block (status in
their words, tracking number and carrier link, the timeline) and the emails when the parcel ships,
is ready for pickup and is delivered — in the customer's language."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from orderloop.notifications.emails import render_customer_email
from orderloop.notifications.models import CustomerMessage
from orderloop.orders.models import Order
from orderloop.shipping import domain, services
from orderloop.shipping.models import PickupPoint
from orderloop.storefront.selectors import tracking_url
from tests.conftest import run_tasks
from tests.orders.helpers import address

from .conftest import WEBHOOK_SECRET
from .fake_carriers import np_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


def test_follow_the_order_page_and_emails(packed: Any, fake_np: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    fake_np.warehouses = [np_warehouse("wh-7", "7")]
    services.pickup_points_import(carrier_code="nova_poshta", country="UA")
    point = PickupPoint.objects.get()
    order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    page_url = urlsplit(tracking_url(order)).path
    before = Client().get(page_url).content.decode()
    assert 'data-testid="shipments"' in before and shipment.tracking_number in before

    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    for code, when in (
        ("5", "2026-12-03 08:00:00"),
        ("7", "2026-12-04 09:00:00"),
        ("9", "2026-12-04 18:00:00"),
    ):
        body = json.dumps(
            {
                "data": [
                    {
                        "Number": shipment.tracking_number,
                        "StatusCode": code,
                        "Status": "x",
                        "TrackingUpdateDate": when,
                    }
                ]
            }
        ).encode()
        services.webhook_receive(
            carrier_code="nova_poshta",
            payload=body,
            headers={"X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, body)},
        )

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    html = client.get(page_url).content.decode()
    block = html.split('data-testid="shipments"')[1].split("</section>")[0]
    assert "Nova Poshta" in block and f"cargo_number={shipment.tracking_number}" in block
    timeline = block.split('data-testid="shipment-timeline"')[1]
    for label in ("Handed to the carrier", "On its way", "Ready for pickup", "Delivered"):
        assert label in timeline, label
    assert Order.objects.get(pk=order.pk).status == "delivered"

    # The three emails, in the customer's language (Ukrainian), sent by the task worker.
    run_tasks()  # the customer's emails are a consumer of the shipment events
    kinds = set(CustomerMessage.objects.filter(order=order).values_list("kind", flat=True))
    assert {"parcel_shipped", "parcel_ready_for_pickup", "parcel_delivered"} <= kinds
    run_tasks()
    sent = [m for m in mail.outbox if m.to == [order.customer_email]]
    # The confirmation, "order confirmed" (the order was confirmed before packing), and the 3.
    assert len(sent) == 5 and all(order.number in m.subject for m in sent)
    assert CustomerMessage.objects.filter(order=order, sent_at__isnull=True).count() == 0
    shipped = render_customer_email("parcel_shipped", Order.objects.get(pk=order.pk), "en")
    assert (
        shipped is not None and shipment.tracking_number in shipped.text and "on its way" in shipped.subject
    )
    ready = render_customer_email("parcel_ready_for_pickup", Order.objects.get(pk=order.pk), "en")
    assert ready is not None and "ready for pickup" in ready.subject and point.label in ready.text
