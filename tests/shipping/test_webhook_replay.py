"""A captured carrier webhook cannot be replayed (issue 17): a timestamp, where the sender sends one, is
signed with the body and must be fresh; every delivery is taken once, whatever its headers say."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from orderloop.shipping import domain, services
from orderloop.shipping.models import PickupPoint, Shipment, ShipmentEvent

from .conftest import WEBHOOK_SECRET
from .fake_carriers import np_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_the_way(packed: Any, fake_np: Any) -> Shipment:
    from tests.orders.helpers import address

    fake_np.warehouses = [np_warehouse("wh-ref-12", "12")]
    services.pickup_points_import(carrier_code="nova_poshta", country="UA", actor=None)
    point = PickupPoint.objects.get(number="12")
    _order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    return Shipment.objects.get(pk=shipment.pk)


def _body(shipment: Shipment, code: str, when: str = "2026-12-04 10:00:00") -> bytes:
    record = {
        "Number": shipment.tracking_number,
        "StatusCode": code,
        "Status": "…",
        "TrackingUpdateDate": when,
    }
    return json.dumps({"data": [record]}).encode()


def _send(body: bytes, headers: dict[str, str]) -> Any:
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return Client().post(
        "/api/v1/shipping/webhooks/nova_poshta", body, content_type="application/json", **extra
    )


def _timestamped(body: bytes, stamp: int) -> dict[str, str]:
    return {
        domain.TIMESTAMP_HEADER: str(stamp),
        domain.SIGNATURE_HEADER: domain.sign(WEBHOOK_SECRET, f"{stamp}.".encode() + body),
    }


def test_a_fresh_timestamped_webhook_is_taken_once(on_the_way: Shipment) -> None:
    body = _body(on_the_way, "7")
    headers = _timestamped(body, int(time.time()))
    first = _send(body, headers)
    assert first.status_code == 200 and first.json()["applied"] == 1 and first.json()["replayed"] is False
    assert Shipment.objects.get(pk=on_the_way.pk).status == "ready_for_pickup"
    events = ShipmentEvent.objects.count()
    again = _send(body, headers)
    assert again.status_code == 200 and again.json()["replayed"] is True and again.json()["recorded"] == 0
    assert ShipmentEvent.objects.count() == events


def test_a_captured_webhook_is_refused_once_its_time_is_past(on_the_way: Shipment) -> None:
    body = _body(on_the_way, "7")
    stale = _send(body, _timestamped(body, int(time.time()) - 10 * 60))
    assert stale.status_code == 400 and stale.json()["code"] == "webhook_timestamp_invalid"
    # Putting a fresh time on the captured signature does not help: the time is signed.
    captured = _timestamped(body, int(time.time()) - 10 * 60)
    captured[domain.TIMESTAMP_HEADER] = str(int(time.time()))
    forged = _send(body, captured)
    assert forged.status_code == 400 and forged.json()["code"] == "webhook_signature_invalid"
    assert Shipment.objects.get(pk=on_the_way.pk).status == "handed_over"
    assert not ShipmentEvent.objects.filter(carrier_code="7").exists()


def test_the_tolerance_is_a_setting(on_the_way: Shipment, settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "WEBHOOK_TOLERANCE_SECONDS": 3600}
    body = _body(on_the_way, "7")
    assert _send(body, _timestamped(body, int(time.time()) - 10 * 60)).status_code == 200


def test_a_body_only_webhook_replayed_later_changes_nothing(on_the_way: Shipment) -> None:
    body = _body(on_the_way, "7")
    headers = {domain.SIGNATURE_HEADER: domain.sign(WEBHOOK_SECRET, body)}
    assert _send(body, headers).json()["applied"] == 1
    replay = _send(body, {**headers, "X-Orderloop-Event-Id": "something-new"})
    assert replay.status_code == 200 and replay.json()["replayed"] is True


def test_webhooks_without_a_timestamp_can_be_refused(on_the_way: Shipment, settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "WEBHOOK_REQUIRE_TIMESTAMP": True}
    body = _body(on_the_way, "7")
    refused = _send(body, {domain.SIGNATURE_HEADER: domain.sign(WEBHOOK_SECRET, body)})
    assert refused.status_code == 400 and refused.json()["code"] == "webhook_timestamp_invalid"
    assert _send(body, _timestamped(body, int(time.time()))).status_code == 200
