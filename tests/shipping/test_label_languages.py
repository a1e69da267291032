"""The shipping documents in an Arabic warehouse (labels, the day's manifest) and a return label in an
Arabic customer's language: Arabic joined and right to left, names and addresses in their own direction,
codes as they are; the same documents in Ukrainian read left to right."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from orderloop.shipping import labels, services
from orderloop.shipping.models import Manifest
from tests.orders.helpers import customer
from tests.pdf_reading import assert_shaped_arabic, dump, lines_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _catalogues() -> None:
    call_command("compile_translations", verbosity=0)


@pytest.fixture
def handed_over(packed: Any, make_staff: Any) -> Any:
    """A booked COD parcel of an Arabic-speaking customer, handed to the courier (on the manifest)."""
    make_staff("Courier", username="kostya")
    _order, parcel = packed(("TEE", 1), customer=customer(name="علي حسن", language="ar"))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    return shipment


def test_the_parcel_label_in_arabic(handed_over: Any) -> None:
    with translation.override("ar"):
        pdf = labels.render_label_pdf(handed_over)
        assert_shaped_arabic(pdf, "علي حسن", translation.gettext("To:").rstrip(":"), name="label")
    drawn = lines_of(pdf, reading=False)
    assert any(handed_over.tracking_number in line for line in drawn)
    assert any("01001 Kyiv" in line for line in drawn)  # an address keeps its own order


def test_the_parcel_label_in_ukrainian(handed_over: Any) -> None:
    with translation.override("uk"):
        pdf = labels.render_label_pdf(handed_over)
        dump(pdf, "label-uk.pdf")
        lines = lines_of(pdf)
        assert translation.gettext("To:") in lines
        assert any(
            line.startswith(translation.gettext("Weight: %(kg)s kg") % {"kg": "0.900"}) for line in lines
        )


def test_the_manifest_in_arabic_and_ukrainian(handed_over: Any) -> None:
    manifest = Manifest.objects.get()
    with translation.override("ar"):
        pdf = labels.render_manifest_pdf(manifest)
        assert_shaped_arabic(
            pdf, translation.gettext("Recipient"), "علي حسن", translation.gettext("City"), name="manifest"
        )
    assert any(handed_over.tracking_number in line for line in lines_of(pdf, reading=False))
    with translation.override("uk"):
        pdf = labels.render_manifest_pdf(manifest)
        dump(pdf, "manifest-uk.pdf")
        assert any(translation.gettext("Recipient") in line for line in lines_of(pdf))


def test_a_return_label_in_the_customers_arabic() -> None:
    data = labels.ReturnLabelData(
        carrier="Nova Poshta",
        tracking_number="20450000999999",
        rma_number="R1001-1",
        order_number="1001",
        recipient=["Orderloop Demo Shop", "Khreshchatyk 1", "01001 Kyiv"],
        sender=["علي حسن", "شارع الملك فهد 12", "الرياض 12211"],
        link="https://shop.example/shop/returns/abc/",
        weight_g=450,
        hint="",
        language="ar",
        items=["1 × قميص كتان (TEE-M)"],
    )
    with translation.override("ar"):
        hint = translation.gettext("Stick this label on the parcel and hand it in at any post office.")
        pdf = labels.render_return_label_pdf(
            labels.ReturnLabelData(**{**data.__dict__, "hint": hint}), compress=True
        )
        assert_shaped_arabic(
            pdf, "علي حسن", "شارع الملك فهد", translation.gettext("Return"), name="return-label"
        )
    assert any("20450000999999" in line for line in lines_of(pdf, reading=False))
    uk = labels.render_return_label_pdf(labels.ReturnLabelData(**{**data.__dict__, "language": "uk"}))
    dump(uk, "return-label-uk.pdf")
    with translation.override("uk"):
        assert any(translation.gettext("Return") in line for line in lines_of(uk))
