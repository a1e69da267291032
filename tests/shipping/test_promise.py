"""Issue 16, "one promised date": the delivery promise (the customer's chosen day and hours) reads the
same on the order card, the parcel label, the courier's route and the customer's page, and a phone
order with a preferred day goes on that day's route, not today's."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader

from orderloop.core.services import api_token_create
from orderloop.orders.domain import PreferredDelivery
from orderloop.orders.promise import DeliveryPromise, delivery_promise, promise_text
from orderloop.shipping import labels, services
from orderloop.shipping.models import Shipment
from orderloop.storefront.selectors import tracking_url

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(make_staff: Any, role: str, username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_staff(role, username=username))
    return client


def promise_on(page: str, marker: str) -> str:
    """The text of the `.delivery-promise` element inside the element marked `marker`."""
    part = page.split(marker, 1)[1]
    found = re.search(r'<span class="delivery-promise">(.*?)</span>(?:</span>|,|\s|<)', part, re.S)
    assert found, part[:500]
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture
def phone_order_for_a_later_day(packed: Any) -> Any:
    """A phone order whose customer wants it on a day ten days from now, between 10:00 and 14:00."""
    day = timezone.localdate() + timedelta(days=10)
    order, parcel = packed(
        ("TEE", 1),
        channel="phone",
        preferred_delivery=PreferredDelivery(date=day, time_from=time(10), time_to=time(14)),
    )
    assert order.promised_date is not None and order.promised_date < day
    return order, parcel, day


def test_the_promise_reads_the_same_on_card_label_route_and_customer_page(
    phone_order_for_a_later_day: Any, make_staff: Any
) -> None:
    order, parcel, day = phone_order_for_a_later_day
    expected = promise_text(delivery_promise(order), "en")
    assert day.strftime("%Y") in expected and "10:00–14:00" in expected

    courier = logged_in(make_staff, "Courier", "kostya")
    desk = logged_in(make_staff, "Warehouse", "wera")
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    # The desk's scan form, without a day: the customer's day is the route's day.
    desk.post(
        "/shipping/hand-over/", {"code": shipment.tracking_number, "courier": "kostya", "delivery_date": ""}
    )
    shipment.refresh_from_db()
    assert shipment.status == "handed_over" and shipment.delivery_date == day

    manager = logged_in(make_staff, "Manager", "maria")
    card = manager.get(f"/orders/{order.number}/").content.decode()
    assert promise_on(card, 'id="promised-date"') == expected

    with translation.override("en"):
        label = pdf_text(labels.render_label_pdf(Shipment.objects.get(pk=shipment.pk)))
    assert f"Deliver: {expected}" in label

    route = courier.get(f"/shipping/courier/?date={day.isoformat()}").content.decode()
    assert f'data-shipment="{shipment.pk}"' in route
    assert promise_on(route, 'data-testid="promise"') == expected
    today = courier.get("/shipping/courier/").content.decode()
    assert f'data-shipment="{shipment.pk}"' not in today

    customer = Client(HTTP_ACCEPT_LANGUAGE="en").get(urlsplit(tracking_url(order)).path).content.decode()
    assert promise_on(customer, 'data-testid="promise"') == expected

    # In Ukrainian the same promise, written the Ukrainian way, on the customer's page and the label.
    expected_uk = promise_text(delivery_promise(order), "uk")
    customer_uk = Client(HTTP_ACCEPT_LANGUAGE="uk").get(urlsplit(tracking_url(order)).path).content.decode()
    assert promise_on(customer_uk, 'data-testid="promise"') == expected_uk
    with translation.override("uk"):
        assert expected_uk in pdf_text(labels.render_label_pdf(Shipment.objects.get(pk=shipment.pk)))


def test_the_courier_api_and_a_handover_without_a_day_use_the_customers_day(
    phone_order_for_a_later_day: Any, make_staff: Any
) -> None:
    order, parcel, day = phone_order_for_a_later_day
    make_staff("Courier", username="kostya")
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    assert Shipment.objects.get(pk=shipment.pk).delivery_date == day

    token = api_token_create(user=User.objects.get(username="kostya"), name="route").plaintext
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/courier/deliveries").json() == []
    (stop,) = client.get(f"/api/v1/courier/deliveries?date={day.isoformat()}").json()
    assert (stop["order"], stop["promised_date"], stop["time_from"], stop["time_to"]) == (
        order.number,
        day.isoformat(),
        "10:00",
        "14:00",
    )


def test_an_order_without_a_preferred_day_goes_on_todays_route(packed: Any, make_staff: Any) -> None:
    make_staff("Courier", username="kostya")
    order, parcel = packed(("TEE", 1))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    assert Shipment.objects.get(pk=shipment.pk).delivery_date == timezone.localdate()
    # Its promise is the date promised at placement, with no window.
    assert delivery_promise(order) == DeliveryPromise(day=order.promised_date)
