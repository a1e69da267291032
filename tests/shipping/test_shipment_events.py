"""Issue 18, the event spine in shipping: every status change of a shipment appends its domain event
(`shipment.<status>`) in the same transaction, with what a message to the customer is written from
(order number, carrier, tracking number and link, pickup point, reason, next attempt); a refused or
repeated change appends nothing; the customer's parcel emails are a consumer of these events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orderloop.core.events import catalogue, events_of
from orderloop.core.models import DomainEvent
from orderloop.notifications.models import CustomerMessage
from orderloop.shipping import domain, services
from orderloop.shipping.errors import AlreadyHandedOver, InvalidShipmentTransition
from orderloop.shipping.models import PickupPoint, Shipment
from tests.conftest import run_tasks
from tests.orders.helpers import address

from .conftest import WEBHOOK_SECRET
from .fake_carriers import np_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


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


def today_at(hour: int) -> str:
    return f"{timezone.localdate()} {hour:02d}:00:00"


def own_courier(ctx: dict[str, Any], *, hand_over: bool = True) -> Shipment:
    _order, parcel = ctx["packed"](("TEE", 1))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    if hand_over:
        services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    return shipment


def nova_poshta_doors(ctx: dict[str, Any]) -> Shipment:
    _order, parcel = ctx["packed"](("TEE", 1))
    shipment = services.shipment_create_and_book(
        parcel_id=parcel.pk, actor=None, service_key="nova_poshta.doors"
    )
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    return Shipment.objects.get(pk=shipment.pk)


def nova_poshta_branch(ctx: dict[str, Any]) -> Shipment:
    ctx["fake_np"].warehouses = [np_warehouse("wh-1", "1")]
    services.pickup_points_import(carrier_code="nova_poshta", country="UA")
    point = PickupPoint.objects.get()
    _order, parcel = ctx["packed"](
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    return Shipment.objects.get(pk=shipment.pk)


def created(ctx: dict[str, Any]) -> dict[str, Any]:
    _order, parcel = ctx["packed"](("TEE", 1))
    shipment = services.shipment_create(parcel_id=parcel.pk, actor=ctx["manager"])
    return {
        "shipment": shipment,
        "status": "draft",
        "cash_on_delivery": {"amount": str(shipment.cod_amount), "currency": "UAH"},
    }


def label_created(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"shipment": own_courier(ctx, hand_over=False), "from": "draft"}


def handed_over(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = own_courier(ctx)
    shipment.refresh_from_db()
    return {
        "shipment": shipment,
        "from": "label_created",
        "courier": "kostya",
        "manifest": shipment.manifest.number,
        "delivery_date": shipment.delivery_date.isoformat(),
    }


def in_transit(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = nova_poshta_doors(ctx)
    np_event(shipment, "5", "Прямує до міста одержувача", today_at(9))
    return {"shipment": shipment, "from": "handed_over", "description": "Прямує до міста одержувача"}


def at_hub(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = nova_poshta_doors(ctx)
    np_event(shipment, "6", "У місті одержувача", today_at(9))
    return {"shipment": shipment, "from": "handed_over", "description": "У місті одержувача"}


def out_for_delivery(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = nova_poshta_doors(ctx)
    np_event(shipment, "101", "Прямує до одержувача", today_at(9))
    return {"shipment": shipment, "from": "handed_over"}


def failed_attempt(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = nova_poshta_doors(ctx)
    next_try = timezone.localdate() + timedelta(days=2)
    np_event(
        shipment,
        "111",
        "Невдала спроба доставки",
        today_at(12),
        ScheduledDeliveryDate=next_try.strftime("%d-%m-%Y 00:00:00"),
    )
    return {
        "shipment": shipment,
        "from": "handed_over",
        "reason": "not_home",
        "note": "Невдала спроба доставки",
        "attempt": 1,
        "next_attempt": next_try.isoformat(),
    }


def ready_for_pickup(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = nova_poshta_branch(ctx)
    np_event(shipment, "7", "Прибув у відділення", today_at(10))
    point = shipment.pickup_point
    assert point is not None
    return {
        "shipment": shipment,
        "from": "handed_over",
        "pickup_point": {
            "label": point.label,
            "number": "1",
            "city": point.city,
            "postal_code": point.postal_code,
            "country": "UA",
            "opening_hours": point.opening_hours,
        },
    }


def delivered(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = own_courier(ctx)
    services.delivery_mark_delivered(
        shipment_id=shipment.pk, actor=ctx["courier"], cash_collected=str(shipment.cod_amount)
    )
    return {
        "shipment": shipment,
        "from": "handed_over",
        "source": "courier",
        "cash_collected": {"amount": str(shipment.cod_amount), "currency": "UAH"},
    }


def returned_to_sender(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = own_courier(ctx)
    services.delivery_mark_failed(shipment_id=shipment.pk, actor=ctx["courier"], reason="refused", note="No")
    return {"shipment": shipment, "from": "handed_over", "reason": "refused", "note": "No"}


def cancelled(ctx: dict[str, Any]) -> dict[str, Any]:
    shipment = own_courier(ctx, hand_over=False)
    services.shipment_cancel(shipment_id=shipment.pk, actor=ctx["manager"], reason="Wrong box")
    return {"shipment": shipment, "from": "label_created", "reason": "Wrong box"}


SCENARIOS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "shipment.created": created,
    "shipment.label_created": label_created,
    "shipment.handed_over": handed_over,
    "shipment.in_transit": in_transit,
    "shipment.at_hub": at_hub,
    "shipment.out_for_delivery": out_for_delivery,
    "shipment.failed_attempt": failed_attempt,
    "shipment.ready_for_pickup": ready_for_pickup,
    "shipment.delivered": delivered,
    "shipment.returned_to_sender": returned_to_sender,
    "shipment.cancelled": cancelled,
}


def test_every_shipment_event_type_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(name for name in catalogue() if name.startswith("shipment."))


@pytest.mark.parametrize("event_type", sorted(SCENARIOS))
def test_each_status_change_appends_its_event(
    event_type: str, packed: Any, fake_np: Any, make_staff: Any
) -> None:
    ctx = {
        "packed": packed,
        "fake_np": fake_np,
        "courier": make_staff("Courier", username="kostya"),
        "manager": make_staff("Manager", username="maria"),
    }
    expected = SCENARIOS[event_type](ctx)
    shipment = Shipment.objects.select_related("order", "carrier", "parcel").get(
        pk=expected.pop("shipment").pk
    )
    history = events_of("shipment", shipment.pk)
    # One event per status the shipment went through, numbered without gaps, the last one this type.
    assert [e.sequence for e in history] == list(range(1, len(history) + 1))
    assert history[0].type == "shipment.created"
    (event,) = [e for e in history if e.type == event_type]
    data = event.data
    assert data["order_id"] == shipment.order_id and data["order_number"] == shipment.order.number
    assert data["parcel_number"] == shipment.parcel.number
    assert data["carrier"] == shipment.carrier.code and data["carrier_name"] == shipment.carrier.name
    assert data["tracking_number"] == shipment.tracking_number
    assert data["tracking_url"] == shipment.tracking_url
    if event_type != "shipment.created":
        assert data["to"] == event_type.removeprefix("shipment.")
    for key, value in expected.items():
        assert data[key] == value, key
    if event_type in {"shipment.created", "shipment.cancelled"}:
        assert (event.actor_kind, event.actor_name) == ("staff", "maria")
    if event_type == "shipment.delivered":
        assert (event.actor_kind, event.actor_name) == ("staff", "kostya")


def test_refused_and_repeated_changes_append_nothing(packed: Any, fake_np: Any, make_staff: Any) -> None:
    make_staff("Courier", username="kostya")
    shipment = own_courier({"packed": packed})
    count = DomainEvent.objects.filter(subject_type="shipment", subject_id=str(shipment.pk)).count()
    with pytest.raises(AlreadyHandedOver):
        services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    with pytest.raises(InvalidShipmentTransition):
        services.shipment_cancel(shipment_id=shipment.pk, actor=None)
    assert DomainEvent.objects.filter(subject_type="shipment", subject_id=str(shipment.pk)).count() == count

    # A carrier's event older than what we know, and the same event again: on the timeline, no event.
    np_shipment = nova_poshta_doors({"packed": packed})
    np_event(np_shipment, "101", "Прямує до одержувача", today_at(12))
    before = [e.type for e in events_of("shipment", np_shipment.pk)]
    np_event(np_shipment, "5", "Прямує до міста одержувача", today_at(9))
    np_event(np_shipment, "101", "Прямує до одержувача", today_at(12))
    assert [e.type for e in events_of("shipment", np_shipment.pk)] == before
    assert before[-1] == "shipment.out_for_delivery"
    assert np_shipment.events.count() == 5  # created, label, handed over, 101, the late 5


def test_the_parcel_emails_follow_the_events(packed: Any, make_staff: Any) -> None:
    courier = make_staff("Courier", username="kostya")
    shipment = own_courier({"packed": packed})
    order = shipment.order
    services.delivery_mark_failed(shipment_id=shipment.pk, actor=courier, reason="not_home")
    # Nothing is queued until the consumer runs; then one message per event.
    assert not CustomerMessage.objects.filter(
        order=order, kind__in=["parcel_shipped", "delivery_failed"]
    ).exists()
    run_tasks()
    assert sorted(
        CustomerMessage.objects.filter(
            order=order, kind__in=["parcel_shipped", "delivery_failed"]
        ).values_list("kind", flat=True)
    ) == ["delivery_failed", "parcel_shipped"]
    services.delivery_mark_failed(shipment_id=shipment.pk, actor=courier, reason="no_answer")
    services.delivery_mark_delivered(
        shipment_id=shipment.pk, actor=courier, cash_collected=str(shipment.cod_amount)
    )
    run_tasks()
    run_tasks()  # a second run finds the events consumed: no message twice
    kinds = list(
        CustomerMessage.objects.filter(order=order)
        .exclude(kind__startswith="order_")
        .values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["delivery_failed", "delivery_failed", "parcel_delivered", "parcel_shipped"]
