"""The shipping desk and its pages with a real session: labels for packed parcels, a wave's labels as
one PDF, handover by scanning the label, today's manifest, a shipment's page with its events, cash
reconciliation, pickup points — and errors as messages, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orderloop.fulfillment.models import Wave
from orderloop.shipping.models import Manifest, Shipment

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(make_staff: Any, role: str, username: str) -> Client:
    client = Client()
    client.force_login(make_staff(role, username=username))
    return client


def test_desk_label_scan_handover_manifest_and_detail(packed: Any, make_staff: Any) -> None:
    make_staff("Courier", username="kostya")
    desk = logged_in(make_staff, "Warehouse", "wera")
    _order, parcel = packed()
    page = desk.get("/shipping/").content.decode()
    assert f'data-parcel="{parcel.number}"' in page and 'value="nova_poshta.doors"' in page
    wrong = desk.post(
        "/shipping/labels/", {"parcel": parcel.pk, "service": "nova_poshta.warehouse"}, follow=True
    )
    assert "pickup point" in wrong.content.decode() and not Shipment.objects.filter(parcel=parcel).exists()

    created = desk.post("/shipping/labels/", {"parcel": parcel.pk})
    shipment = Shipment.objects.get(parcel=parcel)
    assert created.status_code == 302 and created["Location"] == f"/shipping/shipments/{shipment.pk}/"
    again = desk.post("/shipping/labels/", {"parcel": parcel.pk}, follow=True)
    assert "already has a shipment" in again.content.decode()
    assert desk.get(f"/shipping/shipments/{shipment.pk}/label.pdf").content.startswith(b"%PDF")

    page = desk.get("/shipping/").content.decode()
    assert f'data-shipment="{shipment.pk}"' in page
    no_courier = desk.post("/shipping/hand-over/", {"code": shipment.tracking_number.lower()}, follow=True)
    assert "Choose the courier" in no_courier.content.decode()
    garbled = desk.post("/shipping/hand-over/", {"shipment": "x", "delivery_date": "2026-13-45"}, follow=True)
    assert garbled.status_code == 200 and "valid day" in garbled.content.decode()
    unknown = desk.post("/shipping/hand-over/", {"code": "NOPE123"}, follow=True)
    assert unknown.status_code == 200 and "No shipment has this number" in unknown.content.decode()
    desk.post("/shipping/hand-over/", {"code": f" {shipment.tracking_number}\t", "courier": "kostya"})
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_over"
    manifest = Manifest.objects.get()
    assert desk.get(f"/shipping/manifests/{manifest.pk}/pdf/").content.startswith(b"%PDF")
    detail = desk.get(f"/shipping/shipments/{shipment.pk}/").content.decode()
    assert "Handed over" in detail and manifest.number in detail
    bogus = desk.post(f"/shipping/shipments/{shipment.pk}/cancel/", follow=True)
    assert bogus.status_code == 200 and "cannot" in bogus.content.decode()


def test_wave_labels_print_in_one_pdf(shop: Any, ready_order: Any, carriers: Any, make_staff: Any) -> None:
    from tests.shipping.conftest import pack_order

    pack_order(ready_order(("TEE", 1)))
    desk = logged_in(make_staff, "Warehouse", "wera")
    response = desk.post("/shipping/labels/wave/", {"wave": Wave.objects.get().pk})
    assert response.status_code == 302 and "/shipping/labels.pdf?ids=" in response["Location"]
    assert desk.get(response["Location"]).content.startswith(b"%PDF")


def test_cod_and_pickup_point_pages(packed: Any, make_staff: Any, fake_np: Any) -> None:
    from .fake_carriers import np_warehouse

    courier = make_staff("Courier", username="kostya")
    manager = logged_in(make_staff, "Manager", "mila")
    order, parcel = packed()
    from orderloop.shipping import services

    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    services.delivery_mark_delivered(
        shipment_id=shipment.pk, actor=courier, cash_collected=str(order.total_amount)
    )
    assert manager.get("/shipping/cod/?date=2026-13-45").status_code == 200
    page = manager.get("/shipping/cod/").content.decode()
    assert 'data-courier="kostya"' in page and str(order.total_amount) in page
    manager.post(
        "/shipping/cod/", {"courier": "kostya", "currency": "UAH", "amount": str(order.total_amount)}
    )
    assert "row-ok" in manager.get("/shipping/cod/").content.decode()
    bad = manager.post("/shipping/cod/", {"courier": "nobody", "currency": "UAH", "amount": "1"}, follow=True)
    assert bad.status_code == 200 and "No active courier" in bad.content.decode()

    fake_np.warehouses = [np_warehouse("wh-1", "1")]
    imported = manager.post(
        "/shipping/pickup-points/", {"carrier": "nova_poshta", "country": "UA"}, follow=True
    )
    assert "1 new" in imported.content.decode()
    assert "Відділення №1" in manager.get("/shipping/pickup-points/?carrier=nova_poshta").content.decode()
    fake_np.api_key = "other"
    failed = manager.post(
        "/shipping/pickup-points/", {"carrier": "nova_poshta", "country": "UA"}, follow=True
    )
    assert failed.status_code == 200 and "API key expired" in failed.content.decode()
