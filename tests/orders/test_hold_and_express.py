"""Issue 16: a held order cannot be confirmed (service, API, card), and an express delivery method is
express priority from every channel (phone form, marketplace import, API), while copying a customer's
last details never changes the delivery method silently."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orderloop.intake.services import order_import_run, order_import_start
from orderloop.orders import services
from orderloop.orders.errors import OrderOnHold
from orderloop.orders.models import Order, OrderStatus

from .helpers import address, customer, payload, place
from .test_pages import entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_staff: Callable[..., User]) -> User:
    return make_staff("Manager", username="maria")


@pytest.fixture
def manager_client(manager: User) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def tee(methods: None, stocked: Callable[..., Any]) -> Any:
    return stocked("TEE-RED-M", 50)


# --- Hold means hold -----------------------------------------------------------------------------------


def test_a_held_order_is_not_confirmed_by_the_service(manager: User, tee: Any) -> None:
    order = place(("TEE-RED-M", 1))
    services.order_hold(order_id=order.pk, actor=manager, reason="address looks wrong")
    with pytest.raises(OrderOnHold) as caught:
        services.order_confirm(order_id=order.pk, actor=manager)
    assert caught.value.code == "order_on_hold"
    with pytest.raises(OrderOnHold):
        services.order_transition(order_id=order.pk, to=OrderStatus.CONFIRMED, actor=manager)
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW and order.on_hold
    assert not order.events.filter(to_status=OrderStatus.CONFIRMED).exists()

    services.order_release_hold(order_id=order.pk, actor=manager)
    assert services.order_confirm(order_id=order.pk, actor=manager).status == OrderStatus.CONFIRMED


def test_the_api_refuses_to_confirm_a_held_order(api_client: Callable[[str], Client], tee: Any) -> None:
    client = api_client("Manager")
    created = client.post(
        "/api/v1/orders", data=json.dumps(payload(("TEE-RED-M", 1))), content_type="application/json"
    )
    number = created.json()["number"]
    client.post(
        f"/api/v1/orders/{number}/hold", data=json.dumps({"reason": "check"}), content_type="application/json"
    )
    response = client.post(f"/api/v1/orders/{number}/confirm", content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "order_on_hold" and response.json()["details"]["hold_reason"] == "check"
    assert Order.objects.get(number=number).status == OrderStatus.NEW


def test_the_card_of_a_held_order_has_no_confirm_button(
    manager_client: Client, manager: User, tee: Any
) -> None:
    order = place(("TEE-RED-M", 1))
    assert 'id="action-confirm"' in manager_client.get(f"/orders/{order.number}/").content.decode()
    services.order_hold(order_id=order.pk, actor=manager, reason="check")
    html = manager_client.get(f"/orders/{order.number}/").content.decode()
    assert 'id="hold-banner"' in html and 'id="action-confirm"' not in html
    # Posting the confirmation anyway is refused on the card, and nothing changes.
    response = manager_client.post(f"/orders/{order.number}/confirm/", {})
    assert response.status_code == 409 and 'id="action-error"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW


# --- Express is express from every channel ------------------------------------------------------------


def test_a_phone_order_with_express_delivery_is_express(manager_client: Client, tee: Any) -> None:
    response = manager_client.post("/orders/new/", entry(delivery_method="express", priority="normal"))
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert (order.channel, order.delivery_method.code, order.priority) == ("phone", "express", "express")
    # A door delivery keeps the priority staff chose.
    manager_client.post("/orders/new/", entry(delivery_method="door_delivery", priority="normal"))
    assert Order.objects.get(delivery_method__code="door_delivery").priority == "normal"


def test_an_imported_marketplace_order_with_express_delivery_is_express(tee: Any) -> None:
    rows = [
        {
            "external_ref": f"MP-{code}",
            "customer": {"name": "Olena", "phone": "+380501234567"},
            "shipping_address": {
                "country": "UA",
                "city": "Kyiv",
                "postal_code": "01001",
                "line1": "Street 1",
            },
            "delivery_method": code,
            "payment_method": "cod",
            "priority": "normal",
            "lines": [{"sku": "TEE-RED-M", "quantity": 1}],
        }
        for code in ("express", "door_delivery")
    ]
    job = order_import_start(
        file_name="orders.json", content=json.dumps(rows), channel="marketplace", actor=None
    )
    order_import_run(import_id=job.pk)
    priorities = dict(Order.objects.values_list("external_ref", "priority"))
    assert priorities == {"MP-express": "express", "MP-door_delivery": "normal"}


def test_an_api_order_with_express_delivery_is_express(api_client: Callable[[str], Client], tee: Any) -> None:
    client = api_client("Manager")
    body = payload(("TEE-RED-M", 1), delivery_method="express")
    response = client.post("/api/v1/orders", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["priority"] == "express"
    assert Order.objects.get().priority == "express"


def test_copying_the_last_details_keeps_the_chosen_delivery_method(manager_client: Client, tee: Any) -> None:
    earlier = place(("TEE-RED-M", 1), delivery_method_code="door_delivery")
    filled = manager_client.get(
        f"/orders/new/customer/?number={earlier.number}&delivery_method=express"
    ).content.decode()
    assert 'value="express" selected' in filled and 'value="door_delivery" selected' not in filled
    assert f"Their last order {earlier.number} went by Courier to the door." in filled

    # The earlier customer is in Sweden, where express is not offered: nothing is chosen for staff, and
    # the form says why.
    swede = place(
        ("TEE-RED-M", 1),
        delivery_method_code="door_delivery",
        shipping_address=address(
            country="SE", city="Stockholm", postal_code="114 55", line1="Drottninggatan 1"
        ),
        customer=customer(phone="+46701234567"),
    )
    filled = manager_client.get(
        f"/orders/new/customer/?number={swede.number}&delivery_method=express"
    ).content.decode()
    assert (
        '<option value="" selected>' in filled
        and " selected>" not in filled.split('<option value="" selected>')[1]
    )
    assert "Express courier is not offered in SE: choose another delivery method." in filled

    # Changing the country keeps the method where it is offered, and says so where it is not.
    kept = manager_client.get(
        "/orders/new/delivery-methods/?country=UA&delivery_method=express"
    ).content.decode()
    assert 'value="express" selected' in kept
    gone = manager_client.get(
        "/orders/new/delivery-methods/?country=SE&delivery_method=express"
    ).content.decode()
    assert '<option value="" selected>' in gone and "is not offered in SE" in gone


def test_a_held_order_is_offered_no_move_the_hold_forbids(
    manager_client: Client, manager: User, api_client: Callable[[str], Client], tee: Any
) -> None:
    order = place(("TEE-RED-M", 1))
    services.order_confirm(order_id=order.pk, actor=manager)
    services.order_hold(order_id=order.pk, actor=manager, reason="customer may change the size")
    html = manager_client.get(f"/orders/{order.number}/").content.decode()
    # The generic status form no longer lists a step the hold forbids, and says why instead.
    assert 'value="picking"' not in html and 'value="cancelled"' in html
    assert 'id="hold-blocks"' in html and "customer may change the size" in html
    number = order.number
    out = api_client("Manager").get(f"/api/v1/orders/{number}").json()
    assert "picking" not in out["allowed_next"] and "cancelled" in out["allowed_next"]

    new = place(("TEE-RED-M", 1))
    services.order_hold(order_id=new.pk, actor=manager, reason="check")
    html = manager_client.get(f"/orders/{new.number}/").content.decode()
    assert 'value="confirmed"' not in html
    assert "confirmed" not in api_client("Manager").get(f"/api/v1/orders/{new.number}").json()["allowed_next"]

    services.order_release_hold(order_id=new.pk, actor=manager)
    assert 'value="confirmed"' in manager_client.get(f"/orders/{new.number}/").content.decode()
