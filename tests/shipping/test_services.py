"""Shipping services on the real database: labels for packed parcels (own courier, Nova Poshta and
PostNord against their fake servers), handover (stock out with SHIPMENT ledger rows, reservations
released, manifest, the order shipped, the customer emailed), carrier events by webhook and polling
(unknown codes kept and flagged, out-of-order events never moving back, replays ignored), the courier
closing deliveries with cash, refusals handed to returns, cancellation and a wave's labels."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from orderloop.core.errors import PermissionDeniedError
from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.notifications.models import CustomerMessage
from orderloop.orders.models import LineAllocation, Order, OrderEvent
from orderloop.payments.selectors import payment_overview
from orderloop.shipping import domain, selectors, services
from orderloop.shipping.errors import (
    AlreadyHandedOver,
    CarrierError,
    CashAmountWrong,
    CourierRequired,
    NotYourDelivery,
    ParcelAlreadyShipped,
    PickupPointRequired,
    WebhookSignatureInvalid,
)
from orderloop.shipping.models import CodCollection, Manifest, PickupPoint, Shipment, ShipmentEvent
from orderloop.shipping.tasks import poll_tracking
from tests.conftest import run_tasks

from .conftest import WEBHOOK_SECRET
from .fake_carriers import np_warehouse, pn_service_point

# Carriers are called outside any transaction (the adapters refuse otherwise): real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def stock(shop, sku: str) -> tuple[int, int]:
    row = StockLevel.objects.get(variant=shop.variants[sku], warehouse=shop.kyiv)
    return row.on_hand, row.reserved


def np_point(fake_np, city="Київ", number="12") -> PickupPoint:
    fake_np.warehouses = [np_warehouse(f"wh-ref-{number}", number, city=city)]
    services.pickup_points_import(carrier_code="nova_poshta", country="UA", city=city)
    return PickupPoint.objects.get(external_id=f"wh-ref-{number}")


def carrier_time(hours: float) -> str:
    """A Nova Poshta event time (Kyiv) `hours` after a day from now: after the handover, which happens
    now, whatever day the suite runs."""
    kyiv = timezone.now().astimezone(ZoneInfo("Europe/Kyiv"))
    return (kyiv + timedelta(days=1, hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


def np_webhook(fake_np, shipment: Shipment, code: str, text: str, when: str, secret: str = WEBHOOK_SECRET):
    fake_np.set_status(shipment.tracking_number, code, text, when)
    body = json.dumps({"data": [fake_np.status_record(shipment.tracking_number)]}).encode()
    return services.webhook_receive(
        carrier_code="nova_poshta", payload=body, headers={"X-Orderloop-Signature": domain.sign(secret, body)}
    )


# --- Own courier: label, handover, delivery with cash -------------------------------------------------------


def test_own_courier_label_handover_and_delivery_with_cash(shop, packed, make_staff, mailoutbox):
    courier = make_staff("Courier", username="kostya")
    order, parcel = packed(("TEE", 2), ("SOCKS", 1))
    before_tee, before_socks = stock(shop, "TEE"), stock(shop, "SOCKS")

    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    assert shipment.status == "label_created"
    assert shipment.carrier.code == "own_courier"
    assert shipment.tracking_number.startswith("OL") and len(shipment.tracking_number) == 12
    assert shipment.cod_amount == order.total_amount  # cash on delivery: all of it

    with pytest.raises(CourierRequired):
        services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    shipment.refresh_from_db()
    assert shipment.status == "handed_over" and shipment.courier == courier
    # The units left: on hand and reserved both down, SHIPMENT ledger rows, the reservation gone.
    assert stock(shop, "TEE") == (before_tee[0] - 2, before_tee[1] - 2)
    assert stock(shop, "SOCKS") == (before_socks[0] - 1, before_socks[1] - 1)
    assert StockMovement.objects.filter(reason="shipment", reference=f"order {order.number}").count() == 2
    assert not LineAllocation.objects.filter(line__order=order).exists()
    assert ledger_mismatches() == []
    assert Order.objects.get(pk=order.pk).status == "shipped"
    assert Manifest.objects.get().shipments.get() == shipment
    run_tasks()  # the customer's emails are a consumer of the shipment events
    assert CustomerMessage.objects.filter(order=order, kind="parcel_shipped").count() == 1

    # A second handover is refused and takes nothing more.
    with pytest.raises(AlreadyHandedOver):
        services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    assert stock(shop, "TEE") == (before_tee[0] - 2, before_tee[1] - 2)

    deliveries = selectors.courier_deliveries(courier=courier)
    assert [d.shipment for d in deliveries] == [shipment] and deliveries[0].cod_due == order.total_amount

    with pytest.raises(CashAmountWrong):
        services.delivery_mark_delivered(shipment_id=shipment.pk, actor=courier, cash_collected="1.00")
    services.delivery_mark_delivered(
        shipment_id=shipment.pk, actor=courier, cash_collected=str(order.total_amount)
    )
    shipment.refresh_from_db()
    assert shipment.status == "delivered" and shipment.delivered_at is not None
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert payment_overview(order_id=order.pk).state == "paid"
    assert CodCollection.objects.get(shipment=shipment).amount == order.total_amount
    run_tasks()  # the customer's emails are a consumer of the shipment events
    assert CustomerMessage.objects.filter(order=order, kind="parcel_delivered").count() == 1
    # Closed: a courier cannot reopen it by marking it failed.
    with pytest.raises(Exception, match="cannot"):
        services.delivery_mark_failed(shipment_id=shipment.pk, actor=courier, reason="not_home")

    [row] = selectors.cod_reconciliation(day=shipment.delivery_date)
    assert (row.expected, row.collected, row.handed_in) == (order.total_amount, order.total_amount, None)
    services.cod_handover_record(
        courier_username="kostya",
        day=shipment.delivery_date,
        currency="UAH",
        amount=str(order.total_amount),
        actor=None,
    )
    [row] = selectors.cod_reconciliation(day=shipment.delivery_date)
    assert row.reconciled and row.difference == 0


def test_a_courier_closes_only_their_own_deliveries(packed, make_staff):
    make_staff("Courier", username="kostya")
    other = make_staff("Courier", username="olha")
    support = make_staff("Support", username="sonia")
    order, parcel = packed()
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    with pytest.raises(NotYourDelivery):
        services.delivery_mark_delivered(
            shipment_id=shipment.pk, actor=other, cash_collected=str(order.total_amount)
        )
    with pytest.raises(PermissionDeniedError):
        services.delivery_mark_failed(shipment_id=shipment.pk, actor=support, reason="not_home")
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_over"


def test_failed_attempt_then_refusal_goes_to_returns(packed, make_staff):
    courier = make_staff("Courier", username="kostya")
    order, parcel = packed()
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    services.delivery_mark_failed(shipment_id=shipment.pk, actor=courier, reason="not_home")
    assert Shipment.objects.get(pk=shipment.pk).status == "failed_attempt"
    assert Order.objects.get(pk=order.pk).status == "in_transit"
    with pytest.raises(Exception):  # noqa: B017  (a note is required for "other")
        services.delivery_mark_failed(shipment_id=shipment.pk, actor=courier, reason="other")
    services.delivery_mark_failed(
        shipment_id=shipment.pk, actor=courier, reason="refused", note="changed mind"
    )
    assert Shipment.objects.get(pk=shipment.pk).status == "returned_to_sender"
    assert Order.objects.get(pk=order.pk).status == "refused"
    # The parcel comes back through returns: an approved return with reason "refused" for every unit.
    from orderloop.returns.models import ReturnRequest

    rma = ReturnRequest.objects.get(order=order)
    assert (rma.status, rma.opened_via) == ("approved", "refused")
    assert sorted(rma.lines.values_list("reason", "quantity")) == sorted(
        ("refused", line.quantity) for line in order.lines.all()
    )
    assert OrderEvent.objects.filter(order=order, kind="note", note__contains=rma.number).exists()


def test_store_pickup_ready_then_collected(shop, ready_order, carriers):
    from tests.orders.helpers import address
    from tests.shipping.conftest import pack_order

    order = ready_order(
        ("TEE", 1),
        delivery_method_code="store_pickup",
        shipping_address=address(city="", line1="", postal_code=""),
    )
    parcel = pack_order(order)[0]
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    assert shipment.carrier.code == "store" and shipment.tracking_number.startswith("ST")
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    services.pickup_mark_ready(shipment_id=shipment.pk, actor=None)
    assert Order.objects.get(pk=order.pk).status == "ready_for_pickup"
    run_tasks()  # the customer's emails are a consumer of the shipment events
    assert CustomerMessage.objects.filter(order=order, kind="parcel_ready_for_pickup").exists()
    services.delivery_mark_delivered(
        shipment_id=shipment.pk, actor=None, cash_collected=str(order.total_amount)
    )
    assert Order.objects.get(pk=order.pk).status == "delivered"


def test_cancel_a_label_before_handover_and_label_again(packed):
    _order, parcel = packed()
    first = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    with pytest.raises(ParcelAlreadyShipped):
        services.shipment_create(parcel_id=parcel.pk, actor=None)
    services.shipment_cancel(shipment_id=first.pk, actor=None, reason="wrong service")
    assert Shipment.objects.get(pk=first.pk).status == "cancelled"
    second = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    assert second.pk != first.pk and second.status == "label_created"


def test_labels_for_a_whole_wave(shop, ready_order, carriers):
    from orderloop.fulfillment.models import Wave
    from tests.shipping.conftest import pack_order

    orders = [ready_order(("TEE", 1)), ready_order(("SOCKS", 1))]
    for order in orders:
        pack_order(order)
    wave = Wave.objects.order_by("-id").first()
    result = services.shipments_create_for_wave(wave_id=wave.pk, actor=None)
    assert len(result.shipments) == 1 and not result.failed  # the wave of the second order
    assert services.shipments_create_for_wave(wave_id=wave.pk, actor=None).shipments == []


# --- Nova Poshta: pickup point, label, webhooks, polling ------------------------------------------------------


def test_nova_poshta_pickup_point_label_webhooks_and_polling(shop, packed, fake_np, mailoutbox):
    point = np_point(fake_np)
    order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=__import__("tests.orders.helpers", fromlist=["address"]).address(
            city="Київ", line1=point.label, postal_code=""
        ),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    assert shipment.carrier.code == "nova_poshta" and shipment.pickup_point == point
    assert shipment.tracking_number == "20450000000001" and shipment.carrier_reference == "ref-20450000000001"
    assert shipment.carrier_cost == Decimal("75.00")
    [save] = fake_np.calls("InternetDocument.save")
    props = save.body["methodProperties"]
    assert props["ServiceType"] == "WarehouseWarehouse" and props["RecipientAddress"] == "wh-ref-12"
    assert props["CityRecipient"] == "city-ref-kyiv" and props["RecipientsPhone"].startswith("380")
    assert props["BackwardDeliveryData"][0]["RedeliveryString"] == str(order.total_amount)

    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    assert Order.objects.get(pk=order.pk).status == "shipped"

    # The carrier's events arrive by webhook.
    np_webhook(fake_np, shipment, "5", "Прямує до міста", carrier_time(0))
    assert Shipment.objects.get(pk=shipment.pk).status == "in_transit"
    assert Order.objects.get(pk=order.pk).status == "in_transit"
    # A replayed webhook changes nothing.
    result = np_webhook(fake_np, shipment, "5", "Прямує до міста", carrier_time(0))
    assert result.replayed and result.recorded == 0 and result.applied == 0
    # An unknown code is kept and flagged, not dropped; the status stays.
    result = np_webhook(fake_np, shipment, "999", "Something new", carrier_time(1))
    assert result.unknown_codes == 1
    unknown = ShipmentEvent.objects.get(shipment=shipment, carrier_code="999")
    assert unknown.is_unknown and unknown.status == "" and not unknown.applied
    assert Shipment.objects.get(pk=shipment.pk).needs_attention

    # Polling finds the parcel at the branch.
    fake_np.set_status(shipment.tracking_number, "7", "Прибув на відділення", carrier_time(26))
    poll_tracking.call()
    assert Shipment.objects.get(pk=shipment.pk).status == "ready_for_pickup"
    assert Order.objects.get(pk=order.pk).status == "ready_for_pickup"
    # An older event arriving late does not move it back.
    np_webhook(fake_np, shipment, "6", "У місті одержувача", carrier_time(12))
    assert Shipment.objects.get(pk=shipment.pk).status == "ready_for_pickup"
    late = ShipmentEvent.objects.get(shipment=shipment, carrier_code="6")
    assert late.status == "at_hub" and not late.applied

    np_webhook(fake_np, shipment, "9", "Відправлення отримано", carrier_time(52))
    assert Shipment.objects.get(pk=shipment.pk).status == "delivered"
    assert Order.objects.get(pk=order.pk).status == "delivered"
    run_tasks()  # the customer's emails are a consumer of the shipment events
    kinds = list(CustomerMessage.objects.filter(order=order).values_list("kind", flat=True))
    assert {"parcel_shipped", "parcel_ready_for_pickup", "parcel_delivered"} <= set(kinds)
    timeline = selectors.order_shipments_for_customer(Order.objects.get(pk=order.pk))[0]
    assert [step.label for step in timeline.timeline][-1] == "Delivered"
    assert timeline.tracking_url.endswith(shipment.tracking_number)


def test_webhook_with_a_bad_signature_changes_nothing(packed, fake_np):
    point = np_point(fake_np)
    from tests.orders.helpers import address

    _order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    with pytest.raises(WebhookSignatureInvalid):
        np_webhook(fake_np, shipment, "9", "Отримано", "2026-12-05 12:00:00", secret="wrong")
    assert Shipment.objects.get(pk=shipment.pk).status == "label_created"
    assert not ShipmentEvent.objects.filter(shipment=shipment, carrier_code="9").exists()


def test_nova_poshta_refusal_makes_the_order_refused(packed, fake_np):
    point = np_point(fake_np)
    from tests.orders.helpers import address

    order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    np_webhook(fake_np, shipment, "102", "Відмова одержувача", "2026-12-05 12:00:00")
    assert Shipment.objects.get(pk=shipment.pk).status == "returned_to_sender"
    assert Order.objects.get(pk=order.pk).status == "refused"


def test_pickup_point_required_and_carrier_errors_leave_a_draft(packed, fake_np):
    from tests.orders.helpers import address

    _order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1="somewhere", postal_code=""),
    )
    with pytest.raises(PickupPointRequired):
        services.shipment_create(parcel_id=parcel.pk, actor=None)
    point = np_point(fake_np)
    fake_np.api_key = "rotated"
    with pytest.raises(CarrierError, match="API key expired"):
        services.shipment_create_and_book(parcel_id=parcel.pk, actor=None, pickup_point_id=point.pk)
    draft = Shipment.objects.get(parcel=parcel)
    assert draft.status == "draft" and "API key expired" in draft.last_error
    fake_np.api_key = "np-test-key"
    booked = services.shipment_book(shipment_id=draft.pk)
    assert booked.status == "label_created" and booked.last_error == ""


def test_nova_poshta_cancel_deletes_the_document(packed, fake_np):
    point = np_point(fake_np)
    from tests.orders.helpers import address

    _order, parcel = packed(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_cancel(shipment_id=shipment.pk, actor=None)
    assert (
        fake_np.calls("InternetDocument.delete")[0].body["methodProperties"]["DocumentRefs"]
        == shipment.carrier_reference
    )
    assert fake_np.documents[shipment.tracking_number]["StatusCode"] == "2"


def test_import_pickup_points_upserts_and_deactivates(carriers, fake_np):
    fake_np.warehouses = [
        np_warehouse("a", "1"),
        np_warehouse("b", "2"),
        np_warehouse("c", "1", city="Львів", city_ref="lviv"),
    ]
    first = services.pickup_points_import(carrier_code="nova_poshta", country="UA")
    assert (first.created, first.updated) == (3, 0)
    fake_np.warehouses = fake_np.warehouses[:2]
    second = services.pickup_points_import(carrier_code="nova_poshta", country="UA")
    assert (second.created, second.updated, second.deactivated) == (0, 2, 1)
    assert PickupPoint.objects.get(external_id="a").data["CityRef"] == "city-ref-kyiv"
    call_command("import_pickup_points", "nova_poshta", "--country", "UA", "--city", "Київ")


# --- PostNord --------------------------------------------------------------------------------------------------


def test_postnord_service_point_label_tracking_and_cancel(shop, ready_order, carriers, fake_pn, settings):
    from orderloop.orders.models import DeliveryMethod
    from tests.orders.helpers import address
    from tests.shipping.conftest import pack_order

    DeliveryMethod.objects.filter(code="pickup_point").update(countries=["UA", "SE"])
    fake_pn.service_points = [pn_service_point("SP-1", "ICA Kvantum Odenplan")]
    services.pickup_points_import(carrier_code="postnord", country="SE", city="Stockholm")
    point = PickupPoint.objects.get(external_id="SP-1")
    order = ready_order(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(country="SE", city="Stockholm", line1=point.label, postal_code="11122"),
        customer=__import__("tests.orders.helpers", fromlist=["customer"]).customer(
            phone="+46701234567", name="Anna L"
        ),
    )
    parcel = pack_order(order)[0]
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    assert shipment.carrier.code == "postnord" and shipment.pickup_point == point
    assert shipment.tracking_number.startswith("00373500")
    assert bytes(shipment.carrier_label).startswith(b"%PDF")
    [booking] = fake_pn.calls("/rest/shipment/v3/edi/labels/pdf")
    body = booking.body["shipment"][0]
    assert body["service"]["basicServiceCode"] == "19"
    assert body["parties"]["deliveryParty"]["partyIdentification"] == {
        "partyId": "SP-1",
        "partyIdType": "156",
    }
    assert "A7" in body["service"]["additionalServiceCode"]  # cash on delivery

    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    fake_pn.add_event(shipment.tracking_number, "EN_ROUTE", "21", "2026-12-03T06:00:00", "Departed terminal")
    fake_pn.add_event(
        shipment.tracking_number, "AVAILABLE_FOR_DELIVERY", "96", "2026-12-04T11:00:00", "At service point"
    )
    services.shipments_poll()
    assert Shipment.objects.get(pk=shipment.pk).status == "ready_for_pickup"
    assert Order.objects.get(pk=order.pk).status == "ready_for_pickup"


def test_postnord_cancel_sends_a_deletion(shop, ready_order, carriers, fake_pn):
    from tests.orders.helpers import address, customer
    from tests.shipping.conftest import pack_order

    order = ready_order(
        ("TEE", 1),
        shipping_address=address(
            country="SE", city="Stockholm", line1="Drottninggatan 5", postal_code="111 22"
        ),
        customer=customer(phone="+46701234567"),
    )
    parcel = pack_order(order)[0]
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    assert shipment.service.code == "home"
    services.shipment_cancel(shipment_id=shipment.pk, actor=None)
    assert fake_pn.deleted == [shipment.tracking_number]
