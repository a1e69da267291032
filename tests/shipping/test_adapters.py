"""The carrier adapters on their own, against the fake servers over real HTTP: the documented request
shapes go out, the documented answers and errors come back as our values (CarrierError with the
carrier's own message), paging, webhooks' signatures, and the rule that no carrier is called inside a
database transaction."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from orderloop.shipping import domain
from orderloop.shipping.adapters import nova_poshta as np_module
from orderloop.shipping.adapters.base import Address, PointRef, ShipmentRequest
from orderloop.shipping.adapters.nova_poshta import NovaPoshtaCarrier
from orderloop.shipping.adapters.postnord import PostNordCarrier
from orderloop.shipping.errors import (
    CarrierError,
    CarrierNotConfigured,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
)

from .conftest import WEBHOOK_SECRET
from .fake_carriers import FAKE_LABEL, np_warehouse, pn_service_point


def request(**overrides: Any) -> ShipmentRequest:
    values: dict[str, Any] = {
        "reference": "1001-1",
        "service_code": "WarehouseWarehouse",
        "sender": Address(
            name="Shop", phone="+380441234567", country="UA", city="Kyiv", line1="12 Promyslova St"
        ),
        "recipient": Address(
            name="Olena Shevchenko", phone="+380501234567", country="UA", city="Київ", line1="Відділення №1"
        ),
        "weight_g": 750,
        "length_mm": 350,
        "width_mm": 250,
        "height_mm": 150,
        "currency": "UAH",
        "declared_value": Decimal("1200.00"),
        "cod_amount": Decimal("1320.00"),
        "description": "Cotton T-shirt",
        "ship_date": date(2026, 12, 2),
        "pickup_point": PointRef(
            external_id="wh-ref-1", number="1", city="Київ", country="UA", data={"CityRef": "city-ref-kyiv"}
        ),
        "local_id": 5,
    }
    values.update(overrides)
    return ShipmentRequest(**values)


def test_nova_poshta_books_tracks_and_cancels(fake_np: Any) -> None:
    carrier = NovaPoshtaCarrier()
    booked = carrier.create_shipment(request())
    assert booked.tracking_number == "20450000000001" and booked.cost == Decimal("75.00")
    assert booked.estimated_delivery == date(2026, 12, 5)
    body = fake_np.calls("InternetDocument.save")[0].body
    assert (
        body["apiKey"] == fake_np.api_key
        and body["modelName"] == "InternetDocument"
        and body["calledMethod"] == "save"
    )
    props = body["methodProperties"]
    assert props["Weight"] == "0.75" and props["DateTime"] == "02.12.2026" and props["SeatsAmount"] == "1"
    assert props["OptionsSeat"][0] == {
        "volumetricLength": "35",
        "volumetricWidth": "25",
        "volumetricHeight": "15",
        "weight": "0.75",
    }
    assert props["BackwardDeliveryData"] == [
        {"PayerType": "Recipient", "CargoType": "Money", "RedeliveryString": "1320.00"}
    ]

    fake_np.set_status(booked.tracking_number, "101", "На шляху до одержувача", "2026-12-04 09:15:00")
    [event] = carrier.track([booked.tracking_number], phones={booked.tracking_number: "+380501234567"})
    assert (event.code, event.tracking_number) == ("101", booked.tracking_number)
    assert event.occurred_at is not None and event.occurred_at.isoformat().startswith("2026-12-04T09:15:00")
    sent = fake_np.calls("TrackingDocument.getStatusDocuments")[0].body["methodProperties"]["Documents"]
    assert sent == [{"DocumentNumber": booked.tracking_number, "Phone": "380501234567"}]

    carrier.cancel(
        tracking_number=booked.tracking_number, carrier_reference=booked.carrier_reference, request=request()
    )
    assert fake_np.documents[booked.tracking_number]["StatusCode"] == "2"


def test_nova_poshta_errors_and_rates(fake_np: Any) -> None:
    carrier = NovaPoshtaCarrier()
    with pytest.raises(CarrierError, match="RecipientsPhone is empty"):
        carrier.create_shipment(request(recipient=Address(name="X", phone="", country="UA")))
    [rate] = carrier.rates(request())
    assert rate.cost == Decimal("80.00") and rate.estimated_delivery == date(2026, 12, 5)
    assert fake_np.calls("InternetDocument.getDocumentPrice")[0].body["methodProperties"][
        "RedeliveryCalculate"
    ] == {
        "CargoType": "Money",
        "Amount": "1320.00",
    }
    with pytest.raises(CarrierError, match="API key expired"):
        NovaPoshtaCarrier({**carrier.config, "API_KEY": "wrong"}).call("Address", "getWarehouses", {})
    with pytest.raises(CarrierNotConfigured):
        NovaPoshtaCarrier({}).create_shipment(request())
    with pytest.raises(CarrierError):
        NovaPoshtaCarrier({**carrier.config, "API_URL": "http://127.0.0.1:9/"}).call(
            "Address", "getWarehouses", {}
        )


def test_nova_poshta_pickup_points_are_read_page_by_page(fake_np: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(np_module, "PAGE_LIMIT", 2)
    fake_np.warehouses = [np_warehouse(f"ref-{n}", str(n)) for n in range(1, 6)] + [
        np_warehouse("closed", "99", WarehouseStatus="Closed")
    ]
    points = NovaPoshtaCarrier().pickup_points(country="UA")
    assert [p.external_id for p in points] == ["ref-1", "ref-2", "ref-3", "ref-4", "ref-5"]
    assert len(fake_np.calls("Address.getWarehouses")) == 4  # 6 rows, 2 a page: the 4th is empty
    assert (
        points[0].opening_hours == "Mon 08:00-20:00, Tue 08:00-20:00"
        and points[0].data["CityRef"] == "city-ref-kyiv"
    )


def test_nova_poshta_webhook_signature_and_shape(fake_np: Any) -> None:
    carrier = NovaPoshtaCarrier()
    body = json.dumps(
        {"data": [{"Number": "20450000000001", "StatusCode": "9", "Status": "Отримано"}]}
    ).encode()
    [event] = carrier.parse_webhook(
        payload=body, headers={"X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, body)}
    )
    assert event.code == "9" and event.event_id == "20450000000001:9"
    with pytest.raises(WebhookSignatureInvalid):
        carrier.parse_webhook(payload=body, headers={})
    wrong = json.dumps({"data": "nope"}).encode()
    with pytest.raises(WebhookPayloadInvalid):
        carrier.parse_webhook(
            payload=wrong, headers={"X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, wrong)}
        )


def test_postnord_books_with_the_label_tracks_and_finds_service_points(fake_pn: Any) -> None:
    carrier = PostNordCarrier()
    se = request(
        service_code="19",
        recipient=Address(
            name="Anna Lindqvist", phone="+46701234567", country="SE", city="Stockholm", postal_code="113 22"
        ),
        pickup_point=PointRef(external_id="SP-1", city="Stockholm", postal_code="11322", country="SE"),
        currency="SEK",
    )
    booked = carrier.create_shipment(se)
    assert booked.tracking_number.startswith("00373500") and booked.label_pdf == FAKE_LABEL
    [call] = fake_pn.calls("/rest/shipment/v3/edi/labels/pdf")
    assert call.query["apikey"] == fake_pn.api_key and call.query["paperSize"] == "LABEL"
    shipment = call.body["shipment"][0]
    assert call.body["updateIndicator"] == "Original"
    assert shipment["parties"]["consignor"]["partyIdentification"] == {
        "partyId": "1234567890",
        "partyIdType": "160",
    }
    assert shipment["parties"]["consignee"]["party"]["address"]["postalCode"] == "11322"
    assert shipment["totalGrossWeight"] == {"value": 0.75, "unit": "KGM"}
    assert shipment["codAmount"] == {"value": "1320.00", "currency": "SEK"}

    fake_pn.add_event(booked.tracking_number, "EN_ROUTE", "21", "2026-12-03T06:00:00", city="Jönköping")
    events = carrier.track([booked.tracking_number], phones={})
    assert [e.code for e in events] == ["INFORMED", "EN_ROUTE"] and events[-1].location == "Jönköping"

    fake_pn.service_points = [
        pn_service_point("SP-1", "ICA Odenplan"),
        pn_service_point("SP-2", "Pressbyrån", city="Uppsala"),
    ]
    [point] = carrier.pickup_points(country="SE", city="Stockholm")
    assert (point.external_id, point.address, point.postal_code) == ("SP-1", "Drottninggatan 5", "11122")


def test_postnord_errors_and_webhook(fake_pn: Any) -> None:
    carrier = PostNordCarrier()
    with pytest.raises(CarrierError, match="Invalid apikey"):
        PostNordCarrier({**carrier.config, "API_KEY": "wrong"}).track(["x"], phones={})
    with pytest.raises(CarrierError, match="basicServiceCode is required"):
        carrier.create_shipment(request(service_code=""))
    body = json.dumps(fake_pn.tracking_answer("nothing-yet")).encode()
    assert (
        carrier.parse_webhook(
            payload=body, headers={"X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, body)}
        )
        == []
    )
    fake_pn.add_event("00373500000000000042", "DELIVERED", "71", "2026-12-05T14:00:00")
    body = json.dumps(fake_pn.tracking_answer("00373500000000000042")).encode()
    [event] = carrier.parse_webhook(
        payload=body, headers={"X-Orderloop-Signature": domain.sign(WEBHOOK_SECRET, body)}
    )
    assert event.code == "DELIVERED" and event.tracking_number == "00373500000000000042"
    with pytest.raises(WebhookSignatureInvalid):
        carrier.parse_webhook(payload=body, headers={"X-Orderloop-Signature": "sha256=0"})


@pytest.mark.django_db
def test_no_carrier_call_inside_a_database_transaction(fake_np: Any) -> None:
    with transaction.atomic(), pytest.raises(RuntimeError, match="inside a database transaction"):
        NovaPoshtaCarrier().create_shipment(request())
    assert fake_np.requests == []
