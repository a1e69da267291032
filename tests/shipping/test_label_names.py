"""Printed shipping documents name the carrier and its service in the document's language (issue 16):
the label and the handoff manifest in the warehouse's (interface) language, from the carriers' names
per language; the desk shows the same names."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from orderloop.shipping import labels, services

pytestmark = pytest.mark.django_db


def text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_the_label_names_the_carrier_and_service_in_the_warehouses_language(packed, make_staff):
    _order, parcel = packed(("TEE", 1))
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    with translation.override("uk"):
        ukrainian = text(labels.render_label_pdf(shipment))
    assert "Наш кур’єр" in ukrainian and "Кур’єр до дверей" in ukrainian
    assert "Our courier" not in ukrainian
    with translation.override("sv"):
        swedish = text(labels.render_label_pdf(shipment))
    assert "Vårt bud" in swedish and "Bud till dörren" in swedish
    with translation.override("en"):
        assert "Our courier" in text(labels.render_label_pdf(shipment))

    staff = make_staff("Warehouse", username="desk-uk")
    client = Client()
    client.force_login(User.objects.get(pk=staff.pk))
    client.cookies["orderloop_language"] = "uk"
    page = client.get(f"/shipping/shipments/{shipment.pk}/").content.decode()
    assert "Наш кур’єр · Кур’єр до дверей" in page
