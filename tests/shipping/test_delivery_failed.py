"""Issue 16, "a failed delivery shows on the order": when our courier or a carrier reports a failed
attempt, the order card flags it with the reason and the next attempt, the order list (and the API)
filter it, the customer gets an email in their language and sees it on the follow-the-order page; the
flag clears when the parcel moves on. The order card links to its shipments, payments and returns."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from orderloop.notifications.models import CustomerMessage
from orderloop.orders.models import Order
from orderloop.orders.promise import format_day
from orderloop.orders.services import shop_calendar
from orderloop.shipping import domain, services
from orderloop.shipping.models import Shipment
from orderloop.storefront.selectors import tracking_url
from tests.conftest import run_tasks

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(make_staff: Any, role: str, username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_staff(role, username=username))
    return client


def plain(html_part: str) -> str:
    """What a reader sees of a piece of HTML: the text without tags."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_part))


def listed(client: Client, query: str) -> list[str]:
    return re.findall(r'<tr data-number="([^"]+)"', client.get(f"/orders/?{query}").content.decode())


def np_event(shipment: Shipment, code: str, text: str, when: str, **extra: str) -> None:
    body = json.dumps(
        {
            "data": [
                {
                    "Number": shipment.tracking_number,
                    "StatusCode": code,
                    "Status": text,
                    "TrackingUpdateDate": when,
                    **extra,
                }
            ]
        }
    ).encode()
    services.webhook_receive(
        carrier_code="nova_poshta",
        payload=body,
        headers={"X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, body)},
    )


def test_a_couriers_failed_attempt_flags_the_order_until_the_parcel_is_delivered(
    packed: Any, make_staff: Any, smtp_server: Any, settings: Any, api_client: Any
) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "SHOP_PHONE": "+380441234567"}
    courier = logged_in(make_staff, "Courier", "kostya")
    manager = logged_in(make_staff, "Manager", "maria")
    order, parcel = packed(("TEE", 1))
    other, other_parcel = packed(("SOCKS", 1))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    today = timezone.localdate()
    next_day = shop_calendar().next_working_day(today + timedelta(days=1))

    courier.post(
        f"/shipping/courier/{shipment.pk}/failed/", {"reason": "not_home", "note": "Intercom broken"}
    )
    shipment.refresh_from_db()
    assert shipment.status == "failed_attempt" and shipment.delivery_date == next_day
    # The parcel is still on its way: the order's status stays in the machine; the flag tells the rest.
    assert Order.objects.get(pk=order.pk).status == "in_transit"

    card = manager.get(f"/orders/{order.number}/").content.decode()
    flag_html = card.split(f'id="delivery-failed-{shipment.pk}"', 1)[1].split("</div>\n</div>", 1)[0]
    flag = plain(flag_html)
    assert "Delivery failed" in card and "Nobody at the address: Intercom broken" in flag
    assert f"Next attempt: {format_day(next_day, 'en')}" in flag and "kostya" in flag
    assert f'href="/shipping/shipments/{shipment.pk}/"' in flag_html
    related = card.split('id="related"', 1)[1].split("</section>", 1)[0]
    assert f'href="/shipping/shipments/{shipment.pk}/"' in related and "Delivery attempt failed" in related
    assert f'href="/payments/orders/{order.number}/"' in related

    # The list filters it, and badges it.
    assert listed(manager, "delivery_failed=yes") == [order.number]
    assert order.number not in listed(manager, "delivery_failed=no") and other.number in listed(
        manager, "delivery_failed=no"
    )
    assert "delivery-failed-badge" in manager.get("/orders/?delivery_failed=yes").content.decode()
    api = api_client("Manager")
    assert [o["number"] for o in api.get("/api/v1/orders?delivery_failed=true").json()["items"]] == [
        order.number
    ]

    # The next attempt is on the courier's route of that day.
    assert (
        f'data-shipment="{shipment.pk}"'
        in courier.get(f"/shipping/courier/?date={next_day}").content.decode()
    )
    assert f'data-shipment="{shipment.pk}"' not in courier.get("/shipping/courier/").content.decode()

    # The customer's page says it, in their words, with the next attempt and the shop's phone.
    page_url = urlsplit(tracking_url(order)).path
    follow = Client(HTTP_ACCEPT_LANGUAGE="en").get(page_url).content.decode()
    notice = follow.split('data-testid="delivery-failed"', 1)[1].split("</div>", 1)[0]
    assert "We could not deliver your parcel: nobody was at the address." in notice
    assert f"Next attempt: {format_day(next_day, 'en')}" in notice and "+380 44 123 4567" in notice
    assert "Intercom broken" not in follow  # the courier's note is for staff

    # The email, once, in the customer's language (Ukrainian), through the outbox.
    run_tasks()  # the customer's emails are a consumer of the shipment events
    assert CustomerMessage.objects.filter(order=order, kind="delivery_failed").count() == 1
    run_tasks()
    texts = {
        str(m["Subject"]).strip(): m.get_body(preferencelist=("plain",)).get_content()
        for m in smtp_server.messages
    }
    (subject,) = [s for s in texts if s.startswith("Не вдалося доставити")]
    text = texts[subject]
    assert order.number in subject and format_day(next_day, "uk") in text and "+380 44 123 4567" in text
    assert "nobody was at the address" not in text
    html_part = next(m for m in smtp_server.messages if str(m["Subject"]).strip() == subject).get_body(
        preferencelist=("html",)
    )
    assert format_day(next_day, "uk") in html_part.get_content()
    run_tasks()
    assert len([m for m in smtp_server.messages if str(m["Subject"]).strip() == subject]) == 1

    # Delivered the next day: the flag clears everywhere.
    courier.post(f"/shipping/courier/{shipment.pk}/delivered/", {"cash_collected": str(shipment.cod_amount)})
    assert Shipment.objects.get(pk=shipment.pk).status == "delivered"
    assert 'id="delivery-failed-' not in manager.get(f"/orders/{order.number}/").content.decode()
    assert listed(manager, "delivery_failed=yes") == []
    assert 'data-testid="delivery-failed"' not in Client().get(page_url).content.decode()
    assert other_parcel.pk  # the other order never had a failed attempt


