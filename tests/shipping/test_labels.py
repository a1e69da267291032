"""The parcel label as a scanner and a person read it: rendered to pixels (pypdfium2), its Code 128
barcode and QR code decoded (zxing-cpp); sender, recipient, weight and cash on delivery in its text
(pypdf). A wave's labels in one PDF; the day's handoff manifest."""

from __future__ import annotations

from io import BytesIO

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from orderloop.shipping import labels, services
from orderloop.shipping.models import Manifest

pytestmark = pytest.mark.django_db(transaction=True)


def decoded(pdf: bytes, page: int = 0) -> dict[str, str]:
    document = pypdfium2.PdfDocument(pdf)
    image = document[page].render(scale=300 / 72).to_pil()
    names = {zxingcpp.BarcodeFormat.Code128: "Code128", zxingcpp.BarcodeFormat.QRCode: "QRCode"}
    found = {
        names.get(result.format, str(result.format)): result.text for result in zxingcpp.read_barcodes(image)
    }
    document.close()
    return found


def text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_label_has_a_scannable_code128_tracking_number_and_qr_link(packed, make_staff):
    make_staff("Courier", username="kostya")
    order, parcel = packed(("TEE", 1), ("SOCKS", 2))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    pdf = labels.render_label_pdf(shipment)

    page = PdfReader(BytesIO(pdf)).pages[0]
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in (page.mediabox.width, page.mediabox.height))
    assert round(width_mm) == 100 and round(height_mm) == 150

    codes = decoded(pdf)
    assert codes.get("Code128") == shipment.tracking_number
    assert codes.get("QRCode", "").startswith("http") and "/shop/orders/" in codes["QRCode"]

    content = text(pdf)
    assert shipment.tracking_number in content
    assert order.customer_name in content and order.customer_phone in content
    assert "Kyiv" in content and "Weight: 0.900 kg" in content
    assert "COD:" in content
    assert "Orderloop Demo Shop" in content  # the sender


def test_prepaid_parcel_says_nothing_to_collect_and_batch_has_one_page_each(packed, ready_order):
    from orderloop.payments import services as payments
    from tests.shipping.conftest import pack_order

    order = ready_order(("TEE", 1), payment_method_code="bank_transfer", confirm=False)
    payments.payment_record_transfer(order_id=order.pk, amount=str(order.total_amount), actor=None)
    parcel = pack_order(order)[0]
    first = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    assert first.cod_amount == 0
    _order2, parcel2 = packed(("SOCKS", 1))
    second = services.shipment_create_and_book(parcel_id=parcel2.pk, actor=None)
    pdf = labels.render_labels_pdf([first, second])
    assert len(PdfReader(BytesIO(pdf)).pages) == 2
    assert "Prepaid: nothing to collect" in PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert decoded(pdf, 1)["Code128"] == second.tracking_number


def test_manifest_lists_the_days_parcels(packed, make_staff):
    make_staff("Courier", username="kostya")
    shipments = []
    for lines in ((("TEE", 1),), (("SOCKS", 1),)):
        _order, parcel = packed(*lines)
        shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
        services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
        shipments.append(shipment)
    manifest = Manifest.objects.get()
    content = text(labels.render_manifest_pdf(manifest))
    assert manifest.number in content and "2 parcels" in content
    for shipment in shipments:
        assert shipment.tracking_number in content


def test_a_manifest_of_one_parcel_says_parcel_not_parcels(packed, make_staff):
    from django.utils import translation

    make_staff("Courier", username="kostya")
    _order, parcel = packed(("TEE", 1))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    manifest = Manifest.objects.get()
    content = text(labels.render_manifest_pdf(manifest))
    assert "1 parcel," in content and "1 parcels" not in content
    with translation.override("uk"):
        assert "1 посилка," in text(labels.render_manifest_pdf(manifest))
