"""Returns through the carrier adapters (shipping/return_port.py, the default RETURN_SHIPPING_PORT),
against the fake carrier servers over real HTTP: a Nova Poshta return of the delivering waybill (the
customer the sender, the shop's return address the recipient) and its tracking moving the return to in
transit and received through the returns task; PostNord booked with the parties swapped; our courier's
pickup with our own return number and label; the shop's own label when the carrier is not configured or
refuses; never a carrier call inside a transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from orderloop.orders.models import DeliveryMethod, Order
from orderloop.returns import services as returns
from orderloop.returns import tasks as return_tasks
from orderloop.returns.models import ReturnRequest
from orderloop.returns.shipping_port import DEFAULT_PORT, return_shipping
from orderloop.shipping import domain, services
from orderloop.shipping.adapters.nova_poshta import phone_digits
from orderloop.shipping.models import PickupPoint, Shipment
from orderloop.shipping.return_port import CarrierReturnShipping
from tests.orders.helpers import address, customer

from .conftest import _carrier_settings, pack_order
from .fake_carriers import np_answer, pn_service_point
from .test_labels import decoded, text
from .test_services import np_point, np_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def now_kyiv() -> str:
    return timezone.localtime(timezone.now(), timezone.get_fixed_timezone(180)).strftime("%Y-%m-%d %H:%M:%S")


def np_delivered(packed: Any, fake_np: Any, *lines: tuple[str, int]) -> tuple[Order, Shipment]:
    """An order delivered by Nova Poshta to a branch (label, handover, the carrier's 'received')."""
    point = np_point(fake_np)
    order, parcel = packed(
        *(lines or (("TEE", 1),)),
        delivery_method_code="pickup_point",
        shipping_address=address(city="Київ", line1=point.label, postal_code=""),
    )
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    np_webhook(fake_np, shipment, "9", "Відправлення отримано", now_kyiv())
    assert Order.objects.get(pk=order.pk).status == "delivered"
    return Order.objects.get(pk=order.pk), Shipment.objects.get(pk=shipment.pk)


def open_return(order: Order, method: str, quantity: int = 1) -> ReturnRequest:
    line = order.lines.order_by("id").first()
    assert line is not None
    rma = returns.return_open(
        order_id=order.pk,
        lines=[returns.LineInput(order_line_id=line.pk, quantity=quantity, reason="wrong_size")],
        method=method,
        channel="portal",
        actor=None,
    )
    assert rma.status == "approved"
    return rma


def status(rma: ReturnRequest) -> str:
    return ReturnRequest.objects.get(pk=rma.pk).status


def test_the_carrier_port_is_the_default(settings: Any) -> None:
    assert DEFAULT_PORT == "orderloop.shipping.return_port.CarrierReturnShipping"
    assert settings.ORDERLOOP["RETURN_SHIPPING_PORT"] == DEFAULT_PORT
    assert isinstance(return_shipping(), CarrierReturnShipping)


def test_nova_poshta_return_of_the_delivered_waybill_and_its_tracking(packed: Any, fake_np: Any) -> None:
    order, shipment = np_delivered(packed, fake_np)
    rma = returns.return_label_create(rma_id=open_return(order, "drop_off").pk)

    assert (rma.carrier, rma.tracking_ref) == ("nova_poshta", "102-00000001")
    [check] = fake_np.calls("AdditionalService.CheckPossibilityCreateReturn")
    assert check.body["methodProperties"] == {"Number": shipment.tracking_number}
    [save] = fake_np.calls("AdditionalService.save")
    props = save.body["methodProperties"]
    assert props["OrderType"] == "orderCargoReturn"
    assert props["IntDocNumber"] == shipment.tracking_number  # the waybill that delivered the order
    assert props["ReturnAddressRef"] == "return-address-ref"  # the shop's, as the carrier offered it
    assert (props["Reason"], props["SubtypeReason"]) == ("reason-ref-1", "subtype-ref-1")
    assert props["Note"] == rma.number and props["PaymentMethod"] == "Cash"
    assert not fake_np.calls("InternetDocument.save")[1:]  # no new outgoing document

    # Sender and recipient swapped: the shop sent the original, the customer sends the return to the
    # shop's return address.
    original = fake_np.documents[shipment.tracking_number]
    assert original["Sender"] == "sender-ref" and original["RecipientsPhone"] == phone_digits(
        order.customer_phone
    )
    waybill = fake_np.return_orders[rma.tracking_ref]["ExpressWaybillNumber"]
    back = fake_np.documents[waybill]
    assert back["ReturnOf"] == shipment.tracking_number
    assert (back["SenderName"], back["SendersPhone"]) == (
        order.customer_name,
        phone_digits(order.customer_phone),
    )
    assert (back["Recipient"], back["RecipientAddress"]) == ("sender-ref", "return-address-ref")

    # Our 100×150 label: the return order as Code 128, the customer's return page as QR, which waybill
    # to name at the branch.
    pdf = rma.label_file.read()
    codes = decoded(pdf)
    assert codes.get("Code128") == rma.tracking_ref
    assert "/shop/returns/" in codes.get("QRCode", "")
    content = text(pdf)
    assert "Nova Poshta" in content and shipment.tracking_number in content and rma.number in content
    assert order.customer_name in content

    # Tracking through the returns task: nothing while the waybill only exists, an unknown code is
    # ignored, "on its way" moves the return in transit, waiting at the shop's branch keeps it there,
    # "received" receives it.
    return_tasks.refresh_return_tracking.call()
    assert status(rma) == "approved"
    fake_np.set_status(waybill, "999", "Щось нове", now_kyiv())
    return_tasks.refresh_return_tracking.call()
    assert status(rma) == "approved"
    fake_np.set_status(waybill, "5", "Прямує до міста", now_kyiv())
    assert return_tasks.refresh_return_tracking.call() == {"moved": [rma.pk]}
    assert status(rma) == "in_transit"
    fake_np.set_status(waybill, "7", "Прибув на відділення", now_kyiv())
    return_tasks.refresh_return_tracking.call()
    assert status(rma) == "in_transit"
    fake_np.set_status(waybill, "9", "Відправлення отримано", now_kyiv())
    return_tasks.refresh_return_tracking.call()
    received = ReturnRequest.objects.get(pk=rma.pk)
    assert received.status == "received" and received.refund_due_at is not None
    # Tracking asked for the return waybill with the customer's phone.
    tracked = fake_np.calls("TrackingDocument.getStatusDocuments")[-1].body["methodProperties"]["Documents"]
    assert tracked == [{"DocumentNumber": waybill, "Phone": phone_digits(order.customer_phone)}]
    # The shipping area's own parcel is untouched.
    assert Shipment.objects.get(pk=shipment.pk).status == "delivered"


def test_nova_poshta_return_before_the_waybill_is_issued_and_when_tracking_fails(
    packed: Any, fake_np: Any
) -> None:
    order, _shipment = np_delivered(packed, fake_np)
    rma = returns.return_label_create(rma_id=open_return(order, "post").pk)
    assert rma.carrier == "nova_poshta"
    port = CarrierReturnShipping()
    fake_np.hold_return_waybills = True
    assert port.track(rma.tracking_ref) == []
    fake_np.hold_return_waybills = False
    fake_np.fail_next = [(500, {"success": False})]
    assert port.track(rma.tracking_ref) == []  # logged, the next run asks again
    waybill = fake_np.return_orders[rma.tracking_ref]["ExpressWaybillNumber"]
    fake_np.set_status(waybill, "41", "У місті", now_kyiv())
    [update] = port.track(rma.tracking_ref)
    assert update.status == "in_transit" and isinstance(update.at, datetime)
    assert update.raw == {"code": "41", "tracking_number": waybill}


def test_the_shop_label_when_the_carrier_is_not_configured_or_refuses(
    packed: Any, fake_np: Any, settings: Any
) -> None:
    order, _shipment = np_delivered(packed, fake_np, ("TEE", 2))

    # The carrier refuses this return: the customer still gets the shop's own label.
    fake_np.fail_next = [(200, np_answer(errors=["Повернення неможливе"]))]
    refused = returns.return_label_create(rma_id=open_return(order, "drop_off").pk)
    assert (refused.carrier, refused.tracking_ref) == ("", refused.number)
    assert decoded(refused.label_file.read()).get("Code128") == refused.number

    # No API key (the demo): the built-in label, the carrier never asked.
    _carrier_settings(settings, "nova_poshta", {"API_KEY": ""})
    calls = len(fake_np.requests)
    rma = returns.return_label_create(rma_id=open_return(order, "drop_off").pk)
    assert (rma.carrier, rma.tracking_ref) == ("", rma.number)
    assert rma.label_file.read().startswith(b"%PDF")
    assert len(fake_np.requests) == calls
    # Nothing to track: the returns task leaves it to staff.
    assert return_tasks.refresh_return_tracking.call() == {"moved": []}
    assert CarrierReturnShipping().track(rma.tracking_ref) == []


def test_an_order_our_courier_delivered_in_sweden_without_postnord_gets_the_shop_label(
    shop: Any, ready_order: Any, carriers: None, make_staff: Any
) -> None:
    make_staff("Courier", username="kostya")
    DeliveryMethod.objects.filter(code="express").update(countries=["UA", "SE"])
    order = ready_order(
        ("TEE", 1),
        delivery_method_code="express",
        shipping_address=address(
            country="SE", city="Stockholm", line1="Drottninggatan 5", postal_code="11122"
        ),
        customer=customer(phone="+46701234567", name="Anna L"),
    )
    order = _deliver_by_courier(order)
    rma = returns.return_label_create(rma_id=open_return(order, "drop_off").pk)
    assert (rma.carrier, rma.tracking_ref) == ("", rma.number)  # PostNord has no API key here


def _deliver_by_courier(order: Order, parcel: Any = None) -> Order:
    """Label, handover to our courier, delivered with the cash."""
    parcel = parcel or pack_order(order)[0]
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    services.delivery_mark_delivered(
        shipment_id=shipment.pk,
        actor=None,
        cash_collected=str(Shipment.objects.get(pk=shipment.pk).cod_amount),
    )
    assert Order.objects.get(pk=order.pk).status == "delivered"
    return Order.objects.get(pk=order.pk)


def test_courier_pickup_with_our_own_return_number_and_label(packed: Any, make_staff: Any) -> None:
    make_staff("Courier", username="kostya")
    order = _deliver_by_courier(*packed(("TEE", 1)))
    rma = returns.return_label_create(rma_id=open_return(order, "courier_pickup").pk)

    assert rma.carrier == "own_courier"
    assert rma.tracking_ref == domain.own_tracking_number("RT", rma.pk)
    body = rma.tracking_ref[2:-1]
    assert rma.tracking_ref[-1] == domain.luhn_digit(body)
    pdf = rma.label_file.read()
    codes = decoded(pdf)
    assert codes.get("Code128") == rma.tracking_ref
    assert "/shop/returns/" in codes.get("QRCode", "")
    content = text(pdf)
    # The label is in the customer's language (Ukrainian), the carrier's name too.
    assert "Наш кур’єр" in content and rma.number in content and order.customer_name in content

    # No carrier news for our own courier: the task leaves it, the label's scan receives it.
    assert CarrierReturnShipping().track(rma.tracking_ref) == []
    return_tasks.refresh_return_tracking.call()
    assert status(rma) == "approved"
    received = returns.return_receive_scan(code=rma.tracking_ref.lower(), actor=None)
    assert received.pk == rma.pk and received.status == "received"


def test_postnord_return_booked_with_the_parties_swapped_and_tracked(
    shop: Any, ready_order: Any, carriers: None, fake_pn: Any
) -> None:
    DeliveryMethod.objects.filter(code="pickup_point").update(countries=["UA", "SE"])
    fake_pn.service_points = [pn_service_point("SP-1", "ICA Kvantum Odenplan")]
    services.pickup_points_import(carrier_code="postnord", country="SE", city="Stockholm")
    point = PickupPoint.objects.get(external_id="SP-1")
    order = ready_order(
        ("TEE", 1),
        delivery_method_code="pickup_point",
        shipping_address=address(country="SE", city="Stockholm", line1=point.label, postal_code="11122"),
        customer=customer(phone="+46701234567", name="Anna L", language="sv"),
    )
    shipment = services.shipment_create_and_book(parcel_id=pack_order(order)[0].pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None)
    fake_pn.add_event(shipment.tracking_number, "DELIVERED", "21", timezone.now().isoformat(), "Delivered")
    services.shipments_poll()
    order = Order.objects.get(pk=order.pk)
    assert order.status == "delivered"

    rma = returns.return_label_create(rma_id=open_return(order, "drop_off").pk)
    assert rma.carrier == "postnord" and rma.tracking_ref.startswith("00373500")
    assert rma.tracking_ref != shipment.tracking_number
    assert rma.label_file.read().startswith(b"%PDF-1.4\n% PostNord label")
    outgoing, back = fake_pn.calls("/rest/shipment/v3/edi/labels/pdf")
    parties = back.body["shipment"][0]["parties"]
    assert parties["consignor"]["party"]["nameIdentification"]["name"] == "Anna L"
    assert parties["consignor"]["party"]["contact"]["phoneNo"] == order.customer_phone
    assert parties["consignee"]["party"] == outgoing.body["shipment"][0]["parties"]["consignor"]["party"]
    assert parties["consignor"]["partyIdentification"]["partyId"] == "1234567890"  # the shop's account
    assert "deliveryParty" not in parties
    assert back.body["shipment"][0]["service"]["basicServiceCode"] == "24"
    assert back.body["shipment"][0]["references"] == [{"referenceNo": rma.number, "referenceType": "CU"}]

    return_tasks.refresh_return_tracking.call()  # only "informed": not sent yet
    assert status(rma) == "approved"
    fake_pn.add_event(rma.tracking_ref, "STOPPED", "99", timezone.now().isoformat(), "Something new")
    fake_pn.add_event(rma.tracking_ref, "EN_ROUTE", "21", timezone.now().isoformat(), "Departed terminal")
    return_tasks.refresh_return_tracking.call()
    assert status(rma) == "in_transit"
    fake_pn.add_event(rma.tracking_ref, "DELIVERED", "21", timezone.now().isoformat(), "Delivered")
    return_tasks.refresh_return_tracking.call()
    assert status(rma) == "received"


def test_the_port_refuses_to_call_a_carrier_inside_a_transaction(packed: Any, fake_np: Any) -> None:
    order, _shipment = np_delivered(packed, fake_np)
    rma = open_return(order, "drop_off")
    parcel = returns._parcel(ReturnRequest.objects.select_related("order", "warehouse").get(pk=rma.pk))
    calls = len(fake_np.requests)
    with transaction.atomic(), pytest.raises(RuntimeError):
        CarrierReturnShipping().create_return_label(parcel)
    assert len(fake_np.requests) == calls
    assert ReturnRequest.objects.get(pk=rma.pk).label_created_at is None