def test_a_carriers_failed_attempts_flag_the_order_with_its_reason_and_next_day(
    packed: Any, fake_np: Any, make_staff: Any, smtp_server: Any
) -> None:
    manager = logged_in(make_staff, "Manager", "maria")
    order, parcel = packed(("TEE", 1))
    shipment = services.shipment_create_and_book(
        parcel_id=parcel.pk, actor=None, service_key="nova_poshta.doors"
    )
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    day = timezone.localdate()
    first_try, second_try = day + timedelta(days=1), day + timedelta(days=3)
    np_event(shipment, "101", "Прямує до одержувача", f"{day} 09:00:00")
    np_event(
        shipment,
        "111",
        "Невдала спроба доставки",
        f"{day} 12:00:00",
        ScheduledDeliveryDate=first_try.strftime("%d-%m-%Y 00:00:00"),
    )
    card = manager.get(f"/orders/{order.number}/").content.decode()
    flag_html = card.split(f'id="delivery-failed-{shipment.pk}"', 1)[1].split("</div>\n</div>", 1)[0]
    flag = plain(flag_html)
    assert "Nobody at the address: Невдала спроба доставки" in flag and "Nova Poshta" in flag
    assert f"Next attempt: {format_day(first_try, 'en')}" in flag

    # The customer moved the day: another failed attempt (news again), another email; then delivered.
    np_event(
        shipment,
        "112",
        "Дата доставки перенесена Одержувачем",
        f"{day} 13:00:00",
        ScheduledDeliveryDate=second_try.strftime("%d-%m-%Y 00:00:00"),
    )
    card = manager.get(f"/orders/{order.number}/").content.decode()
    assert "Other: Дата доставки перенесена Одержувачем" in plain(card)
    assert f"Next attempt: {format_day(second_try, 'en')}" in card
    run_tasks()  # the customer's emails are a consumer of the shipment events
    assert CustomerMessage.objects.filter(order=order, kind="delivery_failed").count() == 2
    follow = Client(HTTP_ACCEPT_LANGUAGE="en").get(urlsplit(tracking_url(order)).path).content.decode()
    assert f"Next attempt: {format_day(second_try, 'en')}" in follow

    np_event(shipment, "9", "Відправлення отримано", f"{second_try} 15:00:00")
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert 'id="delivery-failed-' not in manager.get(f"/orders/{order.number}/").content.decode()
    run_tasks()
    assert (
        len([m for m in smtp_server.messages if str(m["Subject"]).strip().startswith("Не вдалося доставити")])
        == 2
    )


def test_the_card_links_the_return_a_refusal_opened(packed: Any, make_staff: Any) -> None:
    courier = make_staff("Courier", username="kostya")
    manager = logged_in(make_staff, "Manager", "maria")
    order, parcel = packed(("TEE", 1))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    services.delivery_mark_failed(shipment_id=shipment.pk, actor=courier, reason="refused")
    rma = order.return_requests.get()
    related = manager.get(f"/orders/{order.number}/").content.decode().split('id="related"', 1)[1]
    related = related.split("</section>", 1)[0]
    assert f'href="/returns/{rma.number}/"' in related and "Returned to sender" in related
    # A refusal is no failed attempt to try again: no flag.
    assert 'id="delivery-failed-' not in manager.get(f"/orders/{order.number}/").content.decode()
